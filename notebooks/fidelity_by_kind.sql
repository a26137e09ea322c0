-- title: Formalization fidelity by kind
-- needs: a fidelity run: `r1ov build --source synthetic:200 --run fid --fidelity --config r1ov.yaml` (a formalizer endpoint scored against the exact specs).
-- How close the model path's formal descriptions come to the synthetic generator's exact ones:
-- mean score per kind and metric (cell accuracy, element/connection F1, node/edge F1, answer accuracy), for each
-- model and prompt version, so prompt versions and models can be compared. Empty until a fidelity run exists.
-- requires-view: fidelity(run VARCHAR, sample_id VARCHAR, kind VARCHAR, metric VARCHAR, value DOUBLE, prompt_hash VARCHAR, model VARCHAR)
-- chart: {"mark":"bar","x":"kind:N","y":"mean:Q","color":"metric:N","offset":"metric:N","column":"variant:N","title":"Fidelity by kind and metric"}
SELECT
  coalesce(model, '(none)') || ' @ ' || coalesce(left(prompt_hash, 8), '-') AS variant,
  model,
  prompt_hash,
  kind,
  metric,
  count(*)               AS n,
  count(DISTINCT run)    AS runs,
  round(avg(value), 4)   AS mean,
  round(min(value), 4)   AS min,
  round(max(value), 4)   AS max
FROM fidelity
GROUP BY ALL
ORDER BY model, prompt_hash, kind, metric;
