-- title: Sessions by the 30-minute rule
-- question: Cut each user's events into sessions at every idle time of 30 minutes or more: how many sessions are there, how many events and minutes does one last, how many are a single event, how long is the pause between events of a session, and how many sessions stay on one device?
-- Idle time is from the end of the user's previous event (a play ends play_duration seconds after its
-- timestamp, other events at their timestamp) to the start of this one, in the user's order of
-- timestamp (then event_id).
-- There is no day boundary: a session that runs past midnight UTC stays one session.
WITH timed AS (
    SELECT
        user_id,
        event_id,
        timestamp                                                               AS ts,
        epoch_us(timestamp)                                                     AS start_us,
        epoch_us(timestamp) + CASE WHEN event_type = 'content_play'
                                   THEN CAST(play_duration AS BIGINT) * 1000000 ELSE 0 END
                                                                                AS end_us,
        device_model,
        device_os
    FROM events
),
gaps AS (
    SELECT *,
           start_us - lag(end_us) OVER (PARTITION BY user_id ORDER BY ts, event_id)  AS idle_us
    FROM timed
),
numbered AS (
    SELECT *,
           sum(CASE WHEN idle_us IS NULL OR idle_us >= 1800 * 1000000 THEN 1 ELSE 0 END)
               OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)  AS session
    FROM gaps
),
sessions AS (
    SELECT
        user_id,
        session,
        count(*)                                                                AS events,
        (max(end_us) - min(start_us)) / 60e6                                    AS minutes,
        -- one device: a single model and a single OS throughout
        min(device_model) = max(device_model) AND min(device_os) = max(device_os)
                                                                                AS one_device
    FROM numbered
    GROUP BY user_id, session
)
SELECT
    count(*)                                                                    AS sessions,
    round(sum(events) / count(*), 2)                                            AS events_per_session,
    round(median(minutes), 1)                                                   AS median_session_minutes,
    round(avg(CASE WHEN events = 1 THEN 1 ELSE 0 END), 4)                       AS single_event_share,
    round((SELECT median(idle_us) FROM gaps WHERE idle_us < 1800 * 1000000) / 1e6, 1)
                                                                                AS median_idle_seconds,
    round(avg(CASE WHEN one_device THEN 1 ELSE 0 END), 4)                       AS one_device_share
FROM sessions;
