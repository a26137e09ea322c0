// One cold process scoring every pair of a JSONL file once: the bench times it from outside,
// process start (node, module loading) included. Usage: node --import tsx bench/rewards/score-once.ts PAIRS.jsonl
import { readFileSync } from 'node:fs';
import { scoreCompletion } from '../../core/rewards/index.ts';

const path = process.argv[2];
if (!path) throw new Error('score-once: missing PAIRS.jsonl argument');
let correct = 0;
for (const line of readFileSync(path, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const p = JSON.parse(line) as { completion: string; gold: string };
  correct += scoreCompletion({ completion: p.completion, groundTruth: p.gold }).accuracy;
}
process.stdout.write(`${correct}\n`);
