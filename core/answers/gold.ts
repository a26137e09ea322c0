// Reduces a source row's answer turn (LLaVA-OneVision `gpt`, R1-Onevision `assistant`) to its
// final answer. The rules and their order are listed in core/answers/README.md.
import type { AnswerRule, GoldAnswer } from '../../schemas/answers.ts';
import { cleanValue, matchBrace, MAX_VALUE_CHARS, type CleanValue, type ValueKind } from './value.ts';

/** Only this many trailing characters of a turn are scanned: bounded time whatever the row. */
const MAX_SCAN_CHARS = 20_000;
/** A turn (or tail) up to this long on one line may be its own answer. */
const SHORT_CHARS = 120;
/** The final stretch of a <think> block searched for its answer when nothing follows the block. */
const INNER_TAIL_CHARS = 1200;

interface Found { answer: string; rule: AnswerRule }

// ---------- <think> ----------

export interface ThinkSplit {
  think: string | null;
  /** What follows the last </think> (the whole turn when there is no think block). */
  tail: string;
}

/** Splits an R1-Onevision answer turn at its think block; an unclosed <think> runs to the end. */
export function splitThink(turn: string): ThinkSplit {
  const open = turn.indexOf('<think>');
  const close = turn.lastIndexOf('</think>');
  if (open < 0 && close < 0) return { think: null, tail: turn };
  if (close < 0) return { think: turn.slice(open + 7).trim(), tail: '' };
  const start = open >= 0 && open < close ? open + 7 : 0;
  // Stray repeated tags inside (revision residue) are not reasoning text.
  const think = turn.slice(start, close).replace(/<\/?think>/g, '').trim();
  return { think, tail: turn.slice(close + 8).trim() };
}

// ---------- answer statements ----------

