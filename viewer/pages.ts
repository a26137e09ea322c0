/** Server-rendered pages (no scripts): layout, sample list, sample page, evaluation grid/items/compare. */
import { html, qs, raw, type Raw } from './html.ts';
import { choicesInQuestion, diffHtml, formalHtml, imageHtml, parseJson, traceHtml } from './render.ts';
import { checksHtml, provenanceRows, revisitHtml } from './method.ts';
import { FACETS, type ListQuery, type ListResult, type Row, type ViewerStore } from './store.ts';

export function layout(title: string, body: Raw, info?: { count: number; refreshing: boolean }): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · r1ov viewer</title><link rel="stylesheet" href="/assets/viewer.css"></head>
<body><header class="top"><a class="brand" href="/">r1ov viewer</a><nav><a href="/">samples</a><a href="/runs">runs</a><a href="/eval">evaluation</a></nav>
${info ? html`<span class="muted small">${info.count.toLocaleString('en')} samples indexed${info.refreshing ? ' · refreshing…' : ''}</span>` : ''}</header>
<main>${body}</main></body></html>`}`;
}

const FACET_LABEL: Record<string, string> = {
  run: 'run',
  status: 'status',
  kind: 'kind',
  source: 'source',
  reason_code: 'reason',
};

export function listPage(q: ListQuery, r: ListResult): Raw {
  const base: Record<string, string | undefined> = {
    run: q.run,
    status: q.status,
    kind: q.kind,
    source: q.source,
    reason_code: q.reason_code,
    q: q.q,
  };
  const link = (over: Record<string, string | number | undefined>) => `/${qs({ ...base, ...over })}`;
  const pages = Math.max(1, Math.ceil(r.total / r.pageSize));
  const facetBox = (
    f: (typeof FACETS)[number],
  ) => html`<section class="facet" data-facet="${f}"><h3>${FACET_LABEL[f]}</h3><ul>
    ${q[f] ? html`<li><a class="clear" href="${link({ [f]: undefined, page: undefined })}">× clear ${q[f]}</a></li>` : ''}
    ${r.facets[f].slice(0, 30).map((v) => html`<li><a href="${link({ [f]: v.value ?? '(none)', page: undefined })}" class="${q[f] === (v.value ?? '(none)') ? 'on' : ''}">${v.value ?? '(none)'}</a> <span class="n">${v.n.toLocaleString('en')}</span></li>`)}
    ${r.facets[f].length > 30 ? html`<li class="muted">${r.facets[f].length - 30} more…</li>` : ''}</ul></section>`;
  return html`<div class="list-layout"><aside>${FACETS.map(facetBox)}</aside><section>
  <form class="search" method="get" action="/">
    ${FACETS.filter((f) => q[f]).map((f) => html`<input type="hidden" name="${f}" value="${q[f]}">`)}
    <input type="search" name="q" value="${q.q ?? ''}" placeholder="search questions and traces" aria-label="search">
    <button type="submit">search</button></form>
  <p class="summary"><strong data-testid="total">${r.total.toLocaleString('en')}</strong> sample${r.total === 1 ? '' : 's'}
    ${q.q ? html` matching <q>${q.q}</q>` : ''} · page ${r.page} of ${pages} · <span class="muted">${r.timings.queryMs.toFixed(0)} ms</span></p>
  <table class="samples"><thead><tr><th></th><th>run</th><th>sample</th><th>status</th><th>kind</th><th>source</th><th>question</th><th>answer</th><th>reason</th></tr></thead><tbody>
  ${r.rows.map(
    (s) => html`<tr class="status-${s.status}"><td class="thumb">${
      typeof s.image_key === 'string' && /^[0-9a-f]{64}$/.test(s.image_key)
        ? html`<a href="/sample${qs({ run: s.run as string, id: s.sample_id as string })}" tabindex="-1"><img data-testid="thumb" src="/blob/${s.image_key}" alt="" loading="lazy"></a>`
        : ''
    }</td><td>${s.run}</td>
    <td><a class="sample-link" href="/sample${qs({ run: s.run as string, id: s.sample_id as string })}">${s.sample_id}</a></td>
    <td><span class="badge ${s.status}">${s.status}</span></td><td>${s.kind}${s.subkind ? html`<span class="muted">/${s.subkind}</span>` : ''}</td>
    <td>${s.source}</td><td class="q">${s.question}</td><td>${s.final_answer ?? ''}${s.final_answer !== null && s.accuracy !== null ? raw(Number(s.accuracy) === 1 ? ' ✓' : ' ✗') : ''}</td>
    <td>${s.reason_code ? html`<span title="${s.reason ?? ''}">${s.reason_code}</span>` : ''}</td></tr>`,
  )}
  </tbody></table>
  <nav class="pager">${r.page > 1 ? html`<a rel="prev" href="${link({ page: r.page - 1 })}">← prev</a>` : ''}
    ${r.page < pages ? html`<a rel="next" href="${link({ page: r.page + 1 })}">next →</a>` : ''}</nav>
  </section></div>`;
}

