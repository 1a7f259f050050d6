-- title: Point-in-time join to subscriptions
-- question: Joined to the SCD2 subscriptions table as of each event's timestamp, does every event find exactly one version, how does watch time split by the plan then in force, and how much of it would a join on the current version misattribute?
-- A version is in force from valid_from (inclusive) to valid_to (exclusive; open when null).
WITH as_of AS (
    SELECT
        e.event_id,
        e.user_id,
        e.play_duration,
        e.subscription_plan,
        count(s.user_id)                                                      AS versions,
        any_value(s.plan)                                                     AS plan
    FROM events e
    LEFT JOIN subscriptions s
      ON  s.user_id = e.user_id
      AND e.timestamp >= s.valid_from
      AND (s.valid_to IS NULL OR e.timestamp < s.valid_to)
    GROUP BY ALL
),
current_plan AS (
    SELECT user_id, plan AS current_plan FROM subscriptions WHERE is_current
)
SELECT
    plan                                                                      AS plan_in_force,
    count(*)                                                                  AS events,
    count(*) FILTER (WHERE versions <> 1)                                     AS events_not_joining_one_version,
    count(*) FILTER (WHERE plan <> subscription_plan)                         AS events_carrying_another_plan,
    round(sum(play_duration) / 3600, 1)                                       AS watch_hours,
    round(sum(play_duration) FILTER (WHERE current_plan IS DISTINCT FROM plan)
          / nullif(sum(play_duration), 0), 4)                                 AS watch_share_misattributed_by_current
FROM as_of
LEFT JOIN current_plan USING (user_id)
GROUP BY plan
ORDER BY plan;
