-- title: Deduplication by event_id
-- question: does keeping each event_id's first row (in the order the files were written) remove exactly the copies the ground truth lists, duplicates and near-duplicates alike?
WITH ranked AS (
    SELECT event_id, file, file_row_number,
           row_number() OVER (PARTITION BY event_id ORDER BY file, file_row_number) AS copy
    FROM events
), removed AS (
    SELECT event_id, file, file_row_number FROM ranked WHERE copy > 1
), listed AS (
    SELECT event_id, file, file_row_number FROM faults WHERE kind IN ('duplicate', 'near_duplicate')
)
SELECT
    (SELECT count(*) FROM removed) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM removed)) AS missed,
    (SELECT count(*) FROM (FROM removed EXCEPT FROM listed)) AS invented;