function kv(rows: Array<[string, unknown]>): Raw {
  return html`<table class="kv">${rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => html`<tr><th>${k}</th><td>${String(v)}</td></tr>`)}</table>`;
}

function verdictHtml(s: Row, originalTrace: string | null): Raw {
  const v = parseJson(s.qa_verdict as string | null) as Record<string, unknown> | null;
  if (!v) return html`<p class="muted">no QA verdict</p>`;
  const rules = (v.by === 'judge' ? v.rules : v) as Record<string, unknown> | undefined;
  const removed = Array.isArray(v.removed_steps) ? (v.removed_steps as unknown[]).map(String) : [];
  return html`<div class="verdict" data-testid="verdict">
    ${kv([
      ['by', v.by],
      ['accepted', rules?.accepted],
      ['rule code', rules?.code],
      ['rule reason', rules?.reason],
      ['accuracy', rules?.accuracy],
      ['format', rules?.format],
      ...(v.by === 'judge'
        ? ([
            ['judge valid', v.valid],
            ['judge reason', v.reason],
          ] as Array<[string, unknown]>)
        : []),
    ])}
    ${removed.length ? html`<h4>removed steps</h4><ul class="removed">${removed.map((r) => html`<li><del>${r}</del></li>`)}</ul>` : ''}
    ${originalTrace && s.trace && originalTrace !== s.trace ? html`<h4>judge edit (original → kept)</h4>${diffHtml(originalTrace, String(s.trace))}` : ''}
    <details><summary>raw verdict</summary><pre>${JSON.stringify(v, null, 2)}</pre></details></div>`;
}

