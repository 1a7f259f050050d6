-- title: Heavy-user share
-- question: What share of events, plays and watch time comes from the top 1% of users by event count?
WITH per_user AS (
    SELECT
        user_id,
        count(*)                                               AS events,
        count(*) FILTER (WHERE event_type = 'content_play')    AS plays,
        coalesce(sum(play_duration), 0)                        AS watch_seconds
    FROM events
    GROUP BY user_id
),
ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY events DESC, user_id)   AS rnk,
           count(*)     OVER ()                                AS users
    FROM per_user
),
flagged AS (
    SELECT *, rnk <= ceil(users * 0.01) AS heavy
    FROM ranked
)
SELECT
    count(*)                                                            AS active_users,
    count(*) FILTER (WHERE heavy)                                       AS heavy_users,
    min(events) FILTER (WHERE heavy)                                    AS heavy_min_events,
    round(sum(events) FILTER (WHERE heavy) / sum(events), 4)            AS heavy_event_share,
    round(sum(plays) FILTER (WHERE heavy) / sum(plays), 4)              AS heavy_play_share,
    round(sum(watch_seconds) FILTER (WHERE heavy) / sum(watch_seconds), 4)
                                                                        AS heavy_watch_time_share,
    round(avg(events) FILTER (WHERE heavy), 1)                          AS heavy_avg_events,
    round(avg(events) FILTER (WHERE NOT heavy), 1)                      AS other_avg_events
FROM flagged;
