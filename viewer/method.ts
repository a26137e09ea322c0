/**
 * Sample-page sections for the method's extra evidence: executable checks of the formal text (ngspice, DuckDB
 * typing, flowchart reachability), the revisit loop (facts asked, what the vision model saw, what changed), the
 * judge's edit outcome, and where boxes and OCR lines came from. Rows are `samples` rows (schemas/sample.ts).
 */
import { KindCheckSchema } from '../schemas/checks.ts';
import { html, type Raw } from './html.ts';
import { parseJson } from './render.ts';
import type { Row } from './store.ts';

const badge = (ok: boolean | null, text: string) =>
  html`<span class="badge ${ok === null ? '' : ok ? 'done' : 'rejected'}">${text}</span>`;

/** The checks column group; nothing when no check applied. */
export function checksHtml(s: Row): Raw {
  const rows: Raw[] = [];
  if (s.sim_status) {
    const agrees = s.sim_agrees === null || s.sim_agrees === undefined ? null : Boolean(s.sim_agrees);
    rows.push(html`<tr><th>SPICE (ngspice)</th><td>${badge(s.sim_status === 'simulated' ? true : s.sim_status === 'unavailable' ? null : false, String(s.sim_status))}
      ${s.sim_quantity ? html` ${s.sim_quantity} = <strong>${Number(s.sim_value).toPrecision(6)}</strong>` : ''}
      ${agrees !== null ? html` · trace answer ${badge(agrees, agrees ? 'agrees' : 'disagrees')}` : ''}</td></tr>`);
  }
  if (s.table_check)
    rows.push(
      html`<tr><th>table (DuckDB)</th><td>${badge(s.table_check === 'typed', String(s.table_check))}</td></tr>`,
    );
  if (s.flow_check)
    rows.push(html`<tr><th>flowchart</th><td>${badge(s.flow_check === 'reachable', String(s.flow_check))}</td></tr>`);
  const detail = parseJson(s.formal_checks as string | null) as Record<
    string,
    { message?: string | null; types?: string[]; columns?: string[] } | null
  > | null;
  // A formal kind's own check (schemas/checks.ts KindCheckSchema) has no column: it is read from formal_checks.
  const own = KindCheckSchema.safeParse(detail?.kindCheck);
  if (own.success) {
    const values = Object.entries(own.data.values)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(' · ');
    rows.push(
      html`<tr><th>${own.data.kind}</th><td>${badge(own.data.ok, own.data.status)}${values ? html` ${values}` : ''}</td></tr>`,
    );
  }
  if (rows.length === 0) return html``;
  const messages = detail ? Object.entries(detail).flatMap(([k, v]) => (v?.message ? [`${k}: ${v.message}`] : [])) : [];
  const types = detail?.table?.columns?.length
    ? detail.table.columns.map((c, i) => `${c} ${detail.table!.types?.[i] ?? ''}`).join(', ')
    : '';
  return html`<h2>Checks</h2><table class="kv" data-testid="checks">${rows}
    ${types ? html`<tr><th>columns</th><td>${types}</td></tr>` : ''}
    ${messages.map((m) => html`<tr><th></th><td class="reason">${m}</td></tr>`)}</table>`;
}

interface RevisitRound {
  round: number;
  facts: Array<{ target: string; question: string; answer: string | null }>;
  answerBefore: string | null;
  answerAfter: string | null;
  changed: boolean;
  note: string | null;
}

/** The revisit loop's rounds; nothing when the sample was not revisited. */
export function revisitHtml(s: Row): Raw {
  const log = parseJson(s.revisit as string | null) as { firstAnswer: string | null; rounds: RevisitRound[] } | null;
  if (!log?.rounds?.length) return html``;
  return html`<h2>Revisits <span class="muted small">first answer ${log.firstAnswer ?? '—'}</span></h2><ol class="revisit" data-testid="revisit">
    ${log.rounds.map(
      (
        r,
      ) => html`<li>round ${r.round}: ${r.answerBefore ?? '—'} → ${r.answerAfter ?? '—'} ${r.changed ? badge(null, 'changed') : ''}
      ${r.facts.length ? html`<ul>${r.facts.map((f) => html`<li><strong>${f.target}</strong>: ${f.question} → <em>${f.answer ?? '(no answer)'}</em></li>`)}</ul>` : ''}
      ${r.note ? html`<span class="muted">${r.note}</span>` : ''}</li>`,
    )}</ol>`;
}

/** Where the boxes and text lines came from, and the judge's edit outcome. */
export function provenanceRows(s: Row): Array<[string, unknown]> {
  const engine = parseJson(s.ocr_engine_lines as string | null);
  return [
    ['boxes from', s.box_source],
    [
      'source image',
      s.source_width && s.source_height ? `${s.source_width}×${s.source_height} px (boxes_source_px)` : null,
    ],
    ['OCR engine lines', Array.isArray(engine) ? engine.length : null],
    ['judge edit', s.qa_edit],
  ];
}
