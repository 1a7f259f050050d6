-- title: Quality changes
-- question: Which playback-quality switches (old -> new) do users make, how often, and are they up- or downgrades?
SELECT
    old_quality,
    new_quality,
    CASE WHEN CASE new_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 END
            > CASE old_quality WHEN 'SD' THEN 1 WHEN 'HD' THEN 2 WHEN '4K' THEN 3 END
         THEN 'upgrade' ELSE 'downgrade' END                    AS direction,
    count(*)                                                    AS changes,
    round(count(*) / sum(count(*)) OVER (), 4)                  AS share_of_changes
FROM user_actions
WHERE action_type = 'change quality'
GROUP BY old_quality, new_quality
ORDER BY changes DESC, old_quality, new_quality;
