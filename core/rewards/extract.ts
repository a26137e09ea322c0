// Final-answer extraction from a model completion. Order: the last <answer> block decides the
// region (else the whole completion); inside it the last \boxed{}/\fbox{}, else (with a tag)
// the block itself, else the last "the answer is X" / "Answer: X".
import { letterForm, matchChoice } from './equivalence.ts';
import { matchBrace } from './latex.ts';

/** Completions are scanned only within this many trailing characters: bounded time per call. */
export const MAX_COMPLETION_CHARS = 200_000;
const MAX_EXTRACTED_CHARS = 2000;

/** Content of the last `\boxed{…}` / `\fbox{…}` (nested braces allowed), or null. */
export function lastBoxed(s: string): string | null {
  let end = s.length;
  for (let guard = 0; guard < 50; guard++) {
    const a = s.lastIndexOf('\\boxed', end);
    const b = s.lastIndexOf('\\fbox', end);
    const at = Math.max(a, b);
    if (at < 0) return null;
    const cmdLen = at === a ? 6 : 5;
    let i = at + cmdLen;
    if (!/[a-zA-Z]/.test(s[i] ?? '')) {
      while (s[i] === ' ') i++;
      if (s[i] === '{') {
        const close = matchBrace(s, i);
        if (close > 0) return s.slice(i + 1, close);
      } else if (i > at + cmdLen) {
        // "\boxed 5": one token after a space.
        const m = /^[^\s$]+/.exec(s.slice(i, i + 100));
        if (m) return m[0];
      }
    }
    end = at - 1;
    if (end < 0) return null;
  }
  return null;
}

/** Content of the last `<answer>` block; an unclosed final block (a truncated completion) counts. */
export function answerBlock(s: string): string | null {
  const open = s.lastIndexOf('<answer>');
  if (open < 0) return null;
  const close = s.indexOf('</answer>', open);
  return s.slice(open + 8, close < 0 ? s.length : close);
}

const PHRASE_RE = /(?:final\s+answer|the\s+answer|answer|correct\s+(?:option|choice))\s*(?:is\s*:?|:|=)/gi;

/** The X of the last "the answer is X" / "Answer: X", cut at the end of its line or sentence. */
export function answerPhrase(s: string): string | null {
  PHRASE_RE.lastIndex = 0;
  let last: RegExpExecArray | null = null;
  for (let m = PHRASE_RE.exec(s), guard = 0; m && guard < 10_000; m = PHRASE_RE.exec(s), guard++) last = m;
  if (!last) return null;
  let rest = s.slice(last.index + last[0].length, last.index + last[0].length + MAX_EXTRACTED_CHARS);
  rest = rest.replace(/^[ \t:*]+/, '');
  // The answer may sit on the next line, or in a display block.
  if (rest.startsWith('\n')) rest = rest.replace(/^\s+/, '');
  const display = /^(\$\$|\\\[)([\s\S]*?)(\$\$|\\\])/.exec(rest);
  if (display) return clean(display[2]);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  // A sentence ends at ". " followed by a capital, not inside a decimal or "B. 3 cm".
  const stop = /\.\s+(?=(?:Therefore|Thus|So|This|Hence|The|It|We|Note)\b)/.exec(rest);
  if (stop) rest = rest.slice(0, stop.index);
  return clean(rest);
}

function clean(s: string): string | null {
  let t = s.trim().replace(/^\*+|\*+$/g, '').trim();
  t = t.replace(/[.。]\s*$/, '').trim();
  if (/^\$[^$]*\$$/.test(t) || /^\$\$[^$]*\$\$$/.test(t)) t = t.replace(/^\$+|\$+$/g, '').trim();
  if (/^\\\((.*)\\\)$/s.test(t)) t = t.slice(2, -2).trim();
  if (/^\\\[(.*)\\\]$/s.test(t)) t = t.slice(2, -2).trim();
  return t === '' ? null : t.slice(0, MAX_EXTRACTED_CHARS);
}

function rawExtract(completion: string): string | null {
  const s = completion.length > MAX_COMPLETION_CHARS ? completion.slice(-MAX_COMPLETION_CHARS) : completion;
  const block = answerBlock(s);
  const region = block ?? s;
  const boxed = lastBoxed(region);
  if (boxed !== null) return clean(boxed);
  if (block !== null) return answerPhrase(block) ?? clean(block);
  const phrase = answerPhrase(s);
  if (phrase !== null) return phrase;
  // A completion that is nothing but a short answer ("B", "42") is its own answer.
  const t = s.trim();
  if (t.length > 0 && t.length <= 40 && !t.includes('\n') && !/<\/?think>/.test(t)) return clean(t);
  return null;
}

/**
 * The final answer of a completion, or null. With choices, a letter in any common form or an
 * option's text comes back as the bare letter ("B"); otherwise the cleaned answer string.
 */
export function extractAnswerImpl(completion: string, choices?: readonly string[]): string | null {
  const raw = rawExtract(completion);
  if (raw === null || !choices || choices.length === 0) return raw;
  const l = letterForm(raw, choices);
  if (l && 'letter' in l) return l.letter;
  if (l) return raw;
  const i = matchChoice(raw, choices);
  return i >= 0 ? String.fromCharCode(65 + i) : raw;
}
