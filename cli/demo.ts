import { join } from 'node:path';
import type { Command } from 'commander';
import { openCatalog } from '../core/catalog.ts';
import { sqlString } from '../core/sql.ts';
import { writeFileAtomic } from '../core/blobs.ts';
import { ensureDir, paths } from '../core/home.ts';
import { keys, storeFor } from '../core/storage/index.ts';
import { connectClient, workflowUrl } from '../core/temporal.ts';
import { startServer } from '../infra/server.ts';
import { runWorkers } from '../infra/worker.ts';
import { renderContactSheet } from '../activities/report/contact-sheet.ts';
import { buildWorkflowId } from '../schemas/queues.ts';
import { prepareBuild, startOrAttach, waitWithProgress } from './build.ts';
import { globals, log } from './context.ts';
import { renderTable } from './table.ts';

/**
 * The main job on the embedded defaults: the dev server, a worker in this process, a synthetic build (exact formal
 * descriptions and derivations: no language model needed), then where to look. Re-running attaches to the same run.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the embedded server and a worker, build synthetic:N, print a summary and where to look')
    .option('--samples <n>', 'synthetic samples', (v) => Number(v), 200)
    .option('--run <name>', 'run name', 'demo')
    .action(async (o: { samples: number; run: string }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const t0 = Date.now();
      const server = await startServer({ home, log });
      log(`Temporal dev server at ${server.address}; Web UI ${server.uiUrl}`);
      const stopWorkers = new AbortController();
      let workerError: unknown;
      let ready!: () => void;
      const workerReady = new Promise<void>((r) => (ready = r));
      const workers = runWorkers({ home, onReady: () => ready() }, stopWorkers.signal).catch((err) => {
        workerError = err;
        ready();
      });
      await workerReady;
      if (workerError) throw workerError;
      const input = await prepareBuild({ source: `synthetic:${o.samples}`, run: o.run });
      const { client, target, close } = await connectClient(home);
      let status: string;
      try {
        const { handle, started } = await startOrAttach(client, input);
        log(`${started ? 'building' : 'attached to'} ${handle.workflowId}`);
        ({ status } = await waitWithProgress(client, handle, { quiet: json, limit: o.samples }));
      } finally {
        await close();
        stopWorkers.abort();
        await workers;
      }

      const { conn, close: closeCatalog } = await openCatalog(home);
      let summary: Array<Record<string, unknown>>;
      let sheetRows: Array<Record<string, unknown>>;
      try {
        const run = sqlString(o.run);
        summary = (
          await conn.runAndReadAll(`SELECT coalesce(kind, '-') AS kind, count(*) FILTER (status = 'done')::INT AS done,
            count(*) FILTER (status = 'rejected')::INT AS rejected, count(*) FILTER (status = 'quarantined')::INT AS quarantined, count(*)::INT AS total
          FROM samples WHERE run = ${run} GROUP BY ALL ORDER BY kind`)
        ).getRowObjectsJson() as Array<Record<string, unknown>>;
        sheetRows = (
          await conn.runAndReadAll(`SELECT image_key, subset, question, answer FROM records WHERE run = ${run}
          QUALIFY row_number() OVER (PARTITION BY subset ORDER BY sample_id) <= 2 ORDER BY subset, sample_id LIMIT 16`)
        ).getRowObjectsJson() as Array<Record<string, unknown>>;
      } finally {
        closeCatalog();
      }
      const sheet = join(ensureDir(paths.run(home, o.run)), 'contact-sheet.png');
      writeFileAtomic(
        sheet,
        await renderContactSheet(
          home,
          sheetRows.map((r) => ({
            imageKey: String(r.image_key),
            title: String(r.subset),
            question: String(r.question),
            answer: String(r.answer),
          })),
        ),
      );
      const totals = summary.reduce<Record<string, number>>((acc, r) => {
        for (const k of ['done', 'rejected', 'quarantined', 'total']) acc[k] = (acc[k] ?? 0) + Number(r[k]);
        return acc;
      }, {});
      const result = {
        run: o.run,
        status,
        totals,
        byKind: summary,
        uiUrl: workflowUrl(target, buildWorkflowId(o.run)),
        webUi: server.uiUrl,
        shards: storeFor(home).url(keys.shards(o.run)),
        contactSheet: sheet,
        seconds: Math.round((Date.now() - t0) / 100) / 10,
      };
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        process.stdout.write(
          `\n${renderTable(['kind', 'done', 'rejected', 'quarantined', 'total'], [...summary, { kind: 'all', ...totals }])}\n\n`,
        );
        process.stdout.write(
          [
            `run ${o.run}: ${status} in ${result.seconds} s`,
            `Web UI:        ${server.uiUrl}  (this run: ${result.uiUrl})`,
            `shards:        ${result.shards}`,
            `contact sheet: ${sheet}`,
            `query:         npx r1ov sql "select kind, status, count(*) from samples group by all"`,
            `stop server:   npx r1ov server stop`,
          ].join('\n') + '\n',
        );
      }
      if (status !== 'COMPLETED') process.exitCode = 1;
    });
}
