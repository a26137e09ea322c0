// String-level LaTeX clean-up shared by extraction and equivalence: it turns the many
// ways a model writes the same final answer into one plain form the parser reads.

/** Index of the `}` closing the `{` at `open`, honouring nesting and `\{`/`\}` escapes; -1 if unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) { i++; continue; }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) { depth--; if (depth === 0) return i; }
  }
  return -1;
}

/**
 * Replaces every `\name{content}` (for the given names) by `render(content, before)`, where
 * `before` is the text already produced. Unbalanced braces leave the rest untouched.
 */
export function replaceCommand(s: string, names: readonly string[], render: (content: string, before: string) => string): string {
  const re = new RegExp(`\\\\(?:${names.join('|')})(?![a-zA-Z])\\s*\\{`, 'g');
  let out = '';
  let last = 0;
  for (let guard = 0; guard < 200; guard++) {
    re.lastIndex = last;
    const m = re.exec(s);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const close = matchBrace(s, open);
    if (close < 0) break;
    out += s.slice(last, m.index);
    out += render(s.slice(open + 1, close), out);
    last = close + 1;
  }
  return out + s.slice(last);
}

const TEXT_CMDS = ['text', 'textbf', 'textit', 'textrm', 'textsf', 'texttt', 'mathrm', 'mathbf', 'mathit', 'mathsf', 'mathtt', 'mbox', 'operatorname', 'boldsymbol', 'bm', 'emph', 'textnormal', 'hbox'];

const UNICODE: Record<string, string> = {
  'π': '\\pi ', '°': '', '√': '\\sqrt ', '×': '\\times ', '·': '\\cdot ', '⋅': '\\cdot ', '−': '-', '–': '-', '≤': '\\leq ', '≥': '\\geq ',
  '≠': '\\neq ', '≈': '\\approx ', '∞': '\\infty ', '∪': '\\cup ', '²': '^2', '³': '^3', '，': ',', '：': ':', '（': '(', '）': ')', '÷': '\\div ',
  'θ': '\\theta ', 'α': '\\alpha ', 'β': '\\beta ', '∠': '', '△': '', '\u00a0': ' ',
};
const UNICODE_RE = new RegExp(`[${Object.keys(UNICODE).join('')}]`, 'g');

/**
 * Plain form of one answer: box/`$`/display wrappers, sizing, spacing and degree marks removed;
 * `\text{}`-like wrappers unwrapped, except that text right after a number is a unit and dropped.
 */
