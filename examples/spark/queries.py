#!/usr/bin/env python3
"""The analytics query suite (examples/queries/nested/) in Spark SQL, on a nested dataset.

    python examples/spark/queries.py DIR [--repeat N] [--warmup N] [--show [ROWS]]
                                         [--only TEXT] [--subscriptions DIR] [--master local[*]]

DIR is the output of `customer-events generate` (Hive-partitioned or flat); it is
read with spark.read.parquet and registered as the temporary view `events`. With
--subscriptions, the `subscriptions` folder of a normalized dataset of the same
options is registered too, for the point-in-time join (20).
Spark runs in local mode with spark.sql.session.timeZone=UTC. Each query is run
`--warmup` times untimed and `--repeat` times timed (collect()); the table shows
the best wall-clock time. The exit code is 1 if any query fails.

The query names match examples/queries/nested/NN_name.sql; the SQL differs only
where the dialects do: from_utc_timestamp() for local time, explode()/inline()
for lists, percentile() for median, dayofweek() (1 = Sunday) for the weekday,
unix_micros() for epoch_us().
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

QUERIES: dict[str, tuple[str, str]] = {}


def query(name: str, title: str, sql: str) -> None:
    QUERIES[name] = (title, sql)


query("01_daily_active_users", "Daily active users", """
SELECT
    event_date,
    count(DISTINCT user_id)                                  AS active_users,
    count(*)                                                 AS events,
    count(*) FILTER (WHERE event_type = 'content_play')      AS plays,
    round(count(*) / count(DISTINCT user_id), 2)             AS events_per_user,
    round(sum(event_details.play_duration) / 3600, 1)        AS watch_hours
FROM events
GROUP BY event_date
ORDER BY event_date
""")

query("02_top_titles_by_watch_time", "Top titles by watch time", """
WITH per_title AS (
    SELECT
        content.id                                           AS content_id,
        content.title                                        AS title,
        content.type                                         AS content_type,
        content.season                                       AS season,
        content.episode                                      AS episode,
        content.provider                                     AS provider,
        count(*)                                             AS plays,
        count(DISTINCT user_id)                              AS viewers,
        sum(event_details.play_duration)                     AS watch_seconds,
        avg(event_details.play_percentage)                   AS avg_play_pct
    FROM events
    WHERE event_type = 'content_play'
    GROUP BY content.id, content.title, content.type, content.season, content.episode, content.provider
)
SELECT content_id, title, content_type, season, episode, provider, plays, viewers,
       round(watch_seconds / 3600, 1)                        AS watch_hours,
       round(avg_play_pct, 1)                                AS avg_play_pct
FROM per_title
ORDER BY watch_seconds DESC, content_id
LIMIT 20
""")

query("03_completion_rate_by_device_plan", "Completion rate by device type and plan", """
SELECT
    device.type                                                           AS device_type,
    user_subscription.plan                                                AS plan,
    count(*)                                                              AS plays,
    count(*) FILTER (WHERE event_details.completed)                       AS completed_plays,
    round(avg(CASE WHEN event_details.completed THEN 1 ELSE 0 END), 4)    AS completion_rate,
    round(avg(event_details.play_percentage), 1)                          AS avg_play_pct
FROM events
WHERE event_type = 'content_play'
GROUP BY device.type, user_subscription.plan
ORDER BY device_type, plan
""")

query("04_buffering_by_network", "Buffering by network type and quality", """
SELECT
    event_details.network_type                                                        AS network_type,
    event_details.playback_quality                                                    AS playback_quality,
    count(*)                                                                          AS plays,
    round(avg(event_details.buffering_incidents), 3)                                  AS avg_buffering_incidents,
    round(avg(CASE WHEN event_details.buffering_incidents >= 1 THEN 1 ELSE 0 END), 4) AS share_with_buffering,
    round(sum(event_details.buffering_incidents) / (sum(event_details.play_duration) / 3600), 3)
                                                                                      AS incidents_per_watch_hour
FROM events
WHERE event_type = 'content_play'
GROUP BY event_details.network_type, event_details.playback_quality
ORDER BY network_type,
         CASE playback_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 ELSE 4 END
