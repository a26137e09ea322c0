/**
 * Gateway overhead per call: `chat()` (cache off: limits, accounting row, heartbeat plumbing, classification,
 * structured-output parse) against a raw `openai` client call to the same local fake server.
 *
 *   node --import tsx bench/gateway/run.ts [--calls 200] [--reps 5] [--json]
 *
 * The fake runs in its own process (test/support/fake-openai.ts, no added latency), so server time is not
 * charged to either side; calls are interleaved raw/gateway. Reported: per-rep median and p90 per call, the median over reps, ratio and overhead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { z } from 'zod';
import { chat } from '../../activities/llm/gateway.ts';
import { ResolvedEndpointSchema } from '../../schemas/config.ts';
import { median } from '../stats.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const CALLS = arg('--calls', 200);
const REPS = arg('--reps', 5);
const JSON_OUT = process.argv.includes('--json');

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function startFake(mode: 'echo' | 'json'): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL('../../test/support/fake-openai.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--mode', mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake server exited ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

const Out = z.object({ answer: z.string(), confidence: z.number() });

async function scenario(name: string, mode: 'echo' | 'json', home: string) {
  const fake = await startFake(mode);
  try {
    process.env.R1OV_BENCH_KEY = 'sk-bench';
    const endpoint = ResolvedEndpointSchema.parse({
      role: 'formalizer',
      baseUrl: fake.url,
      model: 'fake',
      apiKeyEnv: 'R1OV_BENCH_KEY',
      timeoutMs: 30_000,
    });
    const raw = new OpenAI({ baseURL: fake.url, apiKey: 'sk-bench', maxRetries: 0, timeout: 30_000 });
    const messages = (i: number) => [
      { role: 'system' as const, content: 'You turn charts into tables.' },
      {
        role: 'user' as const,
        content: `Question ${i}: what is the maximum value in the chart? ${'context '.repeat(40)}`,
      },
    ];
    const schema = mode === 'json' ? Out : undefined;
    const jsonSchema = schema ? (z.toJSONSchema(schema) as Record<string, unknown>) : undefined;
    const rawCall = async (i: number) => {
      const r = await raw.chat.completions.create({
        model: 'fake',
        messages: messages(i),
        ...(jsonSchema
          ? { response_format: { type: 'json_schema' as const, json_schema: { name: 'out', schema: jsonSchema } } }
          : {}),
      });
      const text = r.choices[0]!.message.content ?? '';
      if (schema) schema.parse(JSON.parse(text));
      return text;
    };
    let k = 0;
    const gwCall = (i: number) =>
      chat({
        endpoint,
        home,
        run: 'bench',
        sampleId: `s${k++}`,
        prompt: { id: 'bench/x', hash: 'bench0000000' },
        messages: messages(i),
        schema,
        noCache: true,
      });

    // Reference: one atomic file write (temp + rename) of a row-sized file, the unit of the gateway's accounting I/O.
    const probeDir = mkdtempSync(join(home, 'probe-'));
    const probe = async (i: number) => {
      const f = join(probeDir, `${i % 64}.json`);
      await writeFile(`${f}.tmp`, 'x'.repeat(480));
      await rename(`${f}.tmp`, f);
    };
    await timeEach(50, rawCall); // warm-up both paths (JIT, sockets)
    await timeEach(50, gwCall);
    const reps: Array<{ raw: number; gateway: number; rawP90: number; gatewayP90: number; atomicWrite: number }> = [];
    for (let r = 0; r < REPS; r++) {
      // Interleave call by call (order flipped each rep) so load from other processes hits both sides alike.
      const a: number[] = [];
      const b: number[] = [];
      const w: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const first = (i + r) % 2 === 0;
        if (first) a.push(...(await timeEach(1, () => rawCall(i))));
        b.push(...(await timeEach(1, () => gwCall(i))));
        if (!first) a.push(...(await timeEach(1, () => rawCall(i))));
        w.push(...(await timeEach(1, () => probe(i))));
      }
      reps.push({
        raw: median(a),
        gateway: median(b),
        rawP90: pct(a, 0.9),
        gatewayP90: pct(b, 0.9),
        atomicWrite: median(w),
      });
    }
    // Cache-hit path: same request twice, time the second.
    const hitReq = {
      endpoint,
      home,
      run: 'bench',
      sampleId: 'hit',
      prompt: { id: 'bench/x', hash: 'bench0000000' },
      messages: messages(-1),
      schema,
    };
    await chat(hitReq);
    const hits = await timeEach(CALLS, () => chat(hitReq));
    const rawMed = median(reps.map((x) => x.raw));
    const gwMed = median(reps.map((x) => x.gateway));
    return {
      name,
      calls: CALLS,
      reps,
      rawMedianMs: rawMed,
      gatewayMedianMs: gwMed,
      ratio: gwMed / rawMed,
      overheadMs: gwMed - rawMed,
      cacheHitMedianMs: median(hits),
      atomicWriteMedianMs: median(reps.map((x) => x.atomicWrite)),
    };
  } finally {
    fake.stop();
  }
}

const home = mkdtempSync(join(tmpdir(), 'r1ov-bench-gw-'));
try {
  const results = [
    await scenario('plain text (echo)', 'echo', home),
    await scenario('structured output (json schema)', 'json', home),
  ];
  if (JSON_OUT) process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
  else {
    const f = (x: number) => x.toFixed(3);
    for (const r of results) {
      console.log(`\n${r.name}: ${r.calls} sequential calls × ${r.reps.length} reps (ms per call)`);
      console.log('rep  raw-median  gw-median  raw-p90  gw-p90  atomic-write');
      r.reps.forEach((x, i) =>
        console.log(
          `${i}    ${f(x.raw)}      ${f(x.gateway)}     ${f(x.rawP90)}    ${f(x.gatewayP90)}   ${f(x.atomicWrite)}`,
        ),
      );
      console.log(
        `median of medians: raw ${f(r.rawMedianMs)} ms, gateway ${f(r.gatewayMedianMs)} ms, ratio ${r.ratio.toFixed(2)}×, overhead ${f(r.overheadMs)} ms/call`,
      );
      console.log(
        `cache hit: ${f(r.cacheHitMedianMs)} ms/call; one atomic file write on this disk: ${f(r.atomicWriteMedianMs)} ms`,
      );
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