export function normalizeAnswer(input: string): string {
  let s = input.trim();
  if (s.includes('<')) s = s.replace(/<\/?(?:answer|think)>/g, ' ');
  if (UNICODE_RE.test(s)) s = s.replace(UNICODE_RE, (c) => UNICODE[c] ?? c);
  UNICODE_RE.lastIndex = 0;
  if (s.includes('\\')) {
    // "\\frac" (an escaped backslash left in the text) is "\frac"; inside a matrix "\\" ends a row.
    if (!s.includes('\\begin') && s.includes('\\\\')) s = s.replace(/\\\\(?=[a-zA-Z])/g, '\\');
    s = replaceCommand(s, ['boxed', 'fbox', 'framebox'], (c) => c);
    s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*\.?/g, '');
    s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])/g, '');
    s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])/g, '');
    s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
    // "1,\!000" is thousands; "\quadx" (no space) is still a \quad.
    s = s.replace(/(\d),\\!\s*(?=\d{3}(?!\d))/g, '$1');
    // "\\" (a matrix row break) is kept whole: its second backslash starts no spacing command.
    s = s.replace(/\\\\|\\q?quad|\\[,;: !]|~/g, (m) => (m === '\\\\' ? m : m === '\\!' ? '' : ' '));
    s = s.replace(/\\%/g, '%').replace(/\\\$/g, '').replace(/\\[()[\]]/g, '');
    s = replaceCommand(s, TEXT_CMDS, (c, before) => {
      const t = c.trim();
      // "5\text{ cm}": words after a number are a unit; "\text{B}" alone is the answer itself.
      // A unit may be compound: "kJ\cdot\text{mol}^{-1}", "m/\text{s}".
      if (/(?:[\d)}]|\u0000(?:\s*\^\s*\{?-?\d\}?)?\s*(?:\\cdot|\\times|\/))\s*$/.test(before) && /^[a-zA-Z][a-zA-Z\s./^\d]*$/.test(t) && !/^(?:or|and)$/i.test(t)) return '\u0000';
      return c;
    });
    if (s.includes('\u0000')) s = s.replace(/\u0000(?:\s*\^\s*\{?-?\d\}?)?(?:\s*(?:\\cdot|\\times|\/)\s*\u0000(?:\s*\^\s*\{?-?\d\}?)?)*/g, ' ');
  }
  if (s.includes('$')) s = s.replace(/\$/g, '');
  if (s.includes(',')) s = s.replace(/\{\s*,\s*\}/g, '');
  // Thin-space thousands ("1 000", "1\,000" after the step above): groups of exactly three digits.
  if (/^[+-]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?(?!\S)/.test(s)) s = s.replace(/^([+-]?\d{1,3}(?: \d{3})+)/, (m) => m.replace(/ /g, ''));
  if (/[€£¥]/.test(s)) s = s.replace(/[€£¥]/g, ' ');
  if (s.includes('"')) s = s.replace(/^\\?"|\\?"$/g, '');
  if (s.includes('**')) s = s.replace(/\*\*/g, '');
  // Trailing sentence punctuation is not part of the answer; a leading "=" or "≈" neither.
  s = s.replace(/[\s.;,:?]+$/, '').replace(/(?<=[^\d)!\s])!+$/, '').replace(/^\s*(?:=|\\approx(?![a-zA-Z]))\s*/, '');
  return s.trim();
}

// Units dropped after a number ("5 cm", "30 degrees", "12 square units").
const UNIT_WORDS =
  'cm|mm|km|m|nm|kg|mg|g|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|degrees?|deg|rad|radians?|units?|' +
  'inch(?:es)?|in|ft|feet|foot|yards?|yd|miles?|mi|mph|kph|meters?|metres?|centimeters?|centimetres?|millimeters?|kilometers?|grams?|kilograms?|' +
  'liters?|litres?|l|ml|cc|dollars?|cents?|yuan|euros?|pounds?|lbs?|oz|ounces?|people|persons?|students?|pieces?|points?|times|percentage|percent|pct|' +
  'N|J|W|V|A|Pa|kPa|Hz|K|C|F|kW|kWh|km/h|m/s|cm/s';
// One unit at the very end, after a space, digit or closing bracket (so "xm" is not "x" + metres).
const UNIT_RE = new RegExp(
  `(?<=^|[\\s\\d)}.])(?:(?:sq\\.?|square|cubic)\\s*)?(?:${UNIT_WORDS})(?:\\s*\\^\\s*\\{?[23]\\}?|[23])?(?:\\s*/\\s*(?:${UNIT_WORDS})(?:\\s*\\^\\s*\\{?[23]\\}?)?)?\\s*$`,
);

/** The answer with trailing units removed, or null when there is none to remove. */
export function stripUnit(s: string): string | null {
  if (!/\d/.test(s)) return null;
  let cur = s;
  let pct = '';
  // Only the tail is scanned, a few units at most: bounded time whatever the input.
  for (let k = 0; k < 3; k++) {
    const off = Math.max(0, cur.length - 48);
    const m = UNIT_RE.exec(cur.slice(off));
    if (!m) break;
    if (/percent|pct/i.test(m[0])) pct = '%';
    cur = cur.slice(0, off + m.index).trimEnd();
  }
  if (cur === s || cur === '') return null;
  return cur + pct;
}

/** Key for the plain-text comparison: case-, whitespace- and wrapper-insensitive. */
export function textKey(s: string): string {
  return s.toLowerCase().replace(/\s+/g, '').replace(/^["'`]+|["'`]+$/g, '');
}
