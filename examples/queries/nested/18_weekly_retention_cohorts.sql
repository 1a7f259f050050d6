-- title: Weekly retention cohorts
-- question: Grouping users by the week of their first event, what share of each cohort is active again in each later week?
-- Weeks are 7-day blocks of event_date from the dataset's first day; week 0 is the cohort's own week,
-- so its retention is 1 by definition.
WITH activity AS (
    SELECT DISTINCT
        user_id,
        (event_date - (SELECT min(event_date) FROM events)) // 7               AS week
    FROM events
),
cohorts AS (
    SELECT user_id, min(week) AS cohort_week
    FROM activity
    GROUP BY user_id
),
counted AS (
    SELECT c.cohort_week, a.week - c.cohort_week AS weeks_later, count(*) AS active_users
    FROM cohorts c
    JOIN activity a USING (user_id)
    GROUP BY c.cohort_week, a.week
)
SELECT
    cohort_week,
    weeks_later,
    active_users,
    round(active_users / max(active_users) FILTER (WHERE weeks_later = 0) OVER (PARTITION BY cohort_week), 4)
                                                                            AS retention
FROM counted
ORDER BY cohort_week, weeks_later;
