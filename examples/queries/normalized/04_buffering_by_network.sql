-- title: Buffering by network type and quality
-- question: How often do plays buffer (average incidents, share of plays with at least one, incidents per watch hour) by network type and playback quality?
SELECT
    network_type,
    playback_quality,
    count(*)                                                              AS plays,
    round(avg(buffering_incidents), 3)                                    AS avg_buffering_incidents,
    round(avg(CASE WHEN buffering_incidents >= 1 THEN 1 ELSE 0 END), 4)   AS share_with_buffering,
    round(sum(buffering_incidents) / (sum(play_duration) / 3600), 3)      AS incidents_per_watch_hour
FROM events
WHERE event_type = 'content_play'
GROUP BY network_type, playback_quality
ORDER BY network_type,
         CASE playback_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 ELSE 4 END;