export function samplePage(s: Row, calls: Row[], workflowLink: string | null, originalTrace: string | null): Raw {
  const id = { run: s.run as string, id: s.sample_id as string };
  const choices = parseJson(s.choices as string | null);
  const totalCost = calls.reduce((a, c) => a + (Number(c.cost_usd) || 0), 0);
  return html`<p><a href="/${qs({ run: s.run as string })}">← ${s.run}</a></p>
  <h1 class="sample-id">${s.sample_id} <span class="badge ${s.status}">${s.status}</span></h1>
  <p class="wf">Workflow: ${
    workflowLink
      ? html`<a data-testid="temporal-link" href="${workflowLink}" target="_blank" rel="noopener noreferrer">${s.workflow_id}</a> <span class="muted">(Temporal Web UI)</span>`
      : html`<code data-testid="temporal-id">${s.workflow_id}</code> <span class="muted">(no Temporal Web UI known: start the server or set TEMPORAL_UI_URL)</span>`
  }</p>
  ${s.status !== 'done' ? html`<p class="reason ${s.status}"><strong>${s.reason_code}</strong> at ${s.stage}: ${s.reason}</p>` : ''}
  <div class="sample-grid">
    <section class="col">
      <h2>Image</h2>
      ${s.image_key ? imageHtml(`/blob/${s.image_key}`, s.width as number | null, s.height as number | null, s.boxes as string | null, s.ocr_lines as string | null) : html`<p class="muted">no image</p>`}
      <h2>Question</h2><pre class="question" data-testid="question">${s.question}</pre>
      ${Array.isArray(choices) && !choicesInQuestion(String(s.question ?? ''), choices) ? html`<ol type="A" class="choices">${choices.map((c) => html`<li>${String(c)}</li>`)}</ol>` : ''}
      <p>Ground truth: <strong data-testid="ground-truth">${s.answer}</strong></p>
      ${kv([['source', s.source], ['subset', s.subset], ['row', s.row_id], ['turn', s.turn], ['kind', s.kind], ['subkind', s.subkind], ['routed by', s.route_by], ['generator', s.generator], ['finished', s.finished_at], ...provenanceRows(s)])}
    </section>
    <section class="col">
      <h2>Formal description <span class="muted small">${s.formal_format ?? ''}${s.formal_valid === false ? ' · invalid' : ''}</span></h2>
      ${s.formal_error ? html`<p class="reason">validation: ${s.formal_error} (${s.formal_attempts} repair attempts)</p>` : ''}
      ${formalHtml(s.formal_format as string | null, s.formal_text as string | null, `/formal-html${qs(id)}`)}
      ${checksHtml(s)}
      ${revisitHtml(s)}
      <h2>Trace</h2><div data-testid="trace">${traceHtml(s.trace as string | null, s.final_answer as string | null)}</div>
      <h2>QA verdict</h2>${verdictHtml(s, originalTrace)}
    </section>
  </div>
  <h2>LLM calls</h2>
  ${
    calls.length
      ? html`<table class="calls" data-testid="llm-calls"><thead><tr><th>role</th><th>model</th><th>prompt</th><th>tokens in</th><th>tokens out</th><th>latency</th><th>cost</th><th>cache</th><th>status</th></tr></thead><tbody>
    ${calls.map(
      (
        c,
      ) => html`<tr><td>${c.role}</td><td>${c.model}</td><td>${c.prompt_id}</td><td class="num">${c.tokens_in}</td><td class="num">${c.tokens_out}</td>
      <td class="num">${c.latency_ms !== null ? `${Number(c.latency_ms).toFixed(0)} ms` : ''}</td><td class="num">${c.cost_usd !== null ? `$${Number(c.cost_usd).toFixed(5)}` : ''}</td>
      <td>${c.cache_hit ? 'hit' : ''}</td><td>${c.status}${c.error ? html` <span class="muted">${String(c.error).slice(0, 200)}</span>` : ''}</td></tr>`,
    )}
    <tr class="total"><td colspan="6">total</td><td class="num">$${totalCost.toFixed(5)}</td><td colspan="2"></td></tr></tbody></table>`
      : html`<p class="muted">no LLM calls recorded for this sample (synthetic samples need none)</p>`
  }`;
}

export function runsPage(runs: Row[]): Raw {
  return html`<h1>Runs</h1><table class="samples"><thead><tr><th>run</th><th>samples</th><th>done</th><th>rejected</th><th>quarantined</th></tr></thead><tbody>
  ${runs.map(
    (r) => html`<tr><td><a href="/${qs({ run: r.run as string })}">${r.run}</a></td><td class="num">${r.samples}</td>
    <td class="num"><a href="/${qs({ run: r.run as string, status: 'done' })}">${r.done}</a></td>
    <td class="num"><a href="/${qs({ run: r.run as string, status: 'rejected' })}">${r.rejected}</a></td>
    <td class="num"><a href="/${qs({ run: r.run as string, status: 'quarantined' })}">${r.quarantined}</a></td></tr>`,
  )}</tbody></table>`;
}

// ---------- evaluation ----------

