// String-level LaTeX clean-up shared by extraction and equivalence: it turns the many
// ways a model writes the same final answer into one plain form the parser reads.

/** Index of the `}` closing the `{` at `open`, honouring nesting and `\{`/`\}` escapes; -1 if unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Replaces every `\name{content}` (for the given names) by `render(content, before)`, where
 * `before` is the text already produced. Unbalanced braces leave the rest untouched.
 */
export function replaceCommand(
  s: string,
  names: readonly string[],
  render: (content: string, before: string) => string,
): string {
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

const TEXT_CMDS = [
  'text',
  'textbf',
  'textit',
  'textrm',
  'textsf',
  'texttt',
  'mathrm',
  'mathbf',
  'mathit',
  'mathsf',
  'mathtt',
  'mbox',
  'operatorname',
  'boldsymbol',
  'bm',
  'emph',
  'textnormal',
  'hbox',
];

const UNICODE: Record<string, string> = {
  π: '\\pi ',
  '°': '',
  '√': '\\sqrt ',
  '×': '\\times ',
  '·': '\\cdot ',
  '⋅': '\\cdot ',
  '−': '-',
  '–': '-',
  '≤': '\\leq ',
  '≥': '\\geq ',
  '≠': '\\neq ',
  '≈': '\\approx ',
  '∞': '\\infty ',
  '∪': '\\cup ',
  '²': '^2',
  '³': '^3',
  '，': ',',
  '：': ':',
  '（': '(',
  '）': ')',
  '÷': '\\div ',
  θ: '\\theta ',
  α: '\\alpha ',
  β: '\\beta ',
  '∠': '',
  '△': '',
  '\u00a0': ' ',
};
const UNICODE_RE = new RegExp(`[${Object.keys(UNICODE).join('')}]`, 'g');

// Words after a number that change or join values rather than name a unit.
const NOT_A_UNIT_RE = /^(?:or|and|dozens?|hundreds?|thousands?|millions?|billions?|trillions?)$/i;

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
    s = s
      .replace(/\\%/g, '%')
      .replace(/\\\$/g, '')
      .replace(/\\[()[\]]/g, '');
    s = replaceCommand(s, TEXT_CMDS, (c, before) => {
      const t = c.trim();
      // "5\text{ cm}": words after a number are a unit; "\text{B}" alone is the answer itself.
      // A unit may be compound: "kJ\cdot\text{mol}^{-1}", "m/\text{s}". A multiplier ("5\text{ million}") is no unit.
      if (
        /(?:[\d)}]|\u0000(?:\s*\^\s*\{?-?\d\}?)?\s*(?:\\cdot|\\times|\/))\s*$/.test(before) &&
        /^[a-zA-Z][a-zA-Z\s./^\d]*$/.test(t) &&
        !NOT_A_UNIT_RE.test(t)
      )
        return '\u0000';
      return c;
    });
    if (s.includes('\u0000'))
      s = s.replace(/\u0000(?:\s*\^\s*\{?-?\d\}?)?(?:\s*(?:\\cdot|\\times|\/)\s*\u0000(?:\s*\^\s*\{?-?\d\}?)?)*/g, ' ');
  }
  if (s.includes('$')) s = s.replace(/\$/g, '');
  if (s.includes(',')) s = s.replace(/\{\s*,\s*\}/g, '');
  // Thin-space thousands ("1 000", "1\,000" after the step above): groups of exactly three digits.
  if (/^[+-]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?(?!\S)/.test(s))
    s = s.replace(/^([+-]?\d{1,3}(?: \d{3})+)/, (m) => m.replace(/ /g, ''));
  if (/[€£¥]/.test(s)) s = s.replace(/[€£¥]/g, ' ');
  if (s.includes('"')) s = s.replace(/^\\?"|\\?"$/g, '');
  if (s.includes('**')) s = s.replace(/\*\*/g, '');
  // Trailing sentence punctuation is not part of the answer; a leading "=" or "≈" neither.
  s = s
    .replace(/[\s.;,:?]+$/, '')
    .replace(/(?<=[^\d)!\s])!+$/, '')
    .replace(/^\s*(?:=|\\approx(?![a-zA-Z]))\s*/, '');
  return s.trim();
}

