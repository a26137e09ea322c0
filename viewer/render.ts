/** Pure renderers for a sample's parts: formal text per kind, image overlays, trace, QA verdict diff. */
import { formalKindOfFormat } from '../activities/formalize/kinds.ts';
import { scanCsv } from '../core/csv.ts';
import { esc, html, raw, type Raw } from './html.ts';
import { mermaidSvg, parseMermaid } from './mermaid.ts';

/** CSV rows through the project's one scanner (core/csv.ts, a loader's lenient reading: quotes, `""`, CRLF). */
export function parseCsv(text: string): string[][] {
  return scanCsv(text, ',').records.map((r) => r.fields);
}

/**
 * A CSV as a table. Leading `# key: value` comment lines (how chart descriptions carry chart type, title and axis
 * labels above the data) become the table's caption, not rows.
 */
export function csvTable(text: string): Raw {
  const lines = text.split(/\r?\n/);
  const notes: string[] = [];
  while (lines.length && /^\s*#/.test(lines[0]!))
    notes.push(
      lines
        .shift()!
        .replace(/^\s*#\s?/, '')
        .trim(),
    );
  const rows = parseCsv(lines.join('\n'));
  const caption = notes.filter(Boolean).length
    ? html`<caption data-testid="formal-caption">${notes.filter(Boolean).map((n, i) => html`${i ? ' · ' : ''}${captionPart(n)}`)}</caption>`
    : '';
  if (rows.length === 0)
    return html`${caption ? html`<table class="formal-table">${caption}</table>` : ''}<p class="muted">empty table</p>`;
  const [head, ...body] = rows;
  return html`<table class="formal-table">${caption}<thead><tr>${head!.map((h) => html`<th>${h}</th>`)}</tr></thead>
    <tbody>${body.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** `title: Fruit Harvest` → the key muted, the value as is. */
function captionPart(note: string): Raw {
  const m = /^([A-Za-z][\w -]{0,30}):\s*(.*)$/.exec(note);
  return m ? html`<span class="muted">${m[1]}:</span> ${m[2]}` : html`${note}`;
}

/**
 * Whether the question already lists its choices (`A. 2018` … as synthetic and many benchmark questions do), so
 * the page does not show them twice.
 */
export function choicesInQuestion(question: string, choices: unknown[]): boolean {
  return (
    choices.length > 0 &&
    choices.every((c, i) => {
      const letter = String.fromCharCode(65 + i);
      return new RegExp(
        `(^|\\n)\\s*\\(?${letter}[.):]\\s*${String(c).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*($|\\n)`,
      ).test(question);
    })
  );
}

const SPICE_KIND: Record<string, string> = {
  R: 'resistor',
  C: 'capacitor',
  L: 'inductor',
  V: 'vsource',
  I: 'isource',
  D: 'diode',
  Q: 'bjt',
  M: 'mosfet',
  X: 'subckt',
  E: 'vcvs',
  G: 'vccs',
  F: 'cccs',
  H: 'ccvs',
  K: 'coupling',
  J: 'jfet',
};

/** A SPICE netlist as text with element names, nodes, values, comments and directives highlighted. */
export function spiceHtml(text: string): Raw {
  const lines = text.split(/\r?\n/).map((line) => {
    const t = line.trim();
    if (t.startsWith('*') || t.startsWith(';')) return html`<span class="sp-comment">${line}</span>`;
    if (t.startsWith('.')) return html`<span class="sp-directive">${line}</span>`;
    const parts = line.split(/(\s+)/);
    const name = parts[0] ?? '';
    const kind = SPICE_KIND[name[0]?.toUpperCase() ?? ''];
    if (!kind) return html`${line}`;
    const tokens = parts.slice(1).filter((p) => p.trim());
    const nodeCount = /^[QJM]/i.test(name) ? (name[0]!.toUpperCase() === 'M' ? 4 : 3) : 2;
    let seen = 0;
    const rest = parts.slice(1).map((p) => {
      if (!p.trim()) return p;
      seen++;
      return seen <= nodeCount ? html`<span class="sp-node">${p}</span>` : html`<span class="sp-value">${p}</span>`;
    });
    void tokens;
    return html`<span class="sp-el sp-${kind}" title="${kind}">${name}</span>${rest}`;
  });
  return html`<pre class="formal-spice">${lines.map((l, i) => html`${i ? '\n' : ''}${l}`)}</pre>`;
}

/** Split a trace into its think and answer parts (an unstructured trace comes back as `rest`). */
export function splitTrace(trace: string): { think: string | null; answer: string | null; rest: string | null } {
  const think = trace.match(/<think>([\s\S]*?)<\/think>/);
  const answer = trace.match(/<answer>([\s\S]*?)<\/answer>/);
  if (!think && !answer) return { think: null, answer: null, rest: trace };
  return { think: think ? think[1]!.trim() : null, answer: answer ? answer[1]!.trim() : null, rest: null };
}

/** Text with every `\boxed{…}` (balanced braces) wrapped in a highlight. */
export function highlightBoxed(text: string): Raw {
  let out = '',
    i = 0;
  for (;;) {
    const j = text.indexOf('\\boxed{', i);
    if (j < 0) break;
    let depth = 0,
      k = j + 6;
    for (; k < text.length; k++) {
      if (text[k] === '{') depth++;
      else if (text[k] === '}' && --depth === 0) break;
    }
    if (k >= text.length) break;
    out += esc(text.slice(i, j)) + `<mark class="final-answer">${esc(text.slice(j, k + 1))}</mark>`;
    i = k + 1;
  }
  return raw(out + esc(text.slice(i)));
}

export function traceHtml(trace: string | null, finalAnswer: string | null): Raw {
  if (!trace) return html`<p class="muted">no trace</p>`;
  const t = splitTrace(trace);
  const fa = finalAnswer
    ? html`<p>Final answer: <mark class="final-answer" data-testid="final-answer">${finalAnswer}</mark></p>`
    : '';
  if (t.rest !== null) return html`${fa}<pre class="trace-raw">${highlightBoxed(t.rest)}</pre>`;
  return html`${fa}<details open class="think"><summary>&lt;think&gt; (${(t.think ?? '').length} chars)</summary><pre class="trace-think">${t.think ?? ''}</pre></details>
    <div class="answer"><h4>&lt;answer&gt;</h4><pre class="trace-answer">${highlightBoxed(t.answer ?? '')}</pre></div>`;
}

/** Line diff (LCS) of two texts: `-` removed, `+` added, ` ` kept. */
export function lineDiff(a: string, b: string): Array<{ op: ' ' | '-' | '+'; line: string }> {
  const x = a.split('\n'),
    y = b.split('\n');
  if (x.length * y.length > 4_000_000)
    return [...x.map((line) => ({ op: '-' as const, line })), ...y.map((line) => ({ op: '+' as const, line }))];
  const dp = Array.from({ length: x.length + 1 }, () => new Int32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--) {
      dp[i]![j] = x[i] === y[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
    }
  const out: Array<{ op: ' ' | '-' | '+'; line: string }> = [];
  let i = 0,
    j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', line: x[i]! });
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) out.push({ op: '-', line: x[i++]! });
    else out.push({ op: '+', line: y[j++]! });
  }
  while (i < x.length) out.push({ op: '-', line: x[i++]! });
  while (j < y.length) out.push({ op: '+', line: y[j++]! });
  return out;
}

export function diffHtml(a: string, b: string): Raw {
  return html`<pre class="diff">${lineDiff(a, b).map((d) => html`<span class="${d.op === '-' ? 'del' : d.op === '+' ? 'ins' : 'same'}">${d.op} ${d.line}\n</span>`)}</pre>`;
}

export function parseJson(s: string | null): unknown {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

type Box = [number, number, number, number];
const isBox = (b: unknown): b is Box =>
  Array.isArray(b) && b.length === 4 && b.every((n) => typeof n === 'number' && Number.isFinite(n));

/** Boxes from the `boxes` column: [{label, box}] (also tolerates {bbox}). */
export function parseBoxes(s: string | null): Array<{ label: string; box: Box }> {
  const v = parseJson(s);
  if (!Array.isArray(v)) return [];
  return v.flatMap((o) => {
    const box = (o as { box?: unknown; bbox?: unknown })?.box ?? (o as { bbox?: unknown })?.bbox;
    return isBox(box) ? [{ label: String((o as { label?: unknown }).label ?? ''), box }] : [];
  });
}

export function parseOcrLines(s: string | null): Array<{ text: string; box: Box; confidence?: number }> {
  const v = parseJson(s);
  if (!Array.isArray(v)) return [];
  return v.flatMap((o) => {
    const box = (o as { box?: unknown })?.box;
    const conf = (o as { confidence?: unknown }).confidence;
    return isBox(box)
      ? [
          {
            text: String((o as { text?: unknown }).text ?? ''),
            box,
            ...(typeof conf === 'number' ? { confidence: conf } : {}),
          },
        ]
      : [];
  });
}

/** The stored image with an SVG overlay (same pixel coordinates) of object boxes and OCR lines. */
export function imageHtml(
  src: string,
  width: number | null,
  height: number | null,
  boxes: string | null,
  ocr: string | null,
): Raw {
  const b = parseBoxes(boxes),
    o = parseOcrLines(ocr);
  const w = width ?? 0,
    h = height ?? 0;
  const overlay =
    w > 0 && h > 0 && (b.length || o.length)
      ? html`<svg class="overlay" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">
        ${b.map(({ label, box: [x1, y1, x2, y2] }) => html`<g class="ov-box"><rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}"/><text x="${x1 + 2}" y="${Math.max(12, y1 - 3)}">${label}</text></g>`)}
        ${o.map(({ text, box: [x1, y1, x2, y2], confidence }) => html`<g class="ov-ocr"><rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}"><title>${text}${confidence !== undefined ? ` (${confidence.toFixed(2)})` : ''}</title></rect></g>`)}
      </svg>`
      : '';
  return html`<figure class="image-wrap"><div class="image-stack"><img data-testid="sample-image" src="${src}" alt="sample image" ${w ? raw(`width="${w}" height="${h}"`) : ''}>${overlay}</div>
    <figcaption>${w && h ? `${w}×${h}` : ''}${b.length ? ` · ${b.length} box${b.length > 1 ? 'es' : ''}` : ''}${o.length ? ` · ${o.length} OCR line${o.length > 1 ? 's' : ''}` : ''}</figcaption></figure>`;
}

/** The formal description rendered for its format; `htmlSrc` is the URL serving it sandboxed (format html). */
export function formalHtml(format: string | null, text: string | null, htmlSrc: string): Raw {
  if (!text) return html`<p class="muted">no formal description</p>`;
  const f = (format ?? '').toLowerCase();
  const source = html`<details class="formal-source"><summary>source (${f || 'text'})</summary><pre>${text}</pre></details>`;
  if (f === 'csv' || f === 'chart' || f === 'table') {
    const csv = f === 'csv' ? text : (text.match(/```(?:csv)?\n([\s\S]*?)```/)?.[1] ?? text);
    return html`<div data-testid="formal-table">${csvTable(csv)}</div>${source}`;
  }
  if (f === 'mermaid') {
    const flow = parseMermaid(text);
    return flow
      ? html`<div class="formal-mermaid" data-testid="formal-mermaid">${raw(mermaidSvg(flow))}</div>${source}`
      : html`<p class="muted">could not draw this Mermaid source</p><pre>${text}</pre>`;
  }
  if (f === 'spice') return spiceHtml(text);
  if (f === 'html') {
    return html`<iframe class="formal-html" data-testid="formal-html" sandbox="" referrerpolicy="no-referrer" src="${htmlSrc}" title="HTML formalization (sandboxed, no scripts)"></iframe>${source}`;
  }
  if (f === 'json') {
    const v = parseJson(text);
    return html`<pre class="formal-text">${v === null ? text : JSON.stringify(v, null, 2)}</pre>`;
  }
  // A formal kind that draws itself (`view` in activities/formalize/kinds/<kind>.ts): its SVG, then the source.
  const drawing = formalKindOfFormat(f)?.view?.(text) ?? null;
  if (drawing) return html`<div class="formal-drawing" data-testid="formal-drawing">${raw(drawing)}</div>${source}`;
  return html`<pre class="formal-text">${text}</pre>`;
}
