-- title: Top titles by watch time
-- question: Which 20 catalog entries were watched the longest (sum of play_duration), with their plays, distinct viewers and average share watched?
-- Grouped by content id, not title: titles repeat across catalog entries (and TV episodes share their show's title).
SELECT
    content.id                                             AS content_id,
    content.title                                          AS title,
    content.type                                           AS content_type,
    content.season                                         AS season,
    content.episode                                        AS episode,
    content.provider                                       AS provider,
    count(*)                                               AS plays,
    count(DISTINCT user_id)                                AS viewers,
    round(sum(event_details.play_duration) / 3600, 1)      AS watch_hours,
    round(avg(event_details.play_percentage), 1)           AS avg_play_pct
FROM events
WHERE event_type = 'content_play'
GROUP BY content.id, content.title, content.type, content.season, content.episode, content.provider
ORDER BY sum(event_details.play_duration) DESC, content_id
LIMIT 20;
