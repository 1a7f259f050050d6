-- title: Weekday vs weekend activity per day
-- question: How many events, active users and watch hours does an average weekend day have compared with an average weekday (UTC days)?
WITH per_day AS (
    SELECT
        event_date,
        count(*)                                    AS events,
        count(DISTINCT user_id)                     AS active_users,
        coalesce(sum(play_duration), 0)             AS watch_seconds
    FROM events
    GROUP BY event_date
),
classes AS (
    SELECT
        CASE WHEN isodow(event_date) IN (6, 7) THEN 'weekend' ELSE 'weekday' END AS day_class,
        count(*)                                    AS days,
        sum(events)                                 AS events,
        avg(events)                                 AS events_per_day,
        avg(active_users)                           AS active_users_per_day,
        avg(watch_seconds) / 3600                   AS watch_hours_per_day
    FROM per_day
    GROUP BY day_class
)
SELECT
    day_class,
    days,
    events,
    round(events_per_day, 1)                        AS events_per_day,
    round(active_users_per_day, 1)                  AS active_users_per_day,
    round(watch_hours_per_day, 1)                   AS watch_hours_per_day,
    round(events_per_day / max(CASE WHEN day_class = 'weekday' THEN events_per_day END) OVER (), 3)
                                                    AS events_per_day_vs_weekday
FROM classes
ORDER BY day_class;
