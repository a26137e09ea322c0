// Final-answer extraction from a model completion. Order (first that yields wins):
//   region: the last <answer> block, else the text after the last </think> (an unclosed <think>
//   leaves nothing: an answer only inside the reasoning is no answer), else the whole completion;
//   1. the last \boxed{}/\fbox{} of the region — unless a later "final answer is X" overrides it;
//   2. inside an <answer> block: its "answer is X" phrase, else the block itself;
//   3. the last "final answer is X" / "the answer is X" / "Answer: X" phrase;
//   4. the last display or inline math ($$X$$, \[X\], $X$, \(X\)) of the region;
//   5. a closing "… is X." sentence;
//   6. a region of ≤ 40 chars on one line is its own answer.
import { letterForm, matchChoice } from './equivalence.ts';
import { matchBrace } from './latex.ts';
import { at } from '../must.ts';

/** Completions are scanned only within this many trailing characters: bounded time per call. */
export const MAX_COMPLETION_CHARS = 200_000;
const MAX_EXTRACTED_CHARS = 2000;
const MAX_BOXES = 50;
const MAX_SENTENCE_CHARS = 1000;

interface Boxed {
  content: string;
  at: number;
  end: number;
}

/** Every `\boxed{…}` / `\fbox{…}` (nested braces allowed) of s, in order; at most the last 50. */
export function allBoxed(s: string): Boxed[] {
  const out: Boxed[] = [];
  let end = s.length;
  for (let guard = 0; guard < MAX_BOXES * 4 && out.length < MAX_BOXES; guard++) {
    const a = s.lastIndexOf('\\boxed', end);
    const b = s.lastIndexOf('\\fbox', end);
    const at = Math.max(a, b);
    if (at < 0) break;
    const cmdLen = at === a ? 6 : 5;
    let i = at + cmdLen;
    if (!/[a-zA-Z]/.test(s[i] ?? '')) {
      while (s[i] === ' ') i++;
      if (s[i] === '{') {
        const close = matchBrace(s, i);
        if (close > 0) out.push({ content: s.slice(i + 1, close), at, end: close + 1 });
      } else if (i > at + cmdLen) {
        // "\boxed 5": one token after a space.
        const m = /^[^\s$]+/.exec(s.slice(i, i + 100));
        if (m) out.push({ content: m[0], at, end: i + m[0].length });
      }
    }
    end = at - 1;
    if (end < 0) break;
  }
  return out.reverse();
}

/** Content of the last `\boxed{…}` / `\fbox{…}` (nested braces allowed), or null. */
export function lastBoxed(s: string): string | null {
  const all = allBoxed(s);
  return all.at(-1)?.content ?? null;
}

/** Content of the last `<answer>` block; an unclosed final block (a truncated completion) counts. */
export function answerBlock(s: string): string | null {
  const open = s.lastIndexOf('<answer>');
  if (open < 0) return null;
  const close = s.indexOf('</answer>', open);
  return s.slice(open + 8, close < 0 ? s.length : close);
}

const PHRASE_RE = /(final\s+answer|the\s+answer|answer|correct\s+(?:option|choice))\s*(?:is\s*:?|:|=)/gi;
const MATH_SPAN_START = /^(?:\$\$([\s\S]*?)\$\$|\\\[([\s\S]*?)\\\]|\$((?:\\.|[^$\n\\])+?)\$|\\\(([^\n]*?)\\\))/;

/** The text of a sentence up to its end: ". " (not inside a number), a newline, or a chat-template marker. */
function sentence(rest: string): string {
  let r = rest;
  const tpl = r.indexOf('<|');
  if (tpl >= 0) r = r.slice(0, tpl);
  const nl = r.indexOf('\n');
  if (nl >= 0) r = r.slice(0, nl);
  const stop = /\.(?=\s+\S|\s*$)/.exec(r);
  return stop ? r.slice(0, stop.index) : r;
}

/** The answer in a phrase's tail: a leading math span, else the sentence, narrowed to its "is X". */
function answerIn(tail: string): string | null {
  let rest = tail.replace(/^[ \t:*]+/, '');
  if (rest.startsWith('\n')) rest = rest.replace(/^\s+/, '');
  const span = MATH_SPAN_START.exec(rest);
  // A display block may span lines; the sentence cut below would break it.
  const display = span?.[1] ?? span?.[2];
  if (display !== undefined) return clean(display);
  return fromSentence(sentence(rest));
}

const WORDS_RE = /(?:^|[^\\a-zA-Z])[a-zA-Z]{2,}/g;
/** Plain words outside LaTeX commands and math spans: "Jane started growing Sphere 3 hours ago" has 6. */
function wordCount(s: string): number {
  return (s.replace(MATH_SPAN_RE, ' ').match(WORDS_RE) ?? []).length;
}
// A number in prose: thousands groups, a decimal point, or a decimal comma of one or two digits ("2,74").
const NUMBER_RE = /[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+|,\d{1,2}(?!\d))?(?:\s*(?:\\?%|percent\b))?/g;

