-- title: Rejection and quarantine reasons
-- needs: rejected or quarantined samples. Synthetic samples are exact and all pass; a LLaVA-OneVision source with model roles yields QA rejections and bad-input quarantines.
-- Why samples left the pipeline: rejected (a filter decided: routing, QA rules, judge) or quarantined (bad input
-- or unusable model output after repairs, DESIGN rule 7), by the stage that decided and the machine-readable code.
-- chart: {"mark":"bar","y":"reason_code:N","x":"sum(n):Q","color":"status:N","title":"Rejected and quarantined samples by reason"}
SELECT
  status,
  coalesce(stage, '(none)')       AS stage,
  coalesce(reason_code, '(none)') AS reason_code,
  count(*)                        AS n,
  any_value(reason)               AS example_reason
FROM samples
WHERE status IN ('rejected', 'quarantined')
GROUP BY status, stage, reason_code
ORDER BY n DESC, status, stage, reason_code;