/** Column roles in `eval_items`, resolved by name so the pages follow whatever the evaluation views hold. */
const ROLE_NAMES = {
  run: ['run', 'eval_run'],
  bench: ['bench', 'benchmark', 'dataset'],
  item: ['item_id', 'id', 'index', 'question_id', 'idx'],
  grade: ['level', 'grade', 'education_level', 'difficulty'],
  category: ['category', 'subject', 'discipline', 'domain', 'task'],
  correct: ['correct', 'is_correct', 'accuracy', 'score', 'hit'],
  question: ['question', 'prompt'],
  answer: ['gold', 'answer', 'ground_truth', 'gt'],
  status: ['status'],
  prediction: ['prediction', 'response', 'completion', 'output'],
  extracted: ['extracted', 'extracted_answer', 'pred_answer'],
} as const;
export type EvalCols = { [K in keyof typeof ROLE_NAMES]: string | null };

export function resolveEvalColumns(cols: string[]): EvalCols {
  const lower = new Map(cols.map((c) => [c.toLowerCase(), c]));
  return Object.fromEntries(
    Object.entries(ROLE_NAMES).map(([k, names]) => [k, names.map((n) => lower.get(n)).find(Boolean) ?? null]),
  ) as EvalCols;
}

const qi = (c: string) => `"${c.replaceAll('"', '""')}"`;

export async function evalContext(store: ViewerStore): Promise<{ cols: EvalCols } | { missing: string }> {
  const cols = await store.columns('eval_items');
  if (!cols)
    return {
      missing:
        'This catalog has no `eval_items` view yet: evaluation results appear here once `r1ov eval` has written them (catalog views eval_items / eval_runs).',
    };
  const c = resolveEvalColumns(cols);
  if (!c.run || !c.correct)
    return { missing: `eval_items has no recognisable run/correct columns (columns: ${cols.join(', ')})` };
  return { cols: c };
}

const correctExpr = (c: EvalCols) => `TRY_CAST(${qi(c.correct!)} AS DOUBLE)`;
/** Items that count: malformed rows (skipped by the evaluator) are left out, like eval_runs does. */
const counted = (c: EvalCols) => (c.status ? `coalesce(${qi(c.status)}, '') <> 'malformed'` : 'true');
const dim = (c: string | null) => (c ? `coalesce(CAST(${qi(c)} AS VARCHAR), '(none)')` : `'all'`);

export async function evalIndex(store: ViewerStore, c: EvalCols): Promise<Raw> {
  const runs = await store.query(
    `SELECT ${qi(c.run!)} AS run, count(*) AS items, avg(${correctExpr(c)}) AS acc FROM eval_items WHERE ${counted(c)} GROUP BY 1 ORDER BY 1`,
  );
  if (!runs.length)
    return html`<h1>Evaluation runs</h1><p class="muted" data-testid="eval-missing">No evaluation results in this catalog yet: run <code>r1ov eval</code>.</p>`;
  return html`<h1>Evaluation runs</h1>
  <table class="samples"><thead><tr><th>run</th><th>items</th><th>accuracy</th></tr></thead><tbody>
  ${runs.map((r) => html`<tr><td><a href="/eval/run${qs({ run: r.run as string })}">${r.run}</a></td><td class="num">${r.items}</td><td class="num">${pct(r.acc)}</td></tr>`)}</tbody></table>
  ${
    runs.length >= 2
      ? html`<form method="get" action="/eval/compare" class="search"><label>compare <select name="a">${runs.map((r) => html`<option>${r.run}</option>`)}</select></label>
    <label>with <select name="b">${runs.map((r, i) => html`<option ${i === 1 ? raw('selected') : ''}>${r.run}</option>`)}</select></label><button>compare</button></form>`
      : ''
  }`;
}

const pct = (v: unknown) => (v === null || v === undefined ? '–' : `${(Number(v) * 100).toFixed(1)}%`);

