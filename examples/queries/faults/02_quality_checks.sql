-- title: Data-quality rules
-- question: do six rules of the contract (play_duration is not negative, play_percentage is at most 100, completed says whether 95% was played, an event is not stamped a day or more after its partition's day, device.type and location.country are accepted values) flag exactly the broken values the ground truth lists?
WITH flagged AS (
    SELECT event_id, file, file_row_number, 'event_details.play_duration' AS column_name
    FROM events WHERE event_details.play_duration < 0
    UNION ALL
    SELECT event_id, file, file_row_number, 'event_details.play_percentage'
    FROM events WHERE event_details.play_percentage > 100
    UNION ALL
    SELECT event_id, file, file_row_number, 'event_details.completed'
    FROM events
    WHERE event_details.play_percentage <= 100
      AND event_details.completed <> (event_details.play_percentage >= 95)
    UNION ALL
    SELECT event_id, file, file_row_number, 'timestamp'
    FROM events WHERE "timestamp" >= event_date + INTERVAL 2 DAY
    UNION ALL
    SELECT event_id, file, file_row_number, 'device.type'
    FROM events WHERE device.type NOT IN ('mobile', 'desktop', 'tablet', 'smartTV')
    UNION ALL
    SELECT event_id, file, file_row_number, 'location.country'
    FROM events
    WHERE location.country NOT IN (
        'Argentina', 'Australia', 'Brazil', 'Canada', 'France', 'Germany', 'India', 'Ireland', 'Italy', 'Japan',
        'Mexico', 'New Zealand', 'Poland', 'South Africa', 'South Korea', 'Spain', 'Sweden', 'The Netherlands',
        'United Kingdom', 'United States'
    )
), listed AS (
    SELECT event_id, file, file_row_number, column_name FROM faults WHERE kind = 'broken_value'
)
SELECT
    (SELECT count(*) FROM flagged) AS found,
    (SELECT count(*) FROM (FROM listed EXCEPT FROM flagged)) AS missed,
    (SELECT count(*) FROM (FROM flagged EXCEPT FROM listed)) AS invented;
