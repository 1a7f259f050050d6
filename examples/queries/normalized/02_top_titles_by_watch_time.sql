-- title: Top titles by watch time
-- question: Which 20 catalog entries were watched the longest (sum of play_duration), with their plays, distinct viewers and average share watched?
-- Grouped by content id, not title: titles repeat across catalog entries (and TV episodes share their show's title).
WITH per_content AS (
    SELECT
        content_id,
        count(*)                        AS plays,
        count(DISTINCT user_id)         AS viewers,
        sum(play_duration)              AS watch_seconds,
        avg(play_percentage)            AS avg_play_pct
    FROM events
    WHERE event_type = 'content_play'
    GROUP BY content_id
)
SELECT
    p.content_id,
    c.title,
    c.type                                  AS content_type,
    c.season,
    c.episode,
    c.provider,
    p.plays,
    p.viewers,
    round(p.watch_seconds / 3600, 1)        AS watch_hours,
    round(p.avg_play_pct, 1)                AS avg_play_pct
FROM per_content p
JOIN content c ON c.content_id = p.content_id
ORDER BY p.watch_seconds DESC, p.content_id
LIMIT 20;
