-- title: Replaying the subscription change feed
-- question: Applied in order per user as a CDC consumer applies a Debezium feed (a snapshot `r`, then `c`, `u`, `d`), does subscription_changes rebuild the SCD2 subscriptions table row for row, and how many changes of each kind came in?
-- Each r, c or u starts a version (its row is `after`, from after.updated_at) that runs until the user's next change.
WITH rebuilt AS (
    SELECT
        user_id,
        after.plan                                                       AS plan,
        after.start_date                                                 AS start_date,
        after.billing_cycle                                              AS billing_cycle,
        after.connected_services                                         AS connected_services,
        after.updated_at                                                 AS valid_from,
        next_change                                                      AS valid_to,
        next_change IS NULL                                              AS is_current
    FROM (
        SELECT *, lead(ts) OVER (PARTITION BY user_id ORDER BY ts)       AS next_change
        FROM subscription_changes
    )
    WHERE op <> 'd'
),
table_rows AS (
    SELECT user_id, plan, start_date, billing_cycle, connected_services, valid_from, valid_to, is_current
    FROM subscriptions
)
SELECT
    (SELECT count(*) FROM subscription_changes WHERE op = 'r')          AS snapshot_rows,
    (SELECT count(*) FROM subscription_changes WHERE op = 'c')          AS sign_ups_and_returns,
    (SELECT count(*) FROM subscription_changes WHERE op = 'u')          AS plan_or_billing_changes,
    (SELECT count(*) FROM subscription_changes WHERE op = 'd')          AS cancellations,
    (SELECT count(*) FROM rebuilt)                                      AS rebuilt_versions,
    (SELECT count(*) FROM table_rows)                                   AS table_versions,
    (SELECT count(*) FROM (SELECT * FROM rebuilt EXCEPT ALL SELECT * FROM table_rows))
  + (SELECT count(*) FROM (SELECT * FROM table_rows EXCEPT ALL SELECT * FROM rebuilt))
                                                                        AS rows_that_differ;
