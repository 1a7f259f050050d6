-- title: Completion rate by device type and plan
-- question: What share of plays is watched to the end (completed), for each device type and subscription plan?
SELECT
    device_type,
    subscription_plan                                             AS plan,
    count(*)                                                      AS plays,
    count(*) FILTER (WHERE completed)                             AS completed_plays,
    round(avg(CASE WHEN completed THEN 1 ELSE 0 END), 4)          AS completion_rate,
    round(avg(play_percentage), 1)                                AS avg_play_pct
FROM events
WHERE event_type = 'content_play'
GROUP BY device_type, subscription_plan
ORDER BY device_type, plan;
