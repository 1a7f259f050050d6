-- title: Malformed records
-- question: do a JSON validity check and a type check on each NDJSON line (play_duration must be a number) find exactly the malformed records the ground truth lists?
-- dataset: ndjson
WITH flagged AS (
    SELECT file, file_row_number, NULL AS column_name
    FROM lines WHERE NOT json_valid(line)
    UNION ALL
    SELECT file, file_row_number, 'event_details.play_duration'
    FROM lines
    WHERE json_valid(line) AND json_type(line, '$.event_details.play_duration') = 'VARCHAR'
), listed AS (
    SELECT file, file_row_number, column_name FROM faults WHERE kind = 'malformed_record'
)
SELECT
    (SELECT count(*) FROM flagged) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM flagged)) AS missed,
    (SELECT count(*) FROM (FROM flagged EXCEPT FROM listed)) AS invented;
