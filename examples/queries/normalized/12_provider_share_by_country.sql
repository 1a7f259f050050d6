-- title: Provider share of watch time by country
-- question: In each country, what share of the watch time goes to each content provider?
WITH watch AS (
    SELECT
        e.location_country                    AS country,
        c.provider,
        sum(e.play_duration)                  AS watch_seconds
    FROM events e
    JOIN content c ON c.content_id = e.content_id
    WHERE e.event_type = 'content_play'
    GROUP BY e.location_country, c.provider
)
SELECT
    country,
    provider,
    round(watch_seconds / 3600, 1)                                                  AS watch_hours,
    round(watch_seconds / sum(watch_seconds) OVER (PARTITION BY country), 4)        AS share_of_country,
    rank() OVER (PARTITION BY country ORDER BY watch_seconds DESC)                  AS rank_in_country
FROM watch
ORDER BY country, rank_in_country, provider;