/** The answer a sentence states: after its last "is"/"are"/"equals", a math span, else (in prose) its last number. */
function fromSentence(sentIn: string): string | null {
  let sent = sentIn.slice(-MAX_SENTENCE_CHARS).trim();
  // "The volume of $ABCD$ is 120": the answer follows the last "is"/"are"/"be"/"equals".
  const is = /.*\s(?:is|are|equals|be|it's)\s+/s.exec(sent);
  // "Therefore $x \geq 5$ is the solution": nothing stated after "is", the sentence is kept.
  if (is && sent.slice(0, is[0].length).split(/\s+/).length > 2 && /[\d$\\]/.test(sent.slice(is[0].length))) {
    sent = sent.slice(is[0].length);
    // "there are 12 distinct sequences": the count, not the noun phrase.
    const lead = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:\\?%|percent\b))?(?=\s+[a-zA-Z]{2,})/.exec(sent);
    if (lead && !/[$]|\\\(/.test(sent)) return clean(lead[0]);
  }
  const spans = [...sent.matchAll(MATH_SPAN_RE)];
  if (spans.length > 0) {
    // Several spans joined only by "and"/"or"/commas are one answer ("$1$ and $2$").
    if (spans.length > 1 && /^(?:[\s,;"\\]|and|or)*$/.test(sent.replace(MATH_SPAN_RE, '')))
      return clean(sent.replace(/\$/g, ''));
    const m = at(spans, spans.length - 1);
    return clean(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  if (wordCount(sent) >= 3 && !/[$]|\\\(|\\\[/.test(sent)) {
    const lastNumber = sent.match(NUMBER_RE)?.at(-1);
    return clean(lastNumber ?? sent);
  }
  return clean(sent);
}

interface Phrase {
  answer: string | null;
  at: number;
  strong: boolean;
}

/** The last "the answer is X" / "Answer: X" phrase of s and where it starts. */
function lastPhrase(s: string): Phrase | null {
  PHRASE_RE.lastIndex = 0;
  let last: RegExpExecArray | null = null;
  for (let m = PHRASE_RE.exec(s), guard = 0; m && guard < 10_000; m = PHRASE_RE.exec(s), guard++) last = m;
  if (!last) return null;
  const tail = s.slice(last.index + last[0].length, last.index + last[0].length + MAX_EXTRACTED_CHARS);
  return { answer: answerIn(tail), at: last.index, strong: /^final/i.test(last[1] ?? '') };
}

/** The X of the last "the answer is X" / "Answer: X", cut at the end of its sentence. */
export function answerPhrase(s: string): string | null {
  return lastPhrase(s)?.answer ?? null;
}

const MATH_SPAN_RE = /\$\$([\s\S]*?)\$\$|\\\[([\s\S]*?)\\\]|\\\(([^\n]*?)\\\)|\$((?:\\.|[^$\n\\])*?)\$/g;

/** The last sentence of s that states something: one holding a digit or a math span (masked spans keep offsets). */
function conclusion(s: string): string | null {
  const tail = s.length > 20_000 ? s.slice(-20_000) : s;
  const masked = tail.replace(MATH_SPAN_RE, (m) => '\u0001'.repeat(m.length));
  const ends: number[] = [0];
  for (const m of masked.matchAll(/[.!?](?=\s)|\n\s*\n/g)) ends.push((m.index ?? 0) + m[0].length);
  // A display block ends its sentence too ("we get: $$…$$ Therefore, …").
  for (const m of tail.matchAll(MATH_SPAN_RE))
    if (m[1] !== undefined || m[2] !== undefined) ends.push((m.index ?? 0) + m[0].length);
  ends.sort((a, b) => a - b);
  ends.push(masked.length);
  for (let k = ends.length - 1; k > 0; k--) {
    const [from, to] = [at(ends, k - 1), at(ends, k)];
    const piece = masked.slice(from, to);
    // Only the sentence's last 1,000 chars are read: bounded time on a run-on "sentence".
    if (/[\d\u0001]/.test(piece))
      return tail.slice(Math.max(from, to - MAX_SENTENCE_CHARS), to).replace(/[.!?]\s*$/, '');
  }
  return null;
}

// Chat-template residue after the answer ("… is 19. <|im_start|>user").
const TEMPLATE_TAIL_RE = /<\|[a-z_]+\|>[\s\S]*$/;

function clean(s: string): string | null {
  let t = s
    .trim()
    .replace(/^\*+|\*+$/g, '')
    .replace(/^\\?"|\\?"$/g, '')
    .trim();
  t = t.replace(/[.。]\s*$/, '').trim();
  if (/^\$[^$]*\$$/.test(t) || /^\$\$[^$]*\$\$$/.test(t)) t = t.replace(/^\$+|\$+$/g, '').trim();
  if (/^\\\((.*)\\\)$/s.test(t)) t = t.slice(2, -2).trim();
  if (/^\\\[(.*)\\\]$/s.test(t)) t = t.slice(2, -2).trim();
  return t === '' ? null : t.slice(0, MAX_EXTRACTED_CHARS);
}

/** Where the final answer may be: the <answer> block, else after the reasoning. Null when none can be. */
function answerRegion(s: string): { region: string; block: boolean } | null {
  const block = answerBlock(s);
  if (block !== null) return { region: block, block: true };
  const close = s.lastIndexOf('</think>');
  if (close >= 0) return { region: s.slice(close + 8), block: false };
  // An opened, never closed reasoning block holds no final answer.
  if (s.includes('<think>')) return null;
  return { region: s, block: false };
}

export interface Extraction {
  answer: string | null;
  /** The closing run of boxed answers of the region, in order (several when the answer has several values). */
  boxes: string[];
}

export function extractDetailed(completion: string): Extraction {
  const s = completion.length > MAX_COMPLETION_CHARS ? completion.slice(-MAX_COMPLETION_CHARS) : completion;
  const r = answerRegion(s);
  if (r === null) return { answer: null, boxes: [] };
  const { block } = r;
  const region = r.region.replace(TEMPLATE_TAIL_RE, '');
  const boxed = allBoxed(region);
  if (boxed.length > 0) {
    const last = at(boxed, boxed.length - 1);
    // The closing run of boxes, each separated from the next by at most three words ("\boxed{1} and \boxed{2}",
    // "\boxed{1} papers and \boxed{2} bins"), may together be one answer with several values.
    let first = boxed.length - 1;
    while (first > 0 && wordCount(region.slice(at(boxed, first - 1).end, at(boxed, first).at)) <= 3) first--;
    const boxes = boxed
      .slice(first)
      .map((b) => clean(b.content))
      .filter((x): x is string => x !== null);
    // "\boxed{255} … Final Answer: The final answer is $10,455$." — the later final answer wins.
    const p = lastPhrase(region.slice(last.at));
    if (p && p.strong && p.answer !== null) return { answer: p.answer, boxes: [] };
    return { answer: clean(last.content), boxes };
  }
  if (block) return { answer: answerPhrase(region) ?? clean(region), boxes: [] };
  const phrase = answerPhrase(region);
  if (phrase !== null) return { answer: phrase, boxes: [] };
  const t = region.trim();
  // A completion that is nothing but a short answer ("B", "42", "x = 5", "yes") is its own answer;
  // an unpaired "$" there is a currency sign ("2,74 $").
  if (t.length > 0 && t.length <= 40 && !t.includes('\n') && !/<\/?think>/.test(t) && !/\$[^$]+\$|\\[([]/.test(t)) {
    if ((t.match(/\$/g) ?? []).length % 2 === 1 && /\d/.test(t) && !/\$[^$]*\d[^$]*\$/.test(t)) {
      const nums = t.match(NUMBER_RE);
      if (nums && nums.length === 1) return { answer: nums[0], boxes: [] };
    }
    if (wordCount(t) < 3) return { answer: clean(t), boxes: [] };
  }
  const c = conclusion(region);
  if (c !== null) return { answer: fromSentence(c), boxes: [] };
  // A short line of words and no number ("isosceles right triangle") is a text answer.
  return { answer: t.length <= 40 && !t.includes('\n') && !/<\/?think>/.test(t) ? clean(t) : null, boxes: [] };
}

/**
 * The final answer of a completion, or null. With choices, a letter in any common form or an
 * option's text comes back as the bare letter ("B"); otherwise the cleaned answer string.
 */
export function extractAnswerImpl(completion: string, choices?: readonly string[]): string | null {
  return withChoices(extractDetailed(completion).answer, choices);
}

export function withChoices(raw: string | null, choices?: readonly string[]): string | null {
  if (raw === null || !choices || choices.length === 0) return raw;
  const l = letterForm(raw, choices);
  if (l && 'letter' in l) return l.letter;
  if (l) return raw;
  const i = matchChoice(raw, choices);
  return i >= 0 ? String.fromCharCode(65 + i) : raw;
}

/** Distinct boxed answers joined as one list ("1, -2"), for a gold with several values; null for fewer than two. */
export function joinedBoxes(boxes: readonly string[]): string | null {
  const distinct = [...new Set(boxes.map((b) => b.trim()))];
  return distinct.length > 1 ? distinct.join(', ') : null;
}
