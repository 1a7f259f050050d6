-- title: Browse, search and play funnel per session
-- question: Of the sessions (30-minute rule), how many have a browse, a search, a play, a search followed later in the session by a play, and a browse, then a search, then a play in that order?
-- Sessions as in 15_sessions_30_minute_rule. "Later" is the user's event order (timestamp, then event_id).
WITH timed AS (
    SELECT
        user_id,
        event_id,
        event_type,
        timestamp                                                               AS ts,
        epoch_us(timestamp)                                                     AS start_us,
        epoch_us(timestamp) + CASE WHEN event_type = 'content_play'
                                   THEN CAST(event_details.play_duration AS BIGINT) * 1000000 ELSE 0 END
                                                                                AS end_us
    FROM events
),
gaps AS (
    SELECT *,
           row_number() OVER w                                                  AS seq,
           start_us - lag(end_us) OVER w                                        AS idle_us
    FROM timed
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_id)
),
numbered AS (
    SELECT *,
           sum(CASE WHEN idle_us IS NULL OR idle_us >= 1800 * 1000000 THEN 1 ELSE 0 END) OVER w
                                                                                AS session,
           -- the user's latest session start and latest browse up to this event: a browse
           -- came earlier in this event's session when it is at or after the session start
           max(CASE WHEN idle_us IS NULL OR idle_us >= 1800 * 1000000 THEN seq END) OVER w
                                                                                AS session_start_seq,
           max(CASE WHEN event_type = 'browse' THEN seq END) OVER w             AS last_browse_seq
    FROM gaps
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)
),
sessions AS (
    SELECT
        user_id,
        session,
        count(*) FILTER (WHERE event_type = 'browse') > 0                       AS has_browse,
        count(*) FILTER (WHERE event_type = 'search') > 0                       AS has_search,
        count(*) FILTER (WHERE event_type = 'content_play') > 0                 AS has_play,
        min(seq) FILTER (WHERE event_type = 'search')                           AS first_search,
        min(seq) FILTER (WHERE event_type = 'search' AND last_browse_seq >= session_start_seq)
                                                                                AS first_search_after_browse,
        max(seq) FILTER (WHERE event_type = 'content_play')                     AS last_play
    FROM numbered
    GROUP BY user_id, session
),
funnel AS (
    SELECT
        count(*)                                                                AS sessions,
        count(*) FILTER (WHERE has_browse)                                      AS with_browse,
        count(*) FILTER (WHERE has_search)                                      AS with_search,
        count(*) FILTER (WHERE has_play)                                        AS with_play,
        count(*) FILTER (WHERE last_play > first_search)                        AS search_then_play,
        count(*) FILTER (WHERE last_play > first_search_after_browse)           AS browse_search_play
    FROM sessions
)
SELECT
    sessions,
    with_browse,
    with_search,
    with_play,
    search_then_play,
    browse_search_play,
    round(with_browse / sessions, 4)                                            AS browse_share,
    round(with_search / sessions, 4)                                            AS search_share,
    round(with_play / sessions, 4)                                              AS play_share,
    round(search_then_play / sessions, 4)                                       AS search_then_play_share,
    round(browse_search_play / sessions, 4)                                     AS browse_search_play_share
FROM funnel;
