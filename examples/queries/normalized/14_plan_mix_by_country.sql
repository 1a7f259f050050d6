-- title: Plan mix by country
-- question: What share of each country's users (the users table) is on each subscription plan, and how many of them pay yearly?
-- The nested version can only count users seen in the events; the users table may also hold users without events.
SELECT
    country,
    plan,
    count(*)                                                                AS users,
    round(count(*) / sum(count(*)) OVER (PARTITION BY country), 4)          AS share_of_country,
    round(avg(CASE WHEN billing_cycle = 'yearly' THEN 1 ELSE 0 END), 4)     AS yearly_share
FROM users
GROUP BY country, plan
ORDER BY country, plan;
