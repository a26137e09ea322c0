// How a build's progress reads where users look: the Web UI's "Current Details" (Markdown) and the memo. Pure
// functions (deterministic, no Node built-ins): the workflow calls them, and the CLI reuses the one-line form.
import type { BuildProgress } from '../schemas/workflow.ts';

const top = (m: Record<string, number>, n: number) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n);
const list = (m: Record<string, number>, n = 8) =>
  top(m, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '—';

export function formatSeconds(sec: number): string {
  if (!Number.isFinite(sec)) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** State in a few words: why no samples start, or what the build is doing. */
export function stateWord(p: BuildProgress): string {
  if (p.halted)
    return `HALTED: ${p.halted.role} endpoint ${p.halted.host} is down (${p.halted.error}); ${p.waiting} sample${p.waiting === 1 ? '' : 's'} waiting; resumes when a probe succeeds or on \`r1ov resume ${p.run}\``;
  if (p.paused) return `paused (\`r1ov resume ${p.run}\` starts new samples again)`;
  return p.phase;
}

/** One line: `120/200 finished (60%) | done 100 rejected 10 quarantined 10 | in flight 30 | 3.2/s | ETA 25 s | ingesting`. */
export function progressLine(p: BuildProgress): string {
  const total = p.total ?? (p.sourceExhausted ? p.ingested : null);
  const of =
    total !== null
      ? `/${total} finished (${total > 0 ? Math.floor((100 * p.finished) / total) : 100}%)`
      : ` finished (${p.ingested} ingested so far)`;
  const eta = p.etaSec !== null ? ` | ETA ${formatSeconds(p.etaSec)}` : '';
  return `${p.finished}${of} | done ${p.counts.done} rejected ${p.counts.rejected} quarantined ${p.counts.quarantined} | in flight ${p.inFlight} | ${p.ratePerSec.toFixed(1)}/s${eta} | ${stateWord(p)}`;
}

/** The Web UI's "Current Details" of a build (rendered as Markdown). */
export function detailsMarkdown(p: BuildProgress): string {
  const lines = [
    `**r1ov build \`${p.run}\`** — ${stateWord(p)}`,
    '',
    `**Progress:** ${progressLine(p)}`,
    '',
    `**By status and stage:** ${list(p.byStage)}`,
    '',
    `**By kind:** ${list(p.byKind)}`,
  ];
  if (Object.keys(p.reasons).length) lines.push('', `**Top reasons:** ${list(p.reasons, 5)}`);
  return lines.join('\n');
}

/** The memo (shown in the Web UI's workflow details and returned by describe): small, flat, readable. */
export function memoOf(p: BuildProgress): Record<string, unknown> {
  return {
    kind: 'build',
    state: p.halted ? 'halted' : p.paused ? 'paused' : p.phase,
    progress: progressLine(p),
    finished: p.finished,
    total: p.total,
    ingested: p.ingested,
    inFlight: p.inFlight,
    done: p.counts.done,
    rejected: p.counts.rejected,
    quarantined: p.counts.quarantined,
    byStage: p.byStage,
    byKind: p.byKind,
    reasons: Object.fromEntries(top(p.reasons, 5)),
    ratePerSec: Math.round(p.ratePerSec * 100) / 100,
    etaSec: p.etaSec === null ? null : Math.round(p.etaSec),
    halted: p.halted,
    // The whole progress, for `r1ov status` when no worker can answer the progress query.
    snapshot: p,
  };
}