async function grid(
  store: ViewerStore,
  c: EvalCols,
  run: string,
): Promise<{ grades: string[]; cats: string[]; cell: Map<string, { acc: number; n: number }> }> {
  const rows = await store.query(
    `SELECT ${dim(c.category)} AS cat, ${dim(c.grade)} AS grade, avg(${correctExpr(c)}) AS acc, count(*) AS n
    FROM eval_items WHERE ${qi(c.run!)} = $1 AND ${counted(c)} GROUP BY CUBE (cat, grade)`,
    [run],
  );
  const cell = new Map<string, { acc: number; n: number }>();
  const grades = new Set<string>(),
    cats = new Set<string>();
  for (const r of rows) {
    const cat = (r.cat as string | null) ?? '*',
      grade = (r.grade as string | null) ?? '*';
    if (cat !== '*') cats.add(cat);
    if (grade !== '*') grades.add(grade);
    cell.set(`${cat}\u0000${grade}`, { acc: Number(r.acc), n: Number(r.n) });
  }
  return { grades: [...grades].sort(), cats: [...cats].sort(), cell };
}

export async function evalRunPage(store: ViewerStore, c: EvalCols, run: string): Promise<Raw> {
  const g = await grid(store, c, run);
  const td = (cat: string, grade: string) => {
    const v = g.cell.get(`${cat}\u0000${grade}`);
    if (!v) return html`<td class="num muted">–</td>`;
    const href = `/eval/items${qs({ run, category: cat === '*' ? undefined : cat, grade: grade === '*' ? undefined : grade })}`;
    return html`<td class="num cell"><a href="${href}">${pct(v.acc)}</a> <span class="muted small">n=${v.n}</span></td>`;
  };
  return html`<h1>Evaluation ${run}</h1><p class="muted">accuracy by ${c.category ?? 'all'} × ${c.grade ?? 'all'} (Table 3 layout); click a cell for its items</p>
  <table class="grid" data-testid="eval-grid"><thead><tr><th></th>${g.grades.map((x) => html`<th>${x}</th>`)}<th>all</th></tr></thead><tbody>
  ${g.cats.map((cat) => html`<tr><th>${cat}</th>${g.grades.map((gr) => td(cat, gr))}${td(cat, '*')}</tr>`)}
  <tr class="total"><th>all</th>${g.grades.map((gr) => td('*', gr))}${td('*', '*')}</tr></tbody></table>`;
}

export async function evalItemsPage(
  store: ViewerStore,
  c: EvalCols,
  p: { run: string; grade?: string; category?: string; page?: number },
): Promise<Raw> {
  const where = [`${qi(c.run!)} = $1`, counted(c)];
  const params: string[] = [p.run];
  if (p.grade && c.grade) {
    params.push(p.grade);
    where.push(`${dim(c.grade)} = $${params.length}`);
  }
  if (p.category && c.category) {
    params.push(p.category);
    where.push(`${dim(c.category)} = $${params.length}`);
  }
  const page = Math.max(1, p.page ?? 1);
  const pick = (
    [
      'bench',
      'item',
      'grade',
      'category',
      'question',
      'answer',
      'extracted',
      'prediction',
      'status',
      'correct',
    ] as const
  ).filter((k) => c[k]);
  const rows = await store.query(
    `SELECT ${pick.map((k) => `${qi(c[k]!)} AS ${k}`).join(', ')} FROM eval_items WHERE ${where.join(' AND ')}
    ORDER BY ${c.item ? qi(c.item) : 1} LIMIT 100 OFFSET ${(page - 1) * 100}`,
    params,
  );
  return html`<p><a href="/eval/run${qs({ run: p.run })}">← ${p.run}</a></p><h1>Items: ${p.category ?? 'all'} × ${p.grade ?? 'all'}</h1>
  <table class="samples" data-testid="eval-items"><thead><tr>${pick.map((k) => html`<th>${k}</th>`)}</tr></thead><tbody>
  ${rows.map((r) => html`<tr class="${Number(r.correct) >= 1 ? 'ok' : 'bad'}">${pick.map((k) => html`<td class="${k === 'prediction' || k === 'question' ? 'q' : ''}">${k === 'prediction' && r[k] ? html`<details><summary>${String(r[k]).slice(0, 80)}</summary><pre>${r[k]}</pre></details>` : r[k]}</td>`)}</tr>`)}
  </tbody></table><nav class="pager">${page > 1 ? html`<a href="/eval/items${qs({ ...p, page: page - 1 })}">← prev</a>` : ''}${rows.length === 100 ? html`<a href="/eval/items${qs({ ...p, page: page + 1 })}">next →</a>` : ''}</nav>`;
}

