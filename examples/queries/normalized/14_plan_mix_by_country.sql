-- title: Plan mix by country
-- question: What share of each country's subscribers at the end of the dataset (the current versions of the subscriptions table) is on each plan, and how many of them pay yearly?
-- The nested version can only count users seen in the events, on the plan of their last event.
SELECT
    u.country,
    s.plan,
    count(*)                                                                AS subscribers,
    round(count(*) / sum(count(*)) OVER (PARTITION BY u.country), 4)        AS share_of_country,
    round(avg(CASE WHEN s.billing_cycle = 'yearly' THEN 1 ELSE 0 END), 4)   AS yearly_share
FROM subscriptions s
JOIN users u USING (user_id)
WHERE s.is_current
GROUP BY u.country, s.plan
ORDER BY u.country, s.plan;