""")

query("05_search_to_play_conversion", "Search-to-play conversion", """
WITH searches AS (
    SELECT event_id, user_id, content.id AS content_id, `timestamp` AS ts, event_date
    FROM events
    WHERE event_type = 'search'
),
plays AS (
    SELECT user_id, content.id AS content_id, `timestamp` AS ts, event_date
    FROM events
    WHERE event_type = 'content_play'
),
converted AS (
    SELECT s.event_id,
           s.user_id,
           min((unix_micros(p.ts) - unix_micros(s.ts)) / 1000000)  AS seconds_to_play
    FROM searches s
    JOIN plays p
      ON  p.user_id    = s.user_id
      AND p.content_id = s.content_id
      AND p.event_date = s.event_date
      AND p.ts         > s.ts
    GROUP BY s.event_id, s.user_id
)
SELECT
    count(*)                                                             AS searches,
    count(c.event_id)                                                    AS converted_searches,
    round(count(c.event_id) / count(*), 4)                               AS search_conversion_rate,
    count(DISTINCT s.user_id)                                            AS searching_users,
    count(DISTINCT c.user_id)                                            AS converting_users,
    round(count(DISTINCT c.user_id) / count(DISTINCT s.user_id), 4)      AS user_conversion_rate,
    round(percentile(c.seconds_to_play, 0.5) / 60, 1)                    AS median_minutes_to_play
FROM searches s
LEFT JOIN converted c ON c.event_id = s.event_id
""")

query("06_recommendation_ctr", "Recommendation click-through by algorithm and position", """
WITH recs AS (
    SELECT inline(recommendations)          -- content_id, position, algorithm, clicked
    FROM events
)
SELECT
    algorithm,
    position,
    count(*)                                                AS impressions,
    count(*) FILTER (WHERE clicked)                         AS clicks,
    round(avg(CASE WHEN clicked THEN 1 ELSE 0 END), 4)      AS ctr