export async function evalComparePage(store: ViewerStore, c: EvalCols, a: string, b: string): Promise<Raw> {
  const [ga, gb] = [await grid(store, c, a), await grid(store, c, b)];
  const grades = [...new Set([...ga.grades, ...gb.grades])].sort(),
    cats = [...new Set([...ga.cats, ...gb.cats])].sort();
  const td = (cat: string, grade: string) => {
    const x = ga.cell.get(`${cat}\u0000${grade}`),
      y = gb.cell.get(`${cat}\u0000${grade}`);
    const d = x && y ? y.acc - x.acc : null;
    return html`<td class="num">${pct(x?.acc)} → ${pct(y?.acc)} ${d !== null ? html`<span class="${d > 0 ? 'up' : d < 0 ? 'down' : 'muted'}">${d > 0 ? '+' : ''}${(d * 100).toFixed(1)}</span>` : ''}</td>`;
  };
  const key = [c.bench, c.item].filter(Boolean) as string[];
  const flipped = key.length
    ? await store.query(
        `SELECT ${key.map((k, i) => `x.${qi(k)} AS k${i}`).join(', ')}, ${c.question ? `x.${qi(c.question)} AS question,` : ''}
      ${c.answer ? `x.${qi(c.answer)} AS answer,` : ''} ${c.extracted ? `x.${qi(c.extracted)} AS a_pred, y.${qi(c.extracted)} AS b_pred,` : ''}
      TRY_CAST(x.${qi(c.correct!)} AS DOUBLE) AS a_ok, TRY_CAST(y.${qi(c.correct!)} AS DOUBLE) AS b_ok
    FROM eval_items x JOIN eval_items y ON ${key.map((k) => `x.${qi(k)} = y.${qi(k)}`).join(' AND ')}
    WHERE x.${qi(c.run!)} = $1 AND y.${qi(c.run!)} = $2 AND ${counted(c).replaceAll(qi(c.status ?? 'status'), `x.${qi(c.status ?? 'status')}`)} AND (TRY_CAST(x.${qi(c.correct!)} AS DOUBLE) >= 1) <> (TRY_CAST(y.${qi(c.correct!)} AS DOUBLE) >= 1)
    ORDER BY 1 LIMIT 500`,
        [a, b],
      )
    : [];
  return html`<h1>${a} vs ${b}</h1>
  <table class="grid" data-testid="eval-compare"><thead><tr><th></th>${grades.map((x) => html`<th>${x}</th>`)}<th>all</th></tr></thead><tbody>
  ${cats.map((cat) => html`<tr><th>${cat}</th>${grades.map((gr) => td(cat, gr))}${td(cat, '*')}</tr>`)}
  <tr class="total"><th>all</th>${grades.map((gr) => td('*', gr))}${td('*', '*')}</tr></tbody></table>
  <h2>Flipped items (${flipped.length}${flipped.length === 500 ? '+' : ''})</h2>
  ${
    key.length
      ? html`<table class="samples" data-testid="flipped"><thead><tr>${key.map((k) => html`<th>${k}</th>`)}<th>question</th><th>answer</th><th>${a}</th><th>${b}</th></tr></thead><tbody>
  ${flipped.map(
    (
      r,
    ) => html`<tr>${key.map((_, i) => html`<td>${r[`k${i}`]}</td>`)}<td class="q">${r.question ?? ''}</td><td>${r.answer ?? ''}</td>
    <td class="${Number(r.a_ok) >= 1 ? 'ok' : 'bad'}">${Number(r.a_ok) >= 1 ? '✓' : '✗'} ${r.a_pred ?? ''}</td><td class="${Number(r.b_ok) >= 1 ? 'ok' : 'bad'}">${Number(r.b_ok) >= 1 ? '✓' : '✗'} ${r.b_pred ?? ''}</td></tr>`,
  )}
  </tbody></table>`
      : html`<p class="muted">eval_items has no item id column to pair items by</p>`
  }`;
}
