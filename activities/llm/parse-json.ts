import type { z } from 'zod';

/**
 * A model's structured output could not be parsed or did not satisfy the schema.
 * `issues` is one line (fit for a repair prompt: "your answer failed: <issues>"); `text` is what the model said.
 */
export class StructuredOutputError extends Error {
  override name = 'StructuredOutputError';
  constructor(
    readonly issues: string,
    readonly text: string,
    readonly callId?: string,
  ) {
    super(`structured output invalid: ${issues}`);
  }
  /** Alias of `text` (the model's raw answer). */
  get raw(): string {
    return this.text;
  }
}

/** Strip `<think>…</think>` (reasoning) from a model's content. Returns the rest and the reasoning, if any. */
export function splitThink(content: string): { text: string; reasoning?: string } {
  const open = content.indexOf('<think>');
  const close = content.indexOf('</think>');
  // Only a think block that opens the message is reasoning. Tags later on — e.g. inside a JSON string holding an
  // edited trace — are content and must stay where they are.
  const lead = content.trimStart();
  const opensWithThink = lead.startsWith('<think>');
  const templateOpened = close >= 0 && (open < 0 || open > close) && !/^[[{`]/.test(lead);
  if (!opensWithThink && !templateOpened) return { text: content };
  if (close < 0) {
    // An opened but never closed think block (truncated output): all of it is reasoning.
    if (open >= 0 && content.slice(0, open).trim() === '')
      return { text: '', reasoning: content.slice(open + 7).trim() };
    return { text: content };
  }
  // `<think>` may be absent when the chat template already opened it (DeepSeek-R1 distills).
  const start = open >= 0 && open < close ? open + 7 : 0;
  const before = open >= 0 && open < close ? content.slice(0, open) : '';
  const reasoning = content.slice(start, close).trim();
  const text = (before + content.slice(close + 8)).trim();
  return { text, reasoning };
}

/** The first balanced JSON object or array starting at or after `from` (string-aware), or undefined. */
function balancedAt(s: string, from: number): { start: number; end: number } | undefined {
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c !== '{' && c !== '[') continue;
    const stack: string[] = [];
    let inStr = false;
    let esc = false;
    for (let j = i; j < s.length; j++) {
      const d = s[j]!;
      if (inStr) {
        if (esc) esc = false;
        else if (d === '\\') esc = true;
        else if (d === '"') inStr = false;
        continue;
      }
      if (d === '"') inStr = true;
      else if (d === '{' || d === '[') stack.push(d === '{' ? '}' : ']');
      else if (d === '}' || d === ']') {
        if (stack.pop() !== d) break; // mismatched: try the next opening bracket
        if (stack.length === 0) return { start: i, end: j + 1 };
      }
    }
  }
  return undefined;
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

/** Trailing commas before `}`/`]` are the commonest model slip; remove them outside strings. */
function dropTrailingCommas(s: string): string {
  let out = '';
  let inStr = false;
  let esc = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      out += c;
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    if (c === ',') {
      let k = i + 1;
      while (k < s.length && /\s/.test(s[k]!)) k++;
      if (s[k] === '}' || s[k] === ']') continue;
    }
    out += c;
  }
  return out;
}

/**
 * Extract a JSON value from model text, tolerantly: the whole text; else ```json fenced blocks; else the first
 * balanced object/array amid prose (string-aware). `<think>` blocks are ignored. Throws StructuredOutputError.
 */
export function extractJson(raw: string): unknown {
  const text = splitThink(raw).text.trim();
  const direct = tryParse(text);
  if (direct.ok && direct.value !== null && typeof direct.value === 'object') return direct.value;
  // Fenced blocks first (the model's declared answer), then the whole text amid prose.
  const candidates: string[] = [];
  for (const m of text.matchAll(/```[ \t]*(?:json5?|JSON)?[^\n`]*\n?([\s\S]*?)```/g))
    if (m[1]) candidates.push(m[1].trim());
  // An unterminated fence (output cut off or no closing ```).
  const openFence = /```[ \t]*(?:json5?|JSON)?[^\n`]*\n([\s\S]*)$/.exec(text);
  if (openFence?.[1] && !openFence[1].includes('```')) candidates.push(openFence[1].trim());
  candidates.push(text);
  for (const c of candidates) {
    for (const s of [c, dropTrailingCommas(c)]) {
      const r = tryParse(s);
      if (r.ok && r.value !== null && typeof r.value === 'object') return r.value;
    }
    let from = 0;
    for (let guard = 0; guard < 50; guard++) {
      const b = balancedAt(c, from);
      if (!b) break;
      const slice = c.slice(b.start, b.end);
      for (const s of [slice, dropTrailingCommas(slice)]) {
        const r = tryParse(s);
        if (r.ok) return r.value;
      }
      from = b.start + 1;
    }
  }
  // A bare scalar (e.g. the schema is a string or a number).
  const scalar = tryParse(text);
  if (scalar.ok) return scalar.value;
  const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  throw new StructuredOutputError(
    `no JSON object or array found in the answer (${JSON.stringify(preview).replace(/\n/g, ' ')})`,
    raw,
  );
}

/** zod issues as one line: `path.to.field: message; other: message`. */
export function issuesOneLine(error: z.ZodError, max = 600): string {
  const line = error.issues
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ')
    .replace(/\s*\n\s*/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Extract JSON tolerantly, then validate with the schema. Throws StructuredOutputError with the issues on one line. */
export function parseStructured<T>(raw: string, schema: z.ZodType<T>, callId?: string): T {
  let value: unknown;
  try {
    value = extractJson(raw);
  } catch (err) {
    if (err instanceof StructuredOutputError) throw new StructuredOutputError(err.issues, raw, callId);
    throw err;
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new StructuredOutputError(issuesOneLine(r.error), raw, callId);
  return r.data;
}
