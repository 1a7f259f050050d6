-- title: Late arrivals by partition date
-- question: in a feed partitioned by the day it was delivered, which events sit in a later day's partition than their own timestamp's date? Are they exactly the late arrivals the ground truth lists, and how many days late did the latest come?
WITH late AS (
    SELECT event_id, file, file_row_number
    FROM events
    WHERE CAST("timestamp" AS DATE) < event_date
), listed AS (
    SELECT event_id, file, file_row_number FROM faults WHERE kind = 'late_arrival'
)
SELECT
    (SELECT count(*) FROM late) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM late)) AS missed,
    (SELECT count(*) FROM (FROM late EXCEPT FROM listed)) AS invented,
    (SELECT max(event_date - CAST("timestamp" AS DATE)) FROM events) AS most_days_late;
