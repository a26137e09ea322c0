// Validators for the structured (non-text) formal outputs: OCR lines, detected objects, math, charts.
import type { Box, DetectedObject, TextLine } from '../../../schemas/formal.ts';
import { ChartTypeSchema } from '../../../schemas/formal.ts';
import { checkBox, normalisedHint, type ImageSize } from './boxes.ts';
import { validateCsv, type CsvSummary } from './csv.ts';
import { fail, ok, type ValidationResult } from './result.ts';

export interface OcrLinesSummary {
  lines: TextLine[];
  chars: number;
  clipped: number;
}

/** OCR lines: non-empty text, valid boxes (clipped to the image), confidence in [0, 1]; optionally the document. */
export interface OcrLinesContext extends Partial<ImageSize> {
  /** When present (even undefined), the reconstructed document is checked too. */
  document?: unknown;
  name?: string;
  /** Mixed images may have no text. */
  allowEmpty?: boolean;
}

export function validateOcrLines(lines: unknown, ctx: OcrLinesContext = {}): ValidationResult<OcrLinesSummary> {
  const name = ctx.name ?? 'lines';
  const size = ctx.width && ctx.height ? { width: ctx.width, height: ctx.height } : undefined;
  if (!Array.isArray(lines)) return fail([`${name}: expected an array of {text, box, confidence?}`]);
  const problems: string[] = [];
  const out: TextLine[] = [];
  let chars = 0;
  let clipped = 0;
  lines.forEach((l, i) => {
    const where = `${name}[${i}]`;
    if (l === null || typeof l !== 'object') return void problems.push(`${where}: expected an object {text, box}`);
    const { text, box, confidence } = l as Record<string, unknown>;
    if (typeof text !== 'string' || text.trim() === '') problems.push(`${where}.text: must be non-empty text`);
    if (confidence !== undefined && !(typeof confidence === 'number' && confidence >= 0 && confidence <= 1))
      problems.push(`${where}.confidence: must be a number between 0 and 1, got ${JSON.stringify(confidence)}`);
    const b = checkBox(box, `${where}.box`, size);
    if ('problem' in b) problems.push(b.problem);
    else if (typeof text === 'string' && text.trim()) {
      if (b.clipped) clipped++;
      chars += text.length;
      out.push({ text, box: b.box, ...(typeof confidence === 'number' ? { confidence } : {}) });
    }
  });
  const hint = normalisedHint(
    lines.map((l) => (l as { box?: unknown })?.box),
    size,
  );
  if (hint) problems.push(`${name}: ${hint}`);
  if (lines.length === 0 && !ctx.allowEmpty)
    problems.push(`${name}: no text lines; list every line of text in the image with its box`);
  if ('document' in ctx) {
    if (typeof ctx.document !== 'string' || ctx.document.trim() === '')
      problems.push('document: the reconstructed document is empty; write the text in reading order');
  }
  return problems.length ? fail(problems) : ok({ lines: out, chars, clipped });
}

export interface ObjectsSummary {
  objects: DetectedObject[];
  clipped: number;
}

export function validateObjects(objects: unknown, ctx?: ImageSize, name = 'objects'): ValidationResult<ObjectsSummary> {
  if (!Array.isArray(objects)) return fail([`${name}: expected an array of {label, box}`]);
  const problems: string[] = [];
  const out: DetectedObject[] = [];
  let clipped = 0;
  objects.forEach((o, i) => {
    const where = `${name}[${i}]`;
    if (o === null || typeof o !== 'object') return void problems.push(`${where}: expected an object {label, box}`);
    const { label, box } = o as Record<string, unknown>;
    if (typeof label !== 'string' || label.trim() === '') problems.push(`${where}.label: must be a non-empty name`);
    const b = checkBox(box, `${where}.box`, ctx);
    if ('problem' in b) problems.push(b.problem);
    else if (typeof label === 'string' && label.trim()) {
      if (b.clipped) clipped++;
      out.push({ label, box: b.box as Box });
    }
  });
  const hint = normalisedHint(
    objects.map((o) => (o as { box?: unknown })?.box),
    ctx,
  );
  if (hint) problems.push(`${name}: ${hint}`);
  return problems.length ? fail(problems) : ok({ objects: out, clipped });
}

export interface MathSummary {
  givens: number;
  strategies: number;
}

/** Math: a figure description, the givens read off it, and 1–3 distinct solving strategies. */
export function validateMath(value: unknown): ValidationResult<MathSummary> {
  if (value === null || typeof value !== 'object') return fail(['expected an object {figure, givens, strategies}']);
  const { figure, givens, strategies } = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof figure !== 'string' || figure.trim().length < 10)
    problems.push('figure: describe the figure in at least a sentence (points, lines, labels, values)');
  if (!Array.isArray(givens)) problems.push('givens: expected an array of strings (may be empty)');
  else
    givens.forEach((g, i) => {
      if (typeof g !== 'string' || g.trim() === '') problems.push(`givens[${i}]: must be non-empty text`);
    });
  if (!Array.isArray(strategies)) problems.push('strategies: expected an array of 1 to 3 strategies');
  else {
    if (strategies.length < 1 || strategies.length > 3)
      problems.push(`strategies: give 1 to 3 strategies, got ${strategies.length}`);
    const seen = new Map<string, number>();
    strategies.forEach((s, i) => {
      if (typeof s !== 'string' || s.trim() === '')
        return void problems.push(`strategies[${i}]: must be non-empty text`);
      const k = s.trim().toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(k)) problems.push(`strategies[${i}]: repeats strategies[${seen.get(k)}]; strategies must differ`);
      else seen.set(k, i);
    });
  }
  if (problems.length) return fail(problems);
  return ok({ givens: (givens as unknown[]).length, strategies: (strategies as unknown[]).length });
}

export interface ChartSummary extends CsvSummary {
  chartType: string;
  numericColumns: string[];
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

/** Chart: a known chart type and a data table with at least one numeric column (pie: labels + one value column). */
export async function validateChart(value: unknown): Promise<ValidationResult<ChartSummary>> {
  if (value === null || typeof value !== 'object')
    return fail(['expected an object {chartType, title?, xAxis?, yAxis?, csv}']);
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const type = ChartTypeSchema.safeParse(v.chartType);
  if (!type.success)
    problems.push(
      `chartType: must be one of ${ChartTypeSchema.options.join(', ')}; got ${JSON.stringify(v.chartType)}`,
    );
  for (const axis of ['xAxis', 'yAxis'] as const) {
    const a = v[axis];
    if (a !== undefined && (a === null || typeof a !== 'object' || Array.isArray(a)))
      problems.push(`${axis}: expected an object {label?, unit?}`);
  }
  if (typeof v.csv !== 'string') problems.push('csv: the chart data table is missing');
  if (problems.length) return fail(problems);
  const csv = await validateCsv(v.csv as string);
  if (!csv.ok) return fail([`csv: ${csv.error}`]);
  const numericColumns = csv.summary.columns.filter((_, i) => NUMERIC.test(csv.summary.types[i] ?? ''));
  if (numericColumns.length === 0)
    return fail([
      `csv: no numeric column (columns ${csv.summary.columns.join(', ')} read as ${csv.summary.types.join(', ')}); write the plotted values as plain numbers without units`,
    ]);
  if (type.data === 'pie' && csv.summary.columns.length < 2)
    return fail(['csv: a pie chart needs a label column and a value column']);
  return ok({ ...csv.summary, chartType: type.data!, numericColumns });
}
