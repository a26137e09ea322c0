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

interface Found {
  answer: string;
  rule: AnswerRule;
}

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
  const think = turn
    .slice(start, close)
    .replace(/<\/?think>/g, '')
    .trim();
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
  for (const [openTag, closeTag] of [
    ['<answer>', '</answer>'],
    ['<CONCLUSION>', '</CONCLUSION>'],
  ] as const) {
    const open = s.lastIndexOf(openTag);
    if (open < 0) continue;
    const close = s.indexOf(closeTag, open);
    return s.slice(open + openTag.length, close < 0 ? s.length : close).trim();
  }
  return null;
}

const PHRASES: Array<{ rule: AnswerRule; re: RegExp }> = [
  {
    rule: 'final_answer',
    re: /\bfinal\s+answer\b(?:\s*\*\*)?(?:\s*(?:is|should\s+be|would\s+be)\b)?(?:\s*[:：=])?(?:\s*\*\*)?(?:\s*[:：])?/gi,
  },
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

const JUDGEMENT_RE =
  /^[\s*]*(?:correct|incorrect|right|wrong|reasonable|valid|invalid|consistent|plausible|not\b|indeed|likely|unlikely|unclear|clear|obvious|because|that\b|given|based|found|shown|as follows|below|above)/i;

/** The text a phrase introduces: the rest of its line (or the next line), cut at the end of its sentence. */
function phraseValue(s: string, from: number): string {
  let rest = s.slice(from, from + 2 * MAX_VALUE_CHARS);
  rest = rest.replace(/^[ \t*:：]+/, '');
  if (rest.startsWith('\n')) rest = rest.replace(/^\s+/, '');
  const display = /^(\$\$|\\\[)([\s\S]*?)(\$\$|\\\])/.exec(rest);
  if (display) return display[2] ?? '';
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
    for (let m = re.exec(s), guard = 0; m && guard < 2000; m = re.exec(s), guard++)
      hits.push({ rule, at: m.index, end: m.index + m[0].length });
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
  const candidates = [m?.[1] ?? null, eq >= 0 ? s.slice(eq + 1) : null].filter(
    (c): c is string => c !== null && c.trim() !== '',
  );
  for (const c of candidates) {
    const v = cleanValue(c.replace(/^(?:option|choice)\s+/i, 'option '), choices);
    if (
      v &&
      (v.kind === 'number' ||
        v.kind === 'latex' ||
        v.kind === 'equation' ||
        v.kind === 'letter' ||
        v.kind === 'paren_letter' ||
        v.kind === 'option_text')
    )
      return v;
  }
  return null;
}

// A step of reasoning inside a sentence: "…, dividing both sides by 3 gives x = 60", "…, so x = 4", "adding them yields 27".
const STEP_RE =
  /\b(?:gives|giving|yields|yielding|we\s+(?:get|obtain|find|have)|results?\s+in|resulting\s+in|which\s+means|therefore|thus|hence|so)\b[\s,:]*/gi;
// After these verbs the value may close a phrase ("gives an area of 24"); after "so" / "thus" a clause must state it.
const VALUE_VERB_RE = /^(?:giv|yield|we|result)/i;
// "Since 3x = 180, …", "Given that AB = 5, …": a sentence that argues from a premise.
const PREMISE_RE = /^(?:since|given(?:\s+that)?|because|as)\b[^,]*,/i;
const ANSWER_KINDS: ReadonlySet<ValueKind> = new Set(['letter', 'paren_letter', 'option_text']);

/** True for words of prose in a candidate (LaTeX commands do not count): "gives x = 60" is prose, `\frac{3}{2}` is not. */
function hasWords(s: string): boolean {
  return /[A-Za-z]{3,}/.test(s.replace(/\\[a-zA-Z]+/g, ''));
}

/**
 * The value a reasoning sentence arrives at: the clause after its last step marker ("gives", "yields", "so",
 * "therefore", …) or after a premise ("Since …, x is 40") when that clause states a number, LaTeX, equation
 * or option. Null when the sentence does not reason or states no value.
 */
function reasonedValue(sentence: string, choices: string[] | null): CleanValue | null {
  const s = sentence.trim().replace(/[.。!]+$/, '');
  let clause: string | null = null;
  let direct = false;
  STEP_RE.lastIndex = 0;
  for (let m = STEP_RE.exec(s), guard = 0; m && guard < 50; m = STEP_RE.exec(s), guard++) {
    // "so" joins clauses only after a comma or "and" ("so x = 4"); "Also" and "so-called" are not steps.
    if (/^so\b/i.test(m[0]) && m.index > 0 && !/(?:,|\band)\s*$/i.test(s.slice(0, m.index))) continue;
    clause = s.slice(m.index + m[0].length);
    direct = VALUE_VERB_RE.test(m[0]);
  }
  if (clause === null) {
    const premise = PREMISE_RE.exec(s);
    if (premise) clause = s.slice(premise[0].length);
  }
  if (clause === null || clause.trim() === '') return null;
  // The clause itself: "x = 2 or x = 3", "yields 27", "is therefore 70°", "option C" among options.
  const whole = cleanValue(clause, choices);
  if (whole && (whole.kind === 'equation' || whole.kind === 'number' || (choices && ANSWER_KINDS.has(whole.kind))))
    return whole;
  const stated = statedValue(clause, choices);
  if (stated) return stated;
  if (!direct) return null;
  // "gives an area of 24": the value closing the clause.
  const tail = /.*\s(?:of|to|at)\s+(\S.*)$/.exec(clause)?.[1];
  const v = tail !== undefined ? cleanValue(tail, choices) : null;
  return v && v.kind !== 'text' && v.kind !== 'yes_no' && tail !== undefined && !hasWords(tail) ? v : null;
}

// How reasoning opens ("To determine the value of y, …", "First, …", "We can …", "Let's …", "Since …, …").
const REASONING_OPENING_RE =
  /^(?:to\s+(?:determine|find|solve|calculate|compute|work\s+out|figure\s+out|answer|get|obtain|evaluate|identify|check|verify|decide)\b|first(?:ly)?\s*,|first\s+(?:we|i|let)\b|next\s*,|then\s*,|now\s*,|step\s*\d|we\s+(?:can|need|must|should|will|have\s+to|know|see|first|start|begin|use|notice|observe|note)\b|let(?:'s|’s|\s+us|\s+me)\b|i\s+(?:need|will|should|must|can\s+see|notice|observe)\b|in\s+order\s+to\b|since\b[^,]*,|given\s+that\b|(?:so|thus|therefore|hence)\s*,?\s+(?:we|i|let)\b)/i;
const REASONING_INSIDE_RE =
  /\b(?:we\s+(?:can|need|must|should|will|have\s+to|know|get|obtain|find)|let(?:'s|’s)|let\s+us|by\s+the\s+(?:\w+\s+){0,2}(?:theorem|rule|property|formula))\b/i;
// A sentence cut off mid-way ends on a word that needs more after it.
const DANGLING_END_RE =
  /\s(?:the|a|an|and|or|of|to|with|by|that|which|is|are|was|were|be|we|so|as|for|from|then|because|since|if|than|into|gives|yields|equals|using|where)$/i;

/** A short text that is a step of reasoning (or a cut-off one) rather than an answer. */
function isReasoningFragment(t: string): boolean {
  const s = t.trim().replace(/[.。!,;:]+$/, '');
  return (
    REASONING_OPENING_RE.test(s) ||
    REASONING_INSIDE_RE.test(s) ||
    (s.split(/\s+/).length >= 3 && DANGLING_END_RE.test(s))
  );
}

/**
 * A short text taken whole: its shape names the rule; "The radius is 7 cm." gives 7 (`equation_value`), a
 * reasoning sentence gives the value it arrives at (`conclusion`), a reasoning sentence without one is no answer.
 */
function shortShape(t: string, choices: string[] | null): Found | null {
  const v = cleanValue(t, choices);
  if (!v) return null;
  // Prose, or LaTeX-looking prose ("Since 3x = 180, dividing both sides by 3 gives x = 60"); `y = 2x + 1` is neither.
  const prose = v.kind === 'text' || (v.kind === 'latex' && (hasWords(t) || /\s(?:so|is)\s/.test(t)));
  if (!prose) return { answer: v.answer, rule: SHAPE_RULE[v.kind] };
  const reasoned = reasonedValue(t, choices);
  if (reasoned) return { answer: reasoned.answer, rule: 'conclusion' };
  // A sentence cut off after a premise ("Given that AB = 5 and BC = 12,") states no answer.
  if (/[,;:]\s*$/.test(t.trim())) return null;
  if (v.kind === 'text' || /[A-Za-z]{2,}\s+(?:is|are|equals|measures)\s/.test(t)) {
    // A one-sentence statement of a value ("The radius is 7 cm.") answers with the value.
    const stated = statedValue(t.replace(CONCLUDE_RE, ''), choices);
    if (stated) return { answer: stated.answer, rule: 'equation_value' };
  }
  // "To determine the value of y, we can use the fact that EF is parallel to BC": reasoning cut short, no answer.
  if (isReasoningFragment(t)) return null;
  return { answer: v.answer, rule: SHAPE_RULE[v.kind] };
}

function isShort(t: string): boolean {
  return t.length <= SHORT_CHARS && !t.includes('\n');
}

/** Last sentence of the last non-empty line. */
function lastSentence(s: string): string {
  const lines = s
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = lines[lines.length - 1] ?? '';
  const parts = line.split(/(?<=[.!?。])\s+(?=[A-Z])/);
  return parts[parts.length - 1] ?? '';
}

/** In a reasoning text: a short last line that is itself an answer, else a concluding "Therefore … is X." */
function reasoningEnd(s: string, choices: string[] | null): Found | null {
  const lines = s
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
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
  const reasoned = reasonedValue(sentence, choices);
  return reasoned ? { answer: reasoned.answer, rule: 'conclusion' } : null;
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
  let end =
    para >= 0 && think.length - para <= INNER_TAIL_CHARS ? think.slice(para + 2) : think.slice(-INNER_TAIL_CHARS);
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
