-- title: Replaying a change feed with duplicates and late changes
-- question: does a consumer that drops a change it has seen (the same user_id, ts and op) and applies each user's changes in ts order rebuild the SCD2 subscriptions table row for row, and are the repeated and late rows it meets exactly those the ground truth lists?
-- layout: normalized
WITH feed AS (
    SELECT *,
           row_number() OVER (PARTITION BY user_id, ts, op ORDER BY file, file_row_number) AS seen,
           max(ts) OVER (PARTITION BY user_id ORDER BY file, file_row_number
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)      AS latest_before
    FROM subscription_changes
),
flagged AS (
    SELECT 'duplicate' AS kind, file, file_row_number FROM feed WHERE seen > 1
    UNION ALL
    SELECT 'late', file, file_row_number FROM feed WHERE seen = 1 AND ts < latest_before
),
listed AS (
    SELECT kind, file, file_row_number FROM change_faults
),
rebuilt AS (
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
        FROM feed WHERE seen = 1
    )
    WHERE op <> 'd'
),
table_rows AS (
    SELECT user_id, plan, start_date, billing_cycle, connected_services, valid_from, valid_to, is_current
    FROM subscriptions
)
SELECT
    (SELECT count(*) FROM flagged)                                      AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM flagged))            AS missed,
    (SELECT count(*) FROM (FROM flagged EXCEPT FROM listed))            AS invented,
    (SELECT count(*) FROM (SELECT * FROM rebuilt EXCEPT ALL SELECT * FROM table_rows))
  + (SELECT count(*) FROM (SELECT * FROM table_rows EXCEPT ALL SELECT * FROM rebuilt))
                                                                        AS rows_that_differ;
