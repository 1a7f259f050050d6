-- title: Recommendation click-through by algorithm and position
-- question: What is the click-through rate of recommendations for each algorithm and list position?
SELECT
    algorithm,
    "position",
    count(*)                                                AS impressions,
    count(*) FILTER (WHERE clicked)                         AS clicks,
    round(avg(CASE WHEN clicked THEN 1 ELSE 0 END), 4)      AS ctr
FROM recommendations
GROUP BY algorithm, "position"
ORDER BY algorithm, "position";
