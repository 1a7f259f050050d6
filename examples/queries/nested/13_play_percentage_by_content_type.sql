-- title: Play percentage by content type
-- question: How much of a title do viewers watch (average and median play_percentage, completion rate) for each content type?
SELECT
    content.type                                                        AS content_type,
    count(*)                                                            AS plays,
    round(avg(event_details.play_percentage), 2)                        AS avg_play_pct,
    round(median(event_details.play_percentage), 2)                     AS median_play_pct,
    round(avg(CASE WHEN event_details.completed THEN 1 ELSE 0 END), 4)  AS completion_rate,
    round(avg(content.duration), 1)                                     AS avg_duration_min,
    round(avg(event_details.play_duration) / 60, 1)                     AS avg_watch_min
FROM events
WHERE event_type = 'content_play'
GROUP BY content.type
ORDER BY avg_play_pct DESC, content_type;
