-- title: Churn by plan
-- question: Of the users active in the first week, what share of each plan's users is not seen again in the last week, and how many changed plan or started a new subscription (came back) in between?
-- The events carry no cancellation, so "not seen in the last week" is the analyst's proxy for churn:
-- it also counts light users who simply did not watch that week. The normalized layout's
-- subscriptions table holds the cancellations themselves (normalized/19_churn_by_plan.sql).
WITH bounds AS (
    SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM events
),
per_user AS (
    SELECT
        user_id,
        arg_min(user_subscription.plan, timestamp)                          AS plan,
        min(event_date)                                                     AS first_seen,
        max(event_date)                                                     AS last_seen,
        count(DISTINCT user_subscription.plan) > 1                          AS changed_plan,
        count(DISTINCT user_subscription.start_date) > 1                    AS came_back
    FROM events
    GROUP BY user_id
)
SELECT
    plan,
    count(*)                                                                AS users_in_first_week,
    round(avg(CASE WHEN last_seen <= last_day - 7 THEN 1 ELSE 0 END), 4)    AS not_seen_in_last_week,
    round(avg(CASE WHEN changed_plan THEN 1 ELSE 0 END), 4)                 AS changed_plan,
    round(avg(CASE WHEN came_back THEN 1 ELSE 0 END), 4)                    AS came_back
FROM per_user, bounds
WHERE first_seen < first_day + 7
GROUP BY plan
ORDER BY plan;
