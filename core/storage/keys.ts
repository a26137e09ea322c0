/** The object keys r1ov writes: the same relative paths on disk and in a bucket (see object-store.ts). */
export const keys = {
  blob: (hash: string) => {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`invalid blob key: ${hash.slice(0, 80)}`);
    return `blobs/${hash.slice(0, 2)}/${hash}`;
  },
  runs: () => 'runs/',
  run: (run: string) => `runs/${run}/`,
  staging: (run: string) => `runs/${run}/staging/`,
  llmStaging: (run: string) => `runs/${run}/staging-llm/`,
  fidelityStaging: (run: string) => `runs/${run}/staging-fidelity/`,
  shards: (run: string) => `runs/${run}/shards/`,
  llmShards: (run: string) => `runs/${run}/llm_calls/`,
  fidelityShards: (run: string) => `runs/${run}/fidelity/`,
  runManifest: (run: string) => `runs/${run}/run.json`,
  evalStaging: (run: string) => `runs/${run}/staging-eval/`,
  evalItems: (run: string) => `runs/${run}/eval/`,
  evalManifest: (run: string) => `runs/${run}/eval-run.json`,
};
