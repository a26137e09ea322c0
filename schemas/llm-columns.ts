/** DuckDB column types of an `llm_calls` row (schemas/llm.ts holds its zod schema); shards use exactly these. */
export const LLM_CALL_COLUMNS: Record<string, string> = {
  call_id: 'VARCHAR', run: 'VARCHAR', sample_id: 'VARCHAR', role: 'VARCHAR', model: 'VARCHAR', base_url_host: 'VARCHAR',
  prompt_id: 'VARCHAR', prompt_hash: 'VARCHAR', params_hash: 'VARCHAR', tokens_in: 'BIGINT', tokens_out: 'BIGINT',
  latency_ms: 'DOUBLE', cache_hit: 'BOOLEAN', cost_usd: 'DOUBLE', status: 'VARCHAR', error: 'VARCHAR', attempt: 'INTEGER',
  created_at: 'VARCHAR',
};
