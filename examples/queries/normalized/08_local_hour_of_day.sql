-- title: Events by hour of day in the user's local time
-- question: How are events and plays spread over the hours of the user's local day (location_timezone)?
SELECT
    hour(timezone(location_timezone, timestamp))                        AS local_hour,
    count(*)                                                            AS events,
    count(*) FILTER (WHERE event_type = 'content_play')                 AS plays,
    round(count(*) / sum(count(*)) OVER (), 4)                          AS share_of_events
FROM events
GROUP BY local_hour
ORDER BY local_hour;
