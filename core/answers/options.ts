// Finds the multiple-choice options block in a question and returns the option texts in letter
// order. Styles seen in the sources: "A: 70" lines (geo170k, geo3k, MathVerse), "A. 3" lines
// (cauldron, VLMEvalKit), "(A) x" lines (MathVista query), an optional "Choices:" / "Options:"
// header, options inline on one line ("(A) 3 (B) 4", WeMath's "A. 300;B. 400"), and option
// texts that continue on the next line until the next letter.

import { at } from '../must.ts';

export interface OptionsBlock {
  /** Option texts without their labels, A first. */
  choices: string[];
  /** Character range of the block (header included) in the text it was found in. */
  start: number;
  end: number;
}

const MAX_OPTIONS = 26;
const HEADER_RE = /^[ \t]*(?:Choices|Options|Choice list|Answer choices|Answer options|Candidates)[ \t]*[:：]?[ \t]*/i;
const HEADER_ONLY_RE =
  /^[ \t]*(?:Choices|Options|Choice list|Answer choices|Answer options|Candidates)[ \t]*[:：]?[ \t]*$/i;

interface Line {
  text: string;
  start: number;
  end: number;
}

function splitLines(s: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (const text of s.split('\n')) {
    out.push({ text, start: at, end: at + text.length });
    at += text.length + 1;
  }
  return out;
}

const letterAt = (i: number): string => String.fromCharCode(65 + i);
// Label of option i inside a line: at the start or after a space or separator.
const INLINE_LABEL_RES = Array.from({ length: MAX_OPTIONS }, (_, i) => {
  const L = letterAt(i);
  return new RegExp(`(^|[\\s;,，；])([(（]${L}[)）]|\\[${L}\\]|${L}\\s?[.:：．)）、])`, 'g');
});

/** The text after `letter`'s label when `line` starts with it ("B. x", "B: x", "B) x", "(B) x", "[B] x"), else null. */
function afterLabel(line: string, letter: string): string | null {
  const m = /^\s*(?:[(（]([A-Z])[)）]|\[([A-Z])\]|([A-Z])\s*[.:：．)）、])[ \t]*/.exec(line);
  if (!m || (m[1] ?? m[2] ?? m[3]) !== letter) return null;
  return line.slice(m[0].length);
}

function cleanOption(s: string): string {
  return s.replace(/^[\s;,，；]+|[\s;,，；]+$/g, '');
}

/**
 * Options written on one line: labels A, B, C… in order, each at the start or after a space or a
 * separator. `plainFromStart`: "A." / "A:" labels count only when A opens the text (after a header
 * or at a line start); "(A)" labels count anywhere.
 */
function inlineOptions(text: string, plainFromStart: boolean): { choices: string[]; at: number } | null {
  const starts: Array<{ at: number; after: number }> = [];
  let from = 0;
  for (const [i, re] of INLINE_LABEL_RES.entries()) {
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m) break;
    const [, lead = '', label = ''] = m;
    const pos = m.index + lead.length;
    const paren = /^[([（]/.test(label);
    if (i === 0) {
      if (!paren && !(plainFromStart && text.slice(0, pos).trim() === '')) return null;
    }
    starts.push({ at: pos, after: pos + label.length });
    from = pos + label.length;
  }
  const [first, second] = starts;
  if (!first || !second) return null;
  const choices = starts.map((s, i) => cleanOption(text.slice(s.after, starts[i + 1]?.at ?? text.length)));
  if (choices.some((c) => c === '')) return null;
  return { choices, at: first.at };
}

/** Options one per line from line `first` (whose label is A); continuation lines join the option above. */
function lineOptions(lines: Line[], first: number, firstText: string): { choices: string[]; last: number } | null {
  const choices: string[] = [firstText];
  let last = first;
  for (let j = first + 1; j < lines.length; j++) {
    const t = at(lines, j).text;
    const next = choices.length < MAX_OPTIONS ? afterLabel(t, letterAt(choices.length)) : null;
    if (next !== null) {
      choices.push(next);
      last = j;
      continue;
    }
    if (t.trim() === '') {
      // A blank line ends the block unless the next letter follows it.
      let k = j + 1;
      while (k < lines.length && at(lines, k).text.trim() === '') k++;
      if (
        k < lines.length &&
        choices.length < MAX_OPTIONS &&
        afterLabel(at(lines, k).text, letterAt(choices.length)) !== null
      ) {
        j = k - 1;
        continue;
      }
      break;
    }
    if (afterLabel(t, 'A') !== null || (HEADER_RE.test(t) && HEADER_ONLY_RE.test(t))) break;
    const above = choices.length - 1;
    choices[above] = `${at(choices, above)}\n${t.trim()}`;
    last = j;
  }
  if (choices.length < 2) return null;
  return { choices: choices.map(cleanOption), last };
}

/** The last options block of `text`, or null when the text has none (fewer than two lettered options). */
export function findOptions(text: string): OptionsBlock | null {
  const lines = splitLines(text);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = at(lines, i);
    const header = HEADER_RE.exec(line.text);
    const headerHere =
      header !== null &&
      (HEADER_ONLY_RE.test(line.text) ||
        (/^[ \t]*\S/.test(line.text.slice(header[0].length)) && /[:：]/.test(header[0])));
    const contentOff = headerHere ? header[0].length : 0;
    const content = line.text.slice(contentOff);

    let block: OptionsBlock | null = null;
    const inline = inlineOptions(content, true);
    if (inline) {
      // Text before an inline "(A)" stays in the question; a header before it goes with the options.
      const cut = headerHere ? 0 : inline.at;
      block = { choices: inline.choices, start: line.start + cut, end: line.end };
    } else {
      const firstText = afterLabel(content, 'A');
      if (firstText !== null) {
        const multi = lineOptions(lines, i, firstText);
        if (multi) block = { choices: multi.choices, start: line.start, end: at(lines, multi.last).end };
      }
    }
    if (!block) continue;
    // A header alone on the line(s) just above belongs to the block.
    let k = i - 1;
    while (k >= 0 && at(lines, k).text.trim() === '') k--;
    const above = lines[k];
    if (!headerHere && above && HEADER_ONLY_RE.test(above.text)) block.start = above.start;
    else if (headerHere && contentOff > 0 && block.start === line.start) block.start = line.start;
    return block;
  }
  return null;
}
