-- title: Churn by plan
-- question: From the SCD2 subscriptions table: how many subscribers of each plan cancelled during the dataset's days, per subscriber-month, and how many signed up, changed plan or came back?
-- A cancellation is a closed version that no version continues at its valid_to; a sign-up or return
-- is a stint's first version starting inside the dataset (valid_from = its start_date's day or later).
-- Subscriber-months count each version's time inside the dataset's days.
WITH bounds AS (
    SELECT min(timestamp) AS first_ts, max(timestamp) AS last_ts FROM events
),
ordered AS (
    SELECT
        s.*,
        lead(valid_from) OVER (PARTITION BY user_id ORDER BY valid_from)    AS next_from,
        lag(valid_to)    OVER (PARTITION BY user_id ORDER BY valid_from)    AS previous_to,
        lag(plan)        OVER (PARTITION BY user_id ORDER BY valid_from)    AS previous_plan
    FROM subscriptions s
),
marked AS (
    SELECT
        o.*,
        valid_to IS NOT NULL AND (next_from IS NULL OR next_from > valid_to) AS cancelled,
        valid_from >= first_ts AND previous_to IS NULL                       AS signed_up,
        previous_to IS NOT NULL AND previous_to < valid_from                 AS came_back,
        previous_to = valid_from AND previous_plan <> plan                   AS changed_plan,
        (epoch(least(coalesce(valid_to, last_ts), last_ts)) - epoch(greatest(valid_from, first_ts)))
            / (30.436875 * 86400)                                            AS months
    FROM ordered o, bounds
)
SELECT
    plan,
    round(sum(greatest(months, 0)), 1)                                       AS subscriber_months,
    count(*) FILTER (WHERE cancelled)                                        AS cancellations,
    round(count(*) FILTER (WHERE cancelled) / sum(greatest(months, 0)), 4)   AS monthly_churn,
    count(*) FILTER (WHERE signed_up)                                        AS sign_ups,
    count(*) FILTER (WHERE came_back)                                        AS returns,
    count(*) FILTER (WHERE changed_plan)                                     AS changes_to_plan
FROM marked
GROUP BY plan
ORDER BY plan;
