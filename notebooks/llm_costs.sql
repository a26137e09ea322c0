-- title: LLM tokens and cost
-- needs: language-model calls. The demo's synthetic build is exact and calls no model; build with model roles (`r1ov build --config r1ov.yaml`, or `--fidelity` on a synthetic source) to fill it.
-- Every model call recorded in llm_calls (DESIGN rule 6), by role and model: calls, cache hits, errors, tokens in
-- and out, estimated cost and mean latency. The chart stacks input and output tokens per role and model.
SELECT
  role,
  model,
  count(*)                                  AS calls,
  count(*) FILTER (cache_hit)               AS cache_hits,
  count(*) FILTER (status = 'error')        AS errors,
  coalesce(sum(tokens_in), 0)::BIGINT       AS tokens_in,
  coalesce(sum(tokens_out), 0)::BIGINT      AS tokens_out,
  round(coalesce(sum(cost_usd), 0), 6)      AS cost_usd,
  round(avg(latency_ms), 1)                 AS mean_latency_ms
FROM llm_calls
GROUP BY role, model
ORDER BY cost_usd DESC, role, model;
