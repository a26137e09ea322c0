// Reduces one candidate answer string ("B.", "(B)", "7 cm", "$\frac{25\pi}{2}$", "x=2 or x=3",
// "No.") to the gold answer alone, and says what shape it had. Pure string work, bounded input.

export type ValueKind = 'letter' | 'paren_letter' | 'option_text' | 'yes_no' | 'equation' | 'number' | 'latex' | 'text';

export interface CleanValue {
  answer: string;
  kind: ValueKind;
}

/** Candidates longer than this are not answers (a paragraph); callers look elsewhere. */
export const MAX_VALUE_CHARS = 300;

/** Index of the `}` closing the `{` at `open` (nesting and `\{` escapes honoured), -1 when unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      i++;
      continue;
    }
    if (c === 123) depth++;
    else if (c === 125) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Replaces `\name{x}` by `x` for the given command names (one level per call; enough for answers). */
function unwrapCommand(s: string, names: string): string {
  const re = new RegExp(`\\\\(?:${names})\\s*\\{`, 'g');
  let out = '';
  let last = 0;
  for (let m = re.exec(s), guard = 0; m && guard < 50; m = re.exec(s), guard++) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(s, open);
    if (close < 0) break;
    out += s.slice(last, m.index) + s.slice(open + 1, close);
    last = close + 1;
    re.lastIndex = last;
  }
  return out + s.slice(last);
}