FROM recs
GROUP BY algorithm, position
ORDER BY algorithm, position
""")

query("07_heavy_user_share", "Heavy-user share", """
WITH per_user AS (
    SELECT
        user_id,
        count(*)                                               AS events,
        count(*) FILTER (WHERE event_type = 'content_play')    AS plays,
        coalesce(sum(event_details.play_duration), 0)          AS watch_seconds
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
FROM flagged
""")

query("08_local_hour_of_day", "Events by hour of day in the user's local time", """
SELECT
    hour(from_utc_timestamp(`timestamp`, location.timezone))            AS local_hour,
    count(*)                                                            AS events,
    count(*) FILTER (WHERE event_type = 'content_play')                 AS plays,
    round(count(*) / sum(count(*)) OVER (), 4)                          AS share_of_events
FROM events
GROUP BY hour(from_utc_timestamp(`timestamp`, location.timezone))
ORDER BY local_hour
""")

query("09_weekday_vs_weekend", "Weekday vs weekend activity per day", """
WITH per_day AS (
    SELECT
        event_date,
        count(*)                                       AS events,
        count(DISTINCT user_id)                        AS active_users,
        coalesce(sum(event_details.play_duration), 0)  AS watch_seconds
    FROM events
    GROUP BY event_date
),
classes AS (
    SELECT
        CASE WHEN dayofweek(event_date) IN (1, 7) THEN 'weekend' ELSE 'weekday' END AS day_class,
        count(*)                                       AS days,
        sum(events)                                    AS events,
        avg(events)                                    AS events_per_day,
        avg(active_users)                              AS active_users_per_day,
        avg(watch_seconds) / 3600                      AS watch_hours_per_day
    FROM per_day
    GROUP BY CASE WHEN dayofweek(event_date) IN (1, 7) THEN 'weekend' ELSE 'weekday' END
)
SELECT
    day_class,
    days,
    events,
    round(events_per_day, 1)                           AS events_per_day,
    round(active_users_per_day, 1)                     AS active_users_per_day,
    round(watch_hours_per_day, 1)                      AS watch_hours_per_day,
    round(events_per_day / max(CASE WHEN day_class = 'weekday' THEN events_per_day END) OVER (), 3)
                                                       AS events_per_day_vs_weekday
FROM classes
ORDER BY day_class
""")

query("10_quality_changes", "Quality changes", """
WITH actions AS (
    SELECT explode(user_action) AS a
    FROM events
    WHERE event_type = 'content_play'
),
changes AS (
    SELECT a.old_quality AS old_quality, a.new_quality AS new_quality
    FROM actions
    WHERE a.action_type = 'change quality'
)
SELECT
    old_quality,
    new_quality,
    CASE WHEN CASE new_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 END
            > CASE old_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 END
         THEN 'upgrade' ELSE 'downgrade' END                    AS direction,
    count(*)                                                    AS changes,
    round(count(*) / sum(count(*)) OVER (), 4)                  AS share_of_changes
FROM changes
GROUP BY old_quality, new_quality
ORDER BY changes DESC, old_quality, new_quality
""")

query("11_top_search_queries", "Top search queries", """
WITH searches AS (
    SELECT user_id, explode(search_history) AS sh
    FROM events
)
SELECT
    sh.query                                                         AS query,
    count(*)                                                         AS searches,
    count(DISTINCT user_id)                                          AS users,
    round(avg(sh.results_count), 1)                                  AS avg_results_count,
    round(avg(CASE WHEN sh.results_count = 0 THEN 1 ELSE 0 END), 4)  AS zero_result_share
FROM searches
GROUP BY sh.query
ORDER BY searches DESC, query
LIMIT 25
""")

query("12_provider_share_by_country", "Provider share of watch time by country", """
WITH watch AS (
    SELECT
        location.country                      AS country,
        content.provider                      AS provider,
        sum(event_details.play_duration)      AS watch_seconds
    FROM events
    WHERE event_type = 'content_play'
    GROUP BY location.country, content.provider
)
SELECT
    country,
    provider,
    round(watch_seconds / 3600, 1)                                                  AS watch_hours,
    round(watch_seconds / sum(watch_seconds) OVER (PARTITION BY country), 4)        AS share_of_country,
    rank() OVER (PARTITION BY country ORDER BY watch_seconds DESC)                  AS rank_in_country
FROM watch
ORDER BY country, rank_in_country, provider
""")

query("13_play_percentage_by_content_type", "Play percentage by content type", """
SELECT
    content.type                                                        AS content_type,
    count(*)                                                            AS plays,
    round(avg(event_details.play_percentage), 2)                        AS avg_play_pct,
    round(percentile(event_details.play_percentage, 0.5), 2)            AS median_play_pct,
    round(avg(CASE WHEN event_details.completed THEN 1 ELSE 0 END), 4)  AS completion_rate,
    round(avg(content.duration), 1)                                     AS avg_duration_min,
    round(avg(event_details.play_duration) / 60, 1)                     AS avg_watch_min
FROM events
WHERE event_type = 'content_play'
GROUP BY content.type
ORDER BY avg_play_pct DESC, content_type
""")

query("14_plan_mix_by_country", "Plan mix by country", """
WITH users AS (
    SELECT
        user_id,
        first(location.country)                                 AS country,
        max_by(user_subscription.plan, `timestamp`)             AS plan,
        max_by(user_subscription.billing_cycle, `timestamp`)    AS billing_cycle
    FROM events
    GROUP BY user_id
)
SELECT
    country,
    plan,
    count(*)                                                                AS users,
    round(count(*) / sum(count(*)) OVER (PARTITION BY country), 4)          AS share_of_country,
    round(avg(CASE WHEN billing_cycle = 'yearly' THEN 1 ELSE 0 END), 4)     AS yearly_share
FROM users
GROUP BY country, plan
ORDER BY country, plan
""")


query("15_sessions_30_minute_rule", "Sessions by the 30-minute rule", """
WITH timed AS (
    SELECT
        user_id,
        event_id,
        `timestamp`                                                             AS ts,
        unix_micros(`timestamp`)                                                AS start_us,
        unix_micros(`timestamp`) + CASE WHEN event_type = 'content_play'
                                        THEN CAST(event_details.play_duration AS BIGINT) * 1000000 ELSE 0 END
                                                                                AS end_us,
        device.model                                                            AS device_model,
        device.os                                                               AS device_os
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
    round(percentile(minutes, 0.5), 1)                                          AS median_session_minutes,
    round(avg(CASE WHEN events = 1 THEN 1 ELSE 0 END), 4)                       AS single_event_share,
    round((SELECT percentile(idle_us, 0.5) FROM gaps WHERE idle_us < 1800 * 1000000) / 1e6, 1)
                                                                                AS median_idle_seconds,
    round(avg(CASE WHEN one_device THEN 1 ELSE 0 END), 4)                       AS one_device_share
FROM sessions
""")

query("16_browse_search_play_funnel", "Browse, search and play funnel per session", """
WITH timed AS (
    SELECT
        user_id,
        event_id,
        event_type,
        `timestamp`                                                             AS ts,
        unix_micros(`timestamp`)                                                AS start_us,
        unix_micros(`timestamp`) + CASE WHEN event_type = 'content_play'
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
FROM funnel
""")

query("17_binge_rate", "Binge rate", """
WITH timed AS (
    SELECT
        user_id,
        event_id,
        event_type,
        `timestamp`                                                             AS ts,
        content.title                                                           AS title,
        content.season                                                          AS season,
        content.episode                                                         AS episode,
        event_details.completed                                                 AS completed,
        unix_micros(`timestamp`)                                                AS start_us,
        unix_micros(`timestamp`) + CASE WHEN event_type = 'content_play'
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
FROM counts
""")

query("18_weekly_retention_cohorts", "Weekly retention cohorts", """
WITH activity AS (
    SELECT DISTINCT
        user_id,
        floor(datediff(event_date, (SELECT min(event_date) FROM events)) / 7)  AS week
    FROM events
),
cohorts AS (
    SELECT user_id, min(week) AS cohort_week
    FROM activity
    GROUP BY user_id
),
counted AS (
    SELECT c.cohort_week, a.week - c.cohort_week AS weeks_later, count(*) AS active_users
    FROM cohorts c
    JOIN activity a ON a.user_id = c.user_id
    GROUP BY c.cohort_week, a.week
)
SELECT
    cohort_week,
    weeks_later,
    active_users,
    round(active_users / max(CASE WHEN weeks_later = 0 THEN active_users END) OVER (PARTITION BY cohort_week), 4)
                                                                            AS retention
FROM counted
ORDER BY cohort_week, weeks_later
""")

query("19_churn_by_plan", "Churn by plan", """
WITH bounds AS (
    SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM events
),
per_user AS (
    SELECT
        user_id,
        min_by(user_subscription.plan, `timestamp`)                         AS plan,
        min(event_date)                                                     AS first_seen,
        max(event_date)                                                     AS last_seen,
        count(DISTINCT user_subscription.plan) > 1                          AS changed_plan,
        count(DISTINCT user_subscription.start_date) > 1                    AS came_back
    FROM events
    GROUP BY user_id
)
SELECT
    plan,
    count(*)                                                                        AS users_in_first_week,
    round(avg(CASE WHEN last_seen <= date_sub(last_day, 7) THEN 1 ELSE 0 END), 4)   AS not_seen_in_last_week,
    round(avg(CASE WHEN changed_plan THEN 1 ELSE 0 END), 4)                         AS changed_plan,
    round(avg(CASE WHEN came_back THEN 1 ELSE 0 END), 4)                            AS came_back
FROM per_user CROSS JOIN bounds
WHERE first_seen < date_add(first_day, 7)
GROUP BY plan
ORDER BY plan
""")

# Needs the subscriptions table of a normalized dataset (--subscriptions).
query("20_point_in_time_join", "Point-in-time join to subscriptions", """
WITH as_of AS (
    SELECT
        e.event_id,
        e.user_id,
        e.event_details.play_duration                                         AS play_duration,
        e.user_subscription.plan                                              AS carried_plan,
        count(s.user_id)                                                      AS versions,
        first(s.plan)                                                         AS plan
    FROM events e
    LEFT JOIN subscriptions s
      ON  s.user_id = e.user_id
      AND e.`timestamp` >= s.valid_from
      AND (s.valid_to IS NULL OR e.`timestamp` < s.valid_to)
    GROUP BY e.event_id, e.user_id, e.event_details.play_duration, e.user_subscription.plan
),
current_plan AS (
    SELECT user_id, plan AS current_plan FROM subscriptions WHERE is_current
)
SELECT
    plan                                                                      AS plan_in_force,
    count(*)                                                                  AS events,
    count_if(versions <> 1)                                                   AS events_not_joining_one_version,
    count_if(plan <> carried_plan)                                            AS events_carrying_another_plan,
    round(sum(play_duration) / 3600, 1)                                       AS watch_hours,
    round(sum(CASE WHEN current_plan IS DISTINCT FROM plan THEN play_duration END)
          / nullif(sum(play_duration), 0), 4)                                 AS watch_share_misattributed_by_current
FROM as_of
LEFT JOIN current_plan USING (user_id)
GROUP BY plan
ORDER BY plan
""")
NEEDS_SUBSCRIPTIONS = {"20_point_in_time_join"}


def format_table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def cell(value: object, width: int = 40) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.1f}"
        if text.lstrip("-").isdigit():
            text += ".0"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", type=Path, help="nested dataset folder")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="timed runs per query; the best is shown (default 1)")
    p.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs before timing (default 1)")
    p.add_argument("--show", type=int, nargs="?", const=10, default=0, metavar="ROWS",
                   help="print the first ROWS rows of each result (default 10 when given)")
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="run only queries whose name contains TEXT (repeatable)")
    p.add_argument("--subscriptions", type=Path, metavar="DIR",
                   help="the subscriptions/ folder of a normalized dataset of the same options, "
                        "for the point-in-time join (skipped without it)")
    p.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    p.add_argument("--driver-memory", default="2g", help="spark.driver.memory (default 2g)")
    p.add_argument("--shuffle-partitions", type=int, default=8, metavar="N",
                   help="spark.sql.shuffle.partitions (default 8, plenty for a local run)")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        p.error("--repeat must be >= 1 and --warmup >= 0")
    if not args.dir.is_dir():
        p.error(f"{args.dir} is not a folder")
    names = [n for n in QUERIES if (not args.only or any(t in n for t in args.only))
             and (args.subscriptions or n not in NEEDS_SUBSCRIPTIONS)]
    if not names:
        p.error(f"no queries matching {args.only}")

    from pyspark.sql import SparkSession  # imported late so --help works without a JVM

    spark = (
        SparkSession.builder.master(args.master)
        .appName("customer-events queries")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        events = spark.read.parquet(str(args.dir.resolve()))
        if "event_date" not in events.columns:
            # Flat output (`--partition-by none`): derive the UTC day the partition would hold.
            from pyspark.sql.functions import col, to_date

            events = events.withColumn("event_date", to_date(col("timestamp")))
        events.createOrReplaceTempView("events")
        if args.subscriptions:
            spark.read.parquet(str(args.subscriptions.resolve())).createOrReplaceTempView("subscriptions")
        print(f"spark {spark.version}  master={args.master}  data={args.dir}  "
              f"warmup={args.warmup} repeat={args.repeat}")
        print()

        results: list[list[str]] = []
        failures = 0
        total = 0.0
        for name in names:
            title, sql = QUERIES[name]
            try:
                for _ in range(args.warmup):
                    spark.sql(sql).collect()
                best = float("inf")
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    df = spark.sql(sql)
                    rows = df.collect()
                    best = min(best, time.perf_counter() - start)
                columns = df.columns
            except Exception as e:  # AnalysisException, ParseException, Py4JJavaError, ...
                failures += 1
                results.append([name, "FAILED", "-"])
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                print(f"FAILED {name}: {first}", file=sys.stderr)
                continue
            total += best
            results.append([name, str(len(rows)), f"{best:.3f}"])
            if args.show:
                print(f"== {name}: {title}")
                shown = [[cell(v) for v in r] for r in rows[: args.show]]
                numeric = {i for i, v in enumerate(rows[0]) if isinstance(v, (int, float))} if rows else set()
                print(format_table(columns, shown, numeric))
                if len(rows) > args.show:
                    print(f"… {len(rows) - args.show} more rows")
                print()

        results.append(["total", "", f"{total:.3f}"])
        print(format_table(["query", "rows", "seconds"], results, {1, 2}))
    finally:
        spark.stop()
    if failures:
        print(f"\n{failures} of {len(names)} queries failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
