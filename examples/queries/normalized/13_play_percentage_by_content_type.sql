-- title: Play percentage by content type
-- question: How much of a title do viewers watch (average and median play_percentage, completion rate) for each content type?
SELECT
    c.type                                                          AS content_type,
    count(*)                                                        AS plays,
    round(avg(e.play_percentage), 2)                                AS avg_play_pct,
    round(median(e.play_percentage), 2)                             AS median_play_pct,
    round(avg(CASE WHEN e.completed THEN 1 ELSE 0 END), 4)          AS completion_rate,
    round(avg(c.duration), 1)                                       AS avg_duration_min,
    round(avg(e.play_duration) / 60, 1)                             AS avg_watch_min
FROM events e
JOIN content c ON c.content_id = e.content_id
WHERE e.event_type = 'content_play'
GROUP BY c.type
ORDER BY avg_play_pct DESC, content_type;
