-- title: Quality changes
-- question: Which playback-quality switches (old -> new) do users make, how often, and are they up- or downgrades?
WITH actions AS (
    SELECT unnest(user_action) AS a
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
ORDER BY changes DESC, old_quality, new_quality;
