-- title: Recommendation click-through by algorithm and position
-- question: What is the click-through rate of recommendations for each algorithm and list position?
WITH recs AS (
    SELECT unnest(recommendations) AS r
    FROM events
)
SELECT
    r.algorithm                                                 AS algorithm,
    r.position                                                  AS position,
    count(*)                                                    AS impressions,
    count(*) FILTER (WHERE r.clicked)                           AS clicks,
    round(avg(CASE WHEN r.clicked THEN 1 ELSE 0 END), 4)        AS ctr
FROM recs
GROUP BY r.algorithm, r.position
ORDER BY algorithm, position;
