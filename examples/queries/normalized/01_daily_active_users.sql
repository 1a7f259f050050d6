-- title: Daily active users
-- question: How many distinct users are active on each UTC day, and how many events, plays and watch hours do they produce?
SELECT
    event_date,
    count(DISTINCT user_id)                                          AS active_users,
    count(*)                                                         AS events,
    count(*) FILTER (WHERE event_type = 'content_play')              AS plays,
    round(count(*) / count(DISTINCT user_id), 2)                     AS events_per_user,
    round(sum(play_duration) / 3600, 1)                              AS watch_hours
FROM events
GROUP BY event_date
ORDER BY event_date;
