-- title: Top search queries
-- question: What are the 25 most frequent search queries (across all search-history entries), how many users typed them, and how many results do they return?
SELECT
    sh.query,
    count(*)                                                          AS searches,
    count(DISTINCT e.user_id)                                         AS users,
    round(avg(sh.results_count), 1)                                   AS avg_results_count,
    round(avg(CASE WHEN sh.results_count = 0 THEN 1 ELSE 0 END), 4)   AS zero_result_share
FROM search_history sh
JOIN events e ON e.event_id = sh.event_id
GROUP BY sh.query
ORDER BY searches DESC, sh.query
LIMIT 25;