/** Content of the last `\boxed{…}` / `\fbox{…}` with balanced braces, or null (the last 50 tried). */
export function lastBoxed(s: string): string | null {
  let end = s.length;
  for (let guard = 0; guard < 50 && end > 0; guard++) {
    const at = Math.max(s.lastIndexOf('\\boxed', end - 1), s.lastIndexOf('\\fbox', end - 1));
    if (at < 0) return null;
    const m = /^\\(?:boxed|fbox)\s*\{/.exec(s.slice(at, at + 16));
    if (m) {
      const open = at + m[0].length - 1;
      const close = matchBrace(s, open);
      if (close > 0) return s.slice(open + 1, close);
    }
    end = at;
  }
  return null;
}

/** Content of the last `<answer>` block, else of LLaVA-CoT's `<CONCLUSION>` block; an unclosed one runs to the end. */
function answerTag(s: string): string | null {
  for (const [openTag, closeTag] of [['<answer>', '</answer>'], ['<CONCLUSION>', '</CONCLUSION>']]) {
    const open = s.lastIndexOf(openTag);
    if (open < 0) continue;
    const close = s.indexOf(closeTag, open);
    return s.slice(open + openTag.length, close < 0 ? s.length : close).trim();
  }
  return null;
}

const PHRASES: Array<{ rule: AnswerRule; re: RegExp }> = [
  { rule: 'final_answer', re: /\bfinal\s+answer\b(?:\s*\*\*)?(?:\s*(?:is|should\s+be|would\s+be)\b)?(?:\s*[:：=])?(?:\s*\*\*)?(?:\s*[:：])?/gi },
  {
    rule: 'the_answer_is',
    re: /\b(?:(?:the\s+)?(?:correct|right|best)\s+(?:answer|option|choice)|(?:the\s+)?answer)\s+(?:should\s+be|would\s+be|must\s+be|will\s+be|is)\b(?:\s*[:：])?/gi,
  },
  // "Answer:" opens a line or a sentence ("To answer: we first…" is not an answer statement).
  {
    rule: 'answer_colon',
    re: /(?:^|[.!?。]\s+|\*\*)[ \t]*(?:#+[ \t]*)?(?:\*\*)?(?:(?:the|correct|short|my)\s+)*(?:answer|答案)(?:\*\*)?\s*[:：](?:\*\*)?/gim,
  },
];

const JUDGEMENT_RE = /^[\s*]*(?:correct|incorrect|right|wrong|reasonable|valid|invalid|consistent|plausible|not\b|indeed|likely|unlikely|unclear|clear|obvious|because|that\b|given|based|found|shown|as follows|below|above)/i;

/** The text a phrase introduces: the rest of its line (or the next line), cut at the end of its sentence. */
function phraseValue(s: string, from: number): string {
  let rest = s.slice(from, from + 2 * MAX_VALUE_CHARS);
  rest = rest.replace(/^[ \t*:：]+/, '');
  if (rest.startsWith('\n')) rest = rest.replace(/^\s+/, '');
  const display = /^(\$\$|\\\[)([\s\S]*?)(\$\$|\\\])/.exec(rest);
  if (display) return display[2];
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  // A sentence ends at ". " + a capitalised word, not inside "B. 3 cm" or a decimal.
  const stop = /[.。]\s+(?=[A-Z][a-z])/.exec(rest);
  if (stop && !/^\s*\(?[A-Z]\)?\s*$/.test(rest.slice(0, stop.index))) rest = rest.slice(0, stop.index);
  else if (stop) rest = rest.slice(0, stop.index);
  return rest;
}

/** The last answer statement (final answer / the answer is / Answer:) with a usable value. */
function lastPhrase(s: string, choices: string[] | null): Found | null {
  const hits: Array<{ rule: AnswerRule; at: number; end: number }> = [];
  for (const { rule, re } of PHRASES) {
    re.lastIndex = 0;
    for (let m = re.exec(s), guard = 0; m && guard < 2000; m = re.exec(s), guard++) hits.push({ rule, at: m.index, end: m.index + m[0].length });
  }
  // Latest first; of phrases ending together the longer one ("final answer is" over "answer is") wins.
  hits.sort((a, b) => b.end - a.end || a.at - b.at);
  const seenEnd = new Set<number>();
  for (const h of hits) {
    if (seenEnd.has(h.end)) continue;
    seenEnd.add(h.end);
    const text = phraseValue(s, h.end);
    // "the answer is correct / reasonable / not …" judges an answer rather than giving one.
    if (JUDGEMENT_RE.test(text)) continue;
    const v = cleanValue(text, choices);
    if (!v) continue;
    // "The final answer is: The rate in 1985 was approximately 76%." states a value inside a sentence.
    const stated = v.kind === 'text' && text.length > 20 ? statedValue(text, choices) : null;
    return { answer: stated ? stated.answer : v.answer, rule: h.rule };
  }
  return null;
}

// ---------- whole-turn shapes ----------

const SHAPE_RULE: Record<ValueKind, AnswerRule> = {
  letter: 'letter_only',
  paren_letter: 'paren_letter',
  option_text: 'option_text',
  yes_no: 'yes_no',
  equation: 'equation_value',
  number: 'bare_value',
  latex: 'latex_value',
  text: 'whole_turn_short',
};

const WHOLE_SHAPE_RULES: ReadonlySet<AnswerRule> = new Set(Object.values(SHAPE_RULE));

const CONCLUDE_RE = /^(?:so|thus|therefore|hence|consequently|in conclusion|finally|as a result)\b[\s,]*/i;
// "The radius is 7 cm", "the length of AB equals 10", "∠ABC measures 40°".
const IS_VALUE_RE = /\b(?:is|are|equals|measures|be|was|=|≈)\s+(?:approximately\s+|about\s+|equal\s+to\s+)?([^=]+?)$/i;

/** The value a "<subject> is <value>" sentence states, when that value is a number, LaTeX, equation or option letter. */
function statedValue(sentence: string, choices: string[] | null): CleanValue | null {
  const s = sentence.trim().replace(/[.。!]+$/, '');
  const eq = s.lastIndexOf('=');
  const m = IS_VALUE_RE.exec(s);
  const candidates = [m ? m[1] : null, eq >= 0 ? s.slice(eq + 1) : null].filter((c): c is string => c !== null && c.trim() !== '');
  for (const c of candidates) {
    const v = cleanValue(c.replace(/^(?:option|choice)\s+/i, 'option '), choices);
    if (v && (v.kind === 'number' || v.kind === 'latex' || v.kind === 'equation' || v.kind === 'letter' || v.kind === 'paren_letter' || v.kind === 'option_text')) return v;
  }
  return null;
}

/** A short text taken whole: its shape names the rule; "The radius is 7 cm." gives 7. */
function shortShape(t: string, choices: string[] | null): Found | null {
  const v = cleanValue(t, choices);
  if (!v) return null;
  if (v.kind === 'text' || (v.kind === 'latex' && /[A-Za-z]{2,}\s+(?:is|are|equals|measures)\s/.test(t))) {
    // A one-sentence statement of a value ("The radius is 7 cm.") answers with the value.
    const stated = statedValue(t.replace(CONCLUDE_RE, ''), choices);
    if (stated) return { answer: stated.answer, rule: 'equation_value' };
  }
  return { answer: v.answer, rule: SHAPE_RULE[v.kind] };
}

function isShort(t: string): boolean {
  return t.length <= SHORT_CHARS && !t.includes('\n');
}

/** Last sentence of the last non-empty line. */
function lastSentence(s: string): string {
  const lines = s.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines[lines.length - 1] ?? '';
  const parts = line.split(/(?<=[.!?。])\s+(?=[A-Z])/);
  return parts[parts.length - 1] ?? '';
}

/** In a reasoning text: a short last line that is itself an answer, else a concluding "Therefore … is X." */
function reasoningEnd(s: string, choices: string[] | null): Found | null {
  const lines = s.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const lastLine = lines[lines.length - 1] ?? '';
  if (lines.length > 1 && lastLine.length <= 40) {
    const v = cleanValue(lastLine, choices);
    if (v && v.kind !== 'text') return { answer: v.answer, rule: 'last_line' };
  }
  const sentence = lastSentence(s);
  if (CONCLUDE_RE.test(sentence)) {
    const v = statedValue(sentence.replace(CONCLUDE_RE, ''), choices);
    if (v) return { answer: v.answer, rule: 'conclusion' };
  }
  return null;
}

/** The answer of a text without think tags: tag, box, statement, then the whole text's shape. */
function fromText(t: string, choices: string[] | null): Found | null {
  const tag = answerTag(t);
  if (tag !== null) {
    const inner = fromText(tag, choices);
    if (inner) return { answer: inner.answer, rule: 'answer_tag' };
  }
  const boxed = lastBoxed(t);
  if (boxed !== null) {
    const v = cleanValue(boxed, choices);
    if (v) return { answer: v.answer, rule: 'boxed' };
  }
  const phrase = lastPhrase(t, choices);
  if (phrase) return phrase;
  if (isShort(t)) return shortShape(t, choices);
  return reasoningEnd(t, choices);
}

/** The end of a think block with nothing after it: an answer statement or a short answer line there. */
function fromThinkEnd(think: string, choices: string[] | null): Found | null {
  const para = think.lastIndexOf('\n\n');
  let end = para >= 0 && think.length - para <= INNER_TAIL_CHARS ? think.slice(para + 2) : think.slice(-INNER_TAIL_CHARS);
  if (end.trim() === '') end = think.slice(-INNER_TAIL_CHARS);
  return fromText(end.trim(), choices);
}

/** The gold answer of an answer turn. Never throws. */
export function normalizeGoldAnswerImpl(gptTurn: string, choices: string[] | null): GoldAnswer {
  const answerRaw = String(gptTurn ?? '');
  const text = answerRaw.length > MAX_SCAN_CHARS ? answerRaw.slice(-MAX_SCAN_CHARS) : answerRaw;
  const { think, tail } = splitThink(text.replace(/\r\n?/g, '\n'));
  const ch = choices && choices.length > 0 ? choices : null;
  let found: Found | null = null;
  if (think === null) {
    found = fromText(tail.trim(), ch);
  } else {
    if (tail !== '') {
      const t = fromText(tail, ch);
      // A short tail taken whole is the "<think>…</think> answer" layout.
      if (t) found = WHOLE_SHAPE_RULES.has(t.rule) ? { answer: t.answer, rule: 'think_tail' } : t;
    }
    if (!found) {
      // Reasoning that merely ends in a short sentence has no answer: only a statement or a value counts.
      const inner = fromThinkEnd(think, ch);
      if (inner && inner.rule !== 'whole_turn_short') found = { answer: inner.answer, rule: 'think_inner' };
    }
  }
  if (!found || found.answer === '') return { answer: null, answerRaw, source: 'none', think };
  return { answer: found.answer, answerRaw, source: found.rule, think };
}
