-- title: Binge rate
-- question: How often is a finished episode followed, as the user's next event in the same session, by a play of the next episode of the same show, and how many episodes of one show do users play in a row?
-- Sessions as in 15_sessions_30_minute_rule. The next episode has the same title and season and
-- episode + 1; only completed plays whose next episode some event refers to count.
-- A run is a session's consecutive plays of one show's consecutive episodes (a single play is a
-- run of one); binges are the runs of two or more.
WITH timed AS (
    SELECT
        user_id,
        event_id,
        event_type,
        timestamp                                                               AS ts,
        content.title                                                           AS title,
        content.season                                                          AS season,
        content.episode                                                         AS episode,
        event_details.completed                                                 AS completed,
        epoch_us(timestamp)                                                     AS start_us,
        epoch_us(timestamp) + CASE WHEN event_type = 'content_play'
                                   THEN CAST(event_details.play_duration AS BIGINT) * 1000000 ELSE 0 END
                                                                                AS end_us
    FROM events
),
neighbours AS (
    SELECT *,
           lag(event_type) OVER w = 'content_play'
               AND lag(title) OVER w = title
               AND lag(season) OVER w = season
               AND lag(episode) OVER w = episode - 1
               AND start_us - lag(end_us) OVER w < 1800 * 1000000               AS after_previous_episode,
           lead(event_type) OVER w = 'content_play'
               AND lead(title) OVER w = title
               AND lead(season) OVER w = season
               AND lead(episode) OVER w = episode + 1
               AND (lead(start_us) OVER w) - end_us < 1800 * 1000000            AS before_next_episode
    FROM timed
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_id)
),
episodes AS (
    -- every episode the events refer to
    SELECT DISTINCT content.title AS title, content.season AS season, content.episode AS episode
    FROM events
    WHERE content.episode IS NOT NULL
),
episode_plays AS (
    SELECT
        p.completed,
        n.episode IS NOT NULL                                                   AS has_next_episode,
        coalesce(p.after_previous_episode, false)                               AS continues_run,
        coalesce(p.before_next_episode, false)                                  AS next_follows
    FROM neighbours p
    LEFT JOIN episodes n
      ON  n.title   = p.title
      AND n.season  = p.season
      AND n.episode = p.episode + 1
    WHERE p.event_type = 'content_play' AND p.episode IS NOT NULL
),
counts AS (
    SELECT
        count(*) FILTER (WHERE completed AND has_next_episode)                  AS finished_with_next,
        count(*) FILTER (WHERE completed AND has_next_episode AND next_follows) AS next_played,
        count(*)                                                                AS episode_plays,
        count(*) FILTER (WHERE NOT continues_run)                               AS runs,
        count(*) FILTER (WHERE NOT continues_run AND NOT next_follows)          AS single_runs
    FROM episode_plays
)
SELECT
    finished_with_next                                                          AS finished_episodes,
    next_played                                                                 AS next_episode_played,
    round(next_played / nullif(finished_with_next, 0), 4)                       AS binge_rate,
    episode_plays,
    runs,
    round(episode_plays / nullif(runs, 0), 3)                                   AS episodes_in_a_row,
    runs - single_runs                                                          AS binges,
    round((episode_plays - single_runs) / nullif(runs - single_runs, 0), 3)     AS episodes_per_binge
FROM counts;
