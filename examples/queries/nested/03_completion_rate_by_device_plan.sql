-- title: Completion rate by device type and plan
-- question: What share of plays is watched to the end (completed), for each device type and subscription plan?
SELECT
    device.type                                                               AS device_type,
    user_subscription.plan                                                    AS plan,
    count(*)                                                                  AS plays,
    count(*) FILTER (WHERE event_details.completed)                           AS completed_plays,
    round(avg(CASE WHEN event_details.completed THEN 1 ELSE 0 END), 4)        AS completion_rate,
    round(avg(event_details.play_percentage), 1)                              AS avg_play_pct
FROM events
WHERE event_type = 'content_play'
GROUP BY device.type, user_subscription.plan
ORDER BY device_type, plan;