// Units dropped after a number ("5 cm", "30 degrees", "12 square units", "5 Ω", "2 kJ", "250 mL"). Single
// letters that are common variable names (x, n, k, a, b, t, T, H, M …) are deliberately absent: "4x" keeps its x.
const UNIT_WORDS =
  'cm|mm|km|dm|m|nm|kg|mg|g|s|ms|ns|sec|secs|seconds?|milliseconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|' +
  'degrees?|deg|rad|radians?|units?|Celsius|Fahrenheit|kelvins?|' +
  'inch(?:es)?|in|ft|feet|foot|yards?|yd|miles?|mi|mph|kph|rpm|meters?|metres?|centimeters?|centimetres?|millimeters?|millimetres?|kilometers?|kilometres?|' +
  'grams?|kilograms?|milligrams?|tons?|tonnes?|acres?|hectares?|' +
  'liters?|litres?|milliliters?|millilitres?|l|L|ml|mL|cc|gallons?|mol|mmol|moles?|' +
  'dollars?|cents?|yuan|euros?|rupees?|pounds?|lbs?|oz|ounces?|people|persons?|students?|pieces?|points?|times|percentage|percent|pct|' +
  // Physics (SI with their usual prefixes); "°C" reaches here as "C" (the degree sign is removed first).
  'N|kN|mN|newtons?|J|kJ|MJ|mJ|joules?|kilojoules?|cal|kcal|calories?|kilocalories?|eV|keV|MeV|' +
  'W|mW|kW|MW|GW|watts?|kilowatts?|kWh|Wh|V|mV|kV|volts?|A|mA|kA|amps?|amperes?|C|coulombs?|F|mF|nF|pF|farads?|mH|' +
  // Ohms: Greek capital omega (U+03A9), the ohm sign (U+2126) or \Omega, with a prefix or none.
  '[kMm]?(?:\u03a9|\u2126|\\\\Omega)|ohms?|kilohms?|kiloohms?|\u2103|\u2109|' +
  'Pa|kPa|MPa|GPa|hPa|pascals?|atm|bar|mmHg|Hz|kHz|MHz|GHz|hertz|K|km/h|m/s|cm/s|' +
  // micro: "µA", "μF", "\mu A", "\mu\text{A}" (unwrapped to "\muA"); not "2\mu g" (μ·g, friction), only "5 µg".
  '(?:\u00b5|\u03bc|\\\\mu\\s*)(?:m|s|A|V|F|H|L|W|J|C|mol)|\u00b5g';
// A unit's power: "cm^2", "m^{3}", "s^{-1}", "m2".
const UNIT_POWER = '(?:\\s*\\^\\s*\\{?-?[1-3]\\}?|[23])?';
// One unit (possibly compound: "m/s^2", "N\cdot m", "kJ\cdot mol^{-1}") at the very end, after a space, digit or
// closing bracket (so "xm" is not "x" + metres).
const UNIT_RE = new RegExp(
  `(?<=^|[\\s\\d)}.])(?:(?:sq\\.?|square|cubic)\\s*)?(?:${UNIT_WORDS})${UNIT_POWER}(?:\\s*(?:/|\\\\cdot(?![a-zA-Z])|\\\\times(?![a-zA-Z])|\\*)\\s*(?:${UNIT_WORDS})${UNIT_POWER}){0,2}\\s*$`,
);

const UNIT_LAST_CHAR_RE = /^[a-zA-Z\u03a9\u2126\u2103\u2109}123]$/;

/** The answer with trailing units removed, or null when there is none to remove. */
export function stripUnit(s: string): string | null {
  if (!/\d/.test(s)) return null;
  let cur = s;
  let pct = '';
  // Only the tail is scanned, a few units at most: bounded time whatever the input.
  for (let k = 0; k < 3; k++) {
    // Cheap pre-check: every unit ends in a letter, an ohm/degree sign, a power ("m2", "s^{-1}") or "}".
    if (!UNIT_LAST_CHAR_RE.test(cur.trimEnd().slice(-1))) break;
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
  return s
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/^["'`]+|["'`]+$/g, '');
}
