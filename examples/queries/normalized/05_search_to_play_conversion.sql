-- title: Search-to-play conversion
-- question: What share of `search` events (and of searching users) is followed, later the same UTC day, by a `content_play` of the searched content by the same user?
-- A search event's content_id is the title the search was for (its search history ends with that search).
WITH searches AS (
    SELECT event_id, user_id, content_id, timestamp AS ts, event_date
    FROM events
    WHERE event_type = 'search'
),
plays AS (
    SELECT user_id, content_id, timestamp AS ts, event_date
    FROM events
    WHERE event_type = 'content_play'
),
converted AS (
    -- first play of the searched content after the search, per search event
    SELECT s.event_id,
           s.user_id,
           min(epoch(p.ts) - epoch(s.ts))  AS seconds_to_play
    FROM searches s
    JOIN plays p
      ON  p.user_id    = s.user_id
      AND p.content_id = s.content_id
      AND p.event_date = s.event_date
      AND p.ts         > s.ts
    GROUP BY s.event_id, s.user_id
)
SELECT
    count(*)                                                             AS searches,
    count(c.event_id)                                                    AS converted_searches,
    round(count(c.event_id) / count(*), 4)                               AS search_conversion_rate,
    count(DISTINCT s.user_id)                                            AS searching_users,
    count(DISTINCT c.user_id)                                            AS converting_users,
    round(count(DISTINCT c.user_id) / count(DISTINCT s.user_id), 4)      AS user_conversion_rate,
    round(median(c.seconds_to_play) / 60, 1)                             AS median_minutes_to_play
FROM searches s
LEFT JOIN converted c ON c.event_id = s.event_id;