/** Markdown, math delimiters, quotes and sentence punctuation around an answer, removed. */
export function stripWrappers(input: string): string {
  let s = input.trim();
  for (let round = 0; round < 4; round++) {
    const before = s;
    s = s.replace(/^\*+|\*+$/g, '').trim();
    s = s.replace(/^[:：=]\s*/, '').trim();
    s = s.replace(/[.。;；,，!]+$/, '').trim();
    if (/^\$\$[\s\S]*\$\$$/.test(s) && s.length > 4) s = s.slice(2, -2).trim();
    else if (/^\$[^$]*\$$/.test(s) && s.length > 2) s = s.slice(1, -1).trim();
    if (/^\\\([\s\S]*\\\)$/.test(s)) s = s.slice(2, -2).trim();
    if (/^\\\[[\s\S]*\\\]$/.test(s)) s = s.slice(2, -2).trim();
    if (/^(["'`“‘])[\s\S]*(["'`”’])$/.test(s) && s.length > 2) s = s.slice(1, -1).trim();
    if (/^\\boxed\s*\{/.test(s)) {
      const close = matchBrace(s, s.indexOf('{'));
      if (close === s.length - 1) s = s.slice(s.indexOf('{') + 1, -1).trim();
    }
    if (s === before) break;
  }
  // "$5\sqrt{3}$ cm": math followed by a unit.
  const inner = /^\$([^$]+)\$\s*([A-Za-z°][A-Za-z°^\d\s/]{0,20})$/.exec(s);
  if (inner) {
    const [, math = '', unit = ''] = inner;
    s = `${math.trim()} ${unit.trim()}`;
  }
  return s;
}

// ---------- letters ----------

function inRange(letter: string, choices: readonly string[] | null): boolean {
  const i = letter.charCodeAt(0) - 65;
  return i >= 0 && i < (choices ? choices.length : 10);
}

const LETTER_PREFIX = '(?:(?:the\\s+)?(?:correct\\s+)?(?:[Oo]ption|[Cc]hoice|[Aa]nswer)\\s*(?:is\\s*)?[:：]?\\s*)?';
// "(B)", "（B）", "[B]", "Option (B)", each possibly followed by the option's text.
const BRACKETED_LETTER_RE = new RegExp(
  `^${LETTER_PREFIX}(?:[(（]([A-Za-z])[)）]|\\[([A-Za-z])\\])(?:[.:)]?\\s*[\\s\\S]*)?$`,
);
// "B", "B.", "B: 90", "B) 90", "Option B".
const PLAIN_LETTER_RE = new RegExp(`^${LETTER_PREFIX}([A-Z])(?:\\s*[.:：)．]\\s*([\\s\\S]*))?$`);
const LOWER_LETTER_RE = /^(?:(?:option|choice)\s*)?([a-z])$/i;

/** The option letter an answer names ("B", "B.", "B: 90", "(B)", "[B]", "Option B", "\text{B}"), or null. */
export function letterOf(s0: string, choices: readonly string[] | null): CleanValue | null {
  const s = unwrapCommand(s0, 'text|textbf|mathrm|mathbf').trim();
  const bracketed = BRACKETED_LETTER_RE.exec(s);
  if (bracketed) {
    const written = bracketed[1] ?? bracketed[2] ?? ''; // one of the two alternatives captured the letter
    const letter = written.toUpperCase();
    // "(b)" is a letter only among options; "(B)" also without them.
    if (written === letter || choices)
      return inRange(letter, choices) ? { answer: letter, kind: 'paren_letter' } : null;
  }
  const plain = PLAIN_LETTER_RE.exec(s);
  const [, plainLetter, plainRest = ''] = plain ?? [];
  if (plainLetter !== undefined && inRange(plainLetter, choices)) {
    // "B. 90" / "B: 90" name B; without options only a number may follow ("A. Smith" is text).
    const rest = plainRest.trim();
    if (rest === '' || choices || /^[\d$\\(-]/.test(rest)) return { answer: plainLetter, kind: 'letter' };
  }
  // A lowercase letter ("c", "option c") only among options.
  const lower = LOWER_LETTER_RE.exec(s);
  const upper = lower?.[1]?.toUpperCase();
  if (upper !== undefined && choices && inRange(upper, choices)) return { answer: upper, kind: 'letter' };
  return null;
}

// ---------- option texts ----------

/** Comparison key of an option text or answer: no math delimiters, degree marks, spacing, case or end punctuation. */
export function optionKey(s: string): string {
  let t = s.toLowerCase();
  t = t
    .replace(/\$/g, '')
    .replace(/\\[,;:! ]/g, '')
    .replace(/\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree/g, '');
  t = t.replace(/\\[dt]frac/g, '\\frac').replace(/\\left|\\right/g, '');
  t = t.replace(/\s+/g, '').replace(/[.。;,]+$/, '');
  const n = Number(t.replace(/,/g, ''));
  if (t !== '' && /^[-+]?[\d,]*\.?\d+$/.test(t) && Number.isFinite(n)) return `#${n}`;
  return t;
}

/** The letter of the one option whose text equals the answer (normalised), or null (none or several). */
export function optionOf(s: string, choices: readonly string[] | null): CleanValue | null {
  if (!choices || choices.length === 0) return null;
  const key = optionKey(s);
  if (key === '') return null;
  let found = -1;
  for (const [i, choice] of choices.entries()) {
    if (optionKey(choice) !== key) continue;
    if (found >= 0) return null;
    found = i;
  }
  return found >= 0 ? { answer: String.fromCharCode(65 + found), kind: 'option_text' } : null;
}

// ---------- yes / no ----------

export function yesNoOf(s: string): CleanValue | null {
  const m = /^(yes|no|true|false)\b(?:\s*[,.!;:]\s*([\s\S]*))?$/i.exec(s.trim());
  if (!m) return null;
  // "No, it is not." is No; "No one is there" is not a yes/no answer.
  if (m[2] === undefined && !/^(?:yes|no|true|false)$/i.test(s.trim())) return null;
  if (m[2] !== undefined && m[2].length > 200) return null;
  const w = (m[1] ?? '').toLowerCase();
  if (w === 'true' || w === 'false') return m[2] ? null : { answer: w === 'true' ? 'True' : 'False', kind: 'yes_no' };
  return { answer: w === 'yes' ? 'Yes' : 'No', kind: 'yes_no' };
}

// ---------- numbers, units, equations ----------

const UNIT =
  '(?:sq\\.?\\s*|square\\s+|cubic\\s+)?(?:cm|mm|km|m|nm|µm|kg|mg|g|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|' +
  'degrees?|deg|rad|radians?|units?|inch(?:es)?|in|ft|feet|foot|yards?|yd|miles?|mi|mph|kph|meters?|metres?|centimeters?|centimetres?|' +
  'millimeters?|millimetres?|kilometers?|kilometres?|grams?|kilograms?|liters?|litres?|l|ml|mL|L|cc|dollars?|cents?|yuan|euros?|pounds?|lbs?|oz|ounces?|' +
  'people|persons?|students?|pieces?|points?|times|N|J|W|V|A|Ω|ohms?|Pa|kPa|Hz|K|kW|kWh|km/h|m/s|cm/s|m/s\\^2|°C|°F|mol|M)' +
  '(?:\\s*\\^\\s*\\{?[23]\\}?|[23²³])?';
// A unit at the very end, after a number, a closing bracket/brace or a space (not "2x" or "3m" inside a word).
const UNIT_TAIL_RE = new RegExp(
  `(?<=[\\d)}\\s])\\s*(?:\\\\(?:text|mathrm|mbox)\\s*\\{\\s*)?${UNIT}(?:\\s*/\\s*${UNIT})?\\s*\\}?\\s*$`,
);
const TEXT_UNIT_RE =
  /(?<=[\d)}])\s*\\(?:text|mathrm|mbox)\s*\{\s*[A-Za-z][A-Za-z\s./^\d]*\}(?:\s*\^\s*\{?[23]\}?)?\s*$/;
const DEGREE_RE = /\s*(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree)(?![a-zA-Z])/g;
const NUMBER = '[-+−]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|[-+−]?\\.\\d+';
const NUMBER_RE = new RegExp(`^(?:${NUMBER})(?:\\s*/\\s*(?:${NUMBER}))?$`);
const PLAIN_LIST_RE = /^[\s\d.,;+\-−()[\]%]+$/;

/** Units, degree marks and currency signs around a number removed; percent kept as "%". */
export function stripUnits(input: string): string {
  let s = input.trim();
  s = s.replace(DEGREE_RE, '');
  s = s.replace(/\\%/g, '%').replace(/\s*(?:percent|per\s*cent)$/i, '%');
  s = s.replace(/^(?:\\\$|\$(?=\s*\d[\d,.]*\s*$)|US\$|[€£¥₹])\s*/, '');
  for (let k = 0; k < 3; k++) {
    const before = s;
    if (/\d|[)}]/.test(s)) s = s.replace(TEXT_UNIT_RE, '').replace(UNIT_TAIL_RE, '').trim();
    if (s === before || s === '') break;
  }
  return s === '' ? input.trim() : s;
}

/** True when the string holds no variable: digits, operators and LaTeX commands only. */
function isConstant(s: string): boolean {
  const bare = s.replace(/\\[a-zA-Z]+/g, '').replace(/\\./g, '');
  return /\d/.test(bare) && !/[a-zA-Z]/.test(bare);
}

/** "x = 3" → 3; "x=2 or x=3" / "x_1 = 2, x_2 = 3" → "2, 3"; an equation between expressions stays whole. */
function equationOf(s: string): CleanValue | null {
  if (!/=|≈|\\approx/.test(s)) return null;
  const parts = s
    .split(/\s*(?:,|;|\bor\b|\band\b|\\text\{\s*or\s*\}|\\text\{\s*and\s*\}|\\quad)\s*/)
    .filter((p) => p.trim() !== '');
  const values: string[] = [];
  for (const p of parts) {
    const m =
      /^\s*((?:\\[a-zA-Z]+\s*)?[A-Za-z][A-Za-z]?(?:_\{?[\w\d]+\}?)?'?|m\s*\\angle\s*[A-Z]{1,3}|\\angle\s*[A-Z]{1,3}|[A-Z]{2})\s*(?:=|≈|\\approx(?![a-zA-Z]))\s*([^=≈]+)$/.exec(
        p,
      );
    if (!m) return null;
    const v = stripUnits(stripWrappers(m[2] ?? ''));
    if (!isConstant(v) && !NUMBER_RE.test(v)) return null;
    values.push(v);
  }
  if (values.length === 0) return null;
  return { answer: values.join(', '), kind: 'equation' };
}

function isLatexish(s: string): boolean {
  return /[\\^_{}]/.test(s) || /\d[a-z]{1,2}(?![a-zA-Z'])/.test(s) || /^[-+]?\d*\s*\\?sqrt/.test(s) || /π|√/.test(s);
}

// "4 birds", "12 apples": a count of things is the number. Words that change the value or read as
// math ("1.5 million", "2 pi", "3 sqrt 2") are not counted nouns.
const COUNT_RE = new RegExp(`^(${NUMBER})\\s+([a-z]{3,}(?:\\s+[a-z]{3,})?)$`);
const NOT_COUNTED =
  /\b(?:hundreds?|thousands?|millions?|billions?|trillions?|dozens?|pi|sqrt|sin|cos|tan|log|exp|and|or|times|over|plus|minus|divided|squared|cubed)\b/;
const RATIO_RE = /^\d+(?:\.\d+)?\s*:\s*\d+(?:\.\d+)?$/;

/**
 * The answer alone and its shape, or null for an empty or paragraph-long candidate. Order: option
 * letter, yes/no, option text, equation, number (units dropped), LaTeX, text.
 */
export function cleanValue(raw: string, choices: readonly string[] | null): CleanValue | null {
  let s = stripWrappers(raw);
  if (s === '' || s.length > MAX_VALUE_CHARS) return null;
  const letter = letterOf(s, choices);
  if (letter) return letter;
  const yn = yesNoOf(s);
  if (yn) return yn;
  const opt = optionOf(s, choices);
  if (opt) return opt;
  const eq = equationOf(s);
  if (eq) return eq;
  const unitless = stripUnits(s);
  if (NUMBER_RE.test(unitless.replace(/%$/, '').replace(/−/g, '-')))
    return { answer: unitless.replace(/−/g, '-'), kind: 'number' };
  const count = COUNT_RE.exec(unitless);
  const [, countNumber, countNoun = ''] = count ?? [];
  if (countNumber !== undefined && !NOT_COUNTED.test(countNoun))
    return { answer: countNumber.replace(/−/g, '-'), kind: 'number' };
  if (RATIO_RE.test(s)) return { answer: s.replace(/\s+/g, ''), kind: 'number' };
  if (choices) {
    // "25 cm" names the option "25" only after units go.
    const opt2 = optionOf(unitless, choices);
    if (opt2) return opt2;
  }
  // "2 and 3", "1, 2, and 3": a list of numbers.
  const list = s
    .split(/\s*(?:,\s*(?:and|or)\s+|,|\band\b|\bor\b)\s*/)
    .map((p) => stripUnits(p.trim()))
    .filter((p) => p !== '');
  if (list.length > 1 && list.every((p) => NUMBER_RE.test(p.replace(/%$/, ''))))
    return { answer: list.join(', '), kind: 'number' };
  if (PLAIN_LIST_RE.test(s) && /\d/.test(s)) return { answer: s, kind: 'number' };
  if (isLatexish(s)) {
    s = unitless;
    return { answer: s, kind: 'latex' };
  }
  return { answer: s, kind: 'text' };
}
