-- title: Not-null checks
-- question: do not-null checks on three columns the contract promises (user_id, timestamp, location.country) flag exactly the missing values the ground truth lists?
WITH flagged AS (
    SELECT event_id, file, file_row_number, 'user_id' AS column_name
    FROM events WHERE user_id IS NULL
    UNION ALL
    SELECT event_id, file, file_row_number, 'timestamp'
    FROM events WHERE "timestamp" IS NULL
    UNION ALL
    SELECT event_id, file, file_row_number, 'location.country'
    FROM events WHERE location.country IS NULL
), listed AS (
    SELECT event_id, file, file_row_number, column_name FROM faults WHERE kind = 'missing_value'
)
SELECT
    (SELECT count(*) FROM flagged) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM flagged)) AS missed,
    (SELECT count(*) FROM (FROM flagged EXCEPT FROM listed)) AS invented;
