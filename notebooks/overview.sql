-- title: Dataset overview
-- Samples by source, kind and status across every run (the catalog keeps one row per run and sample id,
-- whatever the retries). Unrouted samples (rejected or quarantined before routing) show as "(unrouted)".
-- chart: {"mark":"bar","x":"kind:N","y":"sum(n):Q","color":"status:N","title":"Samples by kind and status"}
SELECT
  coalesce(source, '(none)')   AS source,
  coalesce(kind, '(unrouted)') AS kind,
  status,
  count(*)                     AS n,
  count(DISTINCT run)          AS runs
FROM samples
GROUP BY ALL
ORDER BY source, kind, status;
