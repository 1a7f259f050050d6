-- title: Clock skew against a clean run
-- question: comparing each event's first row with the same event of a clean run (same seed and config, no faults), are the timestamps moved by minutes exactly the out-of-order events the ground truth lists? And how many rows does that make out of order within their file?
WITH first_rows AS (
    SELECT * FROM events
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY file, file_row_number) = 1
), moved AS (
    SELECT f.event_id, f.file, f.file_row_number
    FROM first_rows f JOIN clean c USING (event_id)
    WHERE f."timestamp" <> c."timestamp"
      AND abs(epoch(f."timestamp") - epoch(c."timestamp")) <= 600
), listed AS (
    SELECT event_id, file, file_row_number FROM faults WHERE kind = 'out_of_order'
), unsorted AS (
    SELECT count(*) AS n FROM (
        SELECT "timestamp" < lag("timestamp") OVER (PARTITION BY file ORDER BY file_row_number) AS behind
        FROM events
    ) WHERE behind
)
SELECT
    (SELECT count(*) FROM moved) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM moved)) AS missed,
    (SELECT count(*) FROM (FROM moved EXCEPT FROM listed)) AS invented,
    (SELECT n FROM unsorted) AS rows_behind_their_predecessor;
