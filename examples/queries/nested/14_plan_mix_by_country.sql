-- title: Plan mix by country
-- question: What share of each country's users (seen in the events) is on each subscription plan at their last event, and how many of them pay yearly?
WITH users AS (
    SELECT
        user_id,
        any_value(location.country)                             AS country,
        arg_max(user_subscription.plan, timestamp)              AS plan,
        arg_max(user_subscription.billing_cycle, timestamp)     AS billing_cycle
    FROM events
    GROUP BY user_id
)
SELECT
    country,
    plan,
    count(*)                                                                AS users,
    round(count(*) / sum(count(*)) OVER (PARTITION BY country), 4)          AS share_of_country,
    round(avg(CASE WHEN billing_cycle = 'yearly' THEN 1 ELSE 0 END), 4)     AS yearly_share
FROM users
GROUP BY country, plan
ORDER BY country, plan;
