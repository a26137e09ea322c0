// Splits a source row's human turn into the question the formalizer and reasoner see, the
// multiple-choice options, and the instruction strings that were removed.
import type { ParsedQuestion } from '../../schemas/answers.ts';
import { INSTRUCTIONS } from './instructions.ts';
import { findOptions } from './options.ts';

// LLaVA's image placeholder; the loader moves a lone one to the front as "<image>\n".
const IMAGE_TOKEN_RE = /[ \t]*<image>[ \t]*\n?/g;
const QUESTION_LABEL_RE = /^(?:Question|Q)[ \t]*[:：][ \t]*/i;
const TRAILING_HEADER_RE = /[ \t]*(?:Choices|Options|Choice list|Answer choices)[ \t]*[:：]?[ \t]*$/i;

function tidy(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// Each instruction anchored where it sits: a prefix at the start, a suffix at the end, a line anywhere.
const ANCHORED = INSTRUCTIONS.map((ins) => {
  const src = ins.text.source;
  const re =
    ins.at === 'prefix'
      ? new RegExp(`^\\s*(${src})[ \\t]*\\n?`)
      : ins.at === 'suffix'
        ? new RegExp(`\\n?[ \\t]*(${src})\\s*$`)
        : new RegExp(`(?:^|\\n)[ \\t]*(${src})[ \\t]*(?=\\n|$)`);
  return { ins, re };
});

/** Removes every instruction of the table, repeatedly (a turn may carry a prefix and a suffix). */
function stripInstructions(text: string, stripped: string[]): string {
  let s = text;
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const { ins, re } of ANCHORED) {
      const m = re.exec(s);
      if (!m) continue;
      stripped.push((m[1] ?? '').trim());
      s = (
        s.slice(0, m.index) +
        (ins.at === 'line' && m.index > 0 ? '\n' : '') +
        s.slice(m.index + m[0].length)
      ).trim();
      changed = true;
    }
    if (!changed) break;
  }
  return s;
}

/** The human turn split into question, choices and the removed instructions. Never throws. */
export function parseQuestionImpl(humanTurn: string): ParsedQuestion {
  const questionRaw = String(humanTurn ?? '');
  const stripped: string[] = [];
  const noImage = tidy(questionRaw.replace(IMAGE_TOKEN_RE, (m) => (m.endsWith('\n') ? '\n' : ' ')));
  let s = stripInstructions(noImage, stripped);
  // "Question: " labels the question after a hint; the label is not part of it.
  const label = QUESTION_LABEL_RE.exec(s);
  if (label) s = s.slice(label[0].length);
  // An inline "… Question: …" after a removed hint on the same line.
  else if (stripped.length > 0) s = s.replace(/^\s*Question[ \t]*:[ \t]*/i, '');

  let choices: string[] | null = null;
  const block = findOptions(s);
  if (block) {
    choices = block.choices;
    const before = s.slice(0, block.start).replace(TRAILING_HEADER_RE, '');
    s = (before + '\n' + s.slice(block.end)).trim();
    // An instruction may follow the options (VLMEvalKit, cauldron): strip again.
    s = stripInstructions(s, stripped);
  }
  let question = tidy(s);
  // A turn that is nothing but an instruction (a chart2text prompt, a MathVerse vision-only row)
  // keeps it: the instruction is then the only question there is.
  const lastStripped = stripped.at(-1);
  if (question === '' && lastStripped !== undefined) question = lastStripped;
  // Report the removed strings in the order they were written.
  const order = (x: string): number => {
    const i = questionRaw.indexOf(x);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  stripped.sort((a, b) => order(a) - order(b));
  return { question, questionRaw, choices, stripped };
}
