-- title: Does revisiting the image help?
-- needs: a fidelity run with revisitRounds > 0 in its config (`r1ov build --source synthetic:200 --fidelity --config r1ov.yaml`).
-- With --fidelity on a synthetic source, the reasoner answers from the model formalizer's description, then
-- revisits the image (it names the facts it is unsure of, the vision model looks again, it answers again).
-- Mean answer accuracy before and after revisiting, per kind and model, next to the formal fidelity of the same
-- descriptions (formal_valid and the kind's structural scores), how often revisiting changed the answer, and how
-- many facts were asked. Empty until a fidelity run with revisitRounds > 0 exists.
-- requires-view: fidelity(run VARCHAR, sample_id VARCHAR, kind VARCHAR, metric VARCHAR, value DOUBLE, prompt_hash VARCHAR, model VARCHAR)
-- chart: {"mark":"bar","x":"kind:N","y":"mean:Q","color":"metric:N","offset":"metric:N","column":"model:N","title":"Answer accuracy before and after revisiting, and formal fidelity"}
SELECT
  coalesce(model, '(none)') AS model,
  kind,
  CASE WHEN metric IN ('answer_accuracy_first', 'answer_accuracy_revisit', 'revisit_changed', 'revisit_facts') THEN metric
       ELSE 'fidelity: ' || metric END AS metric,
  count(*)             AS n,
  round(avg(value), 4) AS mean
FROM fidelity
WHERE metric <> 'answer_accuracy'
GROUP BY ALL
ORDER BY model, kind, metric;
