/** Data tables drawn as a grid. Formal text: plain CSV (header row, one row per entity). */
import { at } from '../../core/must.ts';
import type { Rng } from './rng.ts';
import type { Generated, KindGenerator } from './types.ts';
import { Frac, line, listText, makeMc, makeTrace, pair, r1, svgDoc, text, withChoices } from './util.ts';

const THEMES = [
  {
    title: 'Exam Scores',
    rowHeader: 'Student',
    cols: ['Math', 'Science', 'English', 'History', 'Art'],
    rows: ['Ava', 'Ben', 'Chloe', 'Dan', 'Emma', 'Finn', 'Grace'],
    lo: 40,
    hi: 100,
    ordered: false,
  },
  {
    title: 'Quarterly Revenue by Region',
    rowHeader: 'Region',
    cols: ['Q1', 'Q2', 'Q3', 'Q4'],
    rows: ['North', 'South', 'East', 'West', 'Central'],
    lo: 20,
    hi: 150,
    ordered: true,
  },
  {
    title: 'Olympic Medal Count',
    rowHeader: 'Country',
    cols: ['Gold', 'Silver', 'Bronze'],
    rows: ['Norway', 'Japan', 'Kenya', 'Brazil', 'Canada', 'Italy'],
    lo: 1,
    hi: 40,
    ordered: true,
  },
  {
    title: 'Weekly Hours Worked',
    rowHeader: 'Employee',
    cols: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
    rows: ['Liam', 'Mia', 'Noah', 'Olivia', 'Priya', 'Omar'],
    lo: 2,
    hi: 12,
    ordered: true,
  },
  {
    title: 'Library Loans by Genre',
    rowHeader: 'Genre',
    cols: ['Jan', 'Feb', 'Mar', 'Apr'],
    rows: ['Mystery', 'Fantasy', 'History', 'Science', 'Poetry'],
    lo: 10,
    hi: 90,
    ordered: true,
  },
];

export type TableQ =
  | { template: 'table-row-total'; row: string }
  | { template: 'table-col-argmax' | 'table-col-mean'; col: string }
  | { template: 'table-diff'; col: string; a: string; b: string }
  | { template: 'table-count-above'; col: string; threshold: number };

export interface TableSpec {
  title: string;
  rowHeader: string;
  columns: string[];
  rows: { name: string; values: number[] }[];
  q: TableQ;
}

function render(spec: TableSpec): { svg: string; width: number; height: number } {
  const c0 = 150,
    cw = 100,
    rh = 40;
  const tw = c0 + cw * spec.columns.length;
  const W = Math.max(640, tw + 80);
  const x0 = (W - tw) / 2,
    y0 = 70;
  const H = y0 + rh * (spec.rows.length + 1) + 40;
  const parts: string[] = [`<rect x="${r1(x0)}" y="${y0}" width="${tw}" height="${rh}" fill="#dbe6f3"/>`];
  spec.rows.forEach((_, i) => {
    if (i % 2 === 1)
      parts.push(`<rect x="${r1(x0)}" y="${y0 + rh * (i + 1)}" width="${tw}" height="${rh}" fill="#f4f6f8"/>`);
  });
  const colX = (j: number) => x0 + c0 + cw * j;
  parts.push(text(x0 + 12, y0 + 26, spec.rowHeader, { size: 16, weight: 'bold' }));
  spec.columns.forEach((c, j) =>
    parts.push(text(colX(j) + cw / 2, y0 + 26, c, { size: 16, weight: 'bold', anchor: 'middle' })),
  );
  spec.rows.forEach((r, i) => {
    const y = y0 + rh * (i + 1) + 26;
    parts.push(text(x0 + 12, y, r.name, { size: 16 }));
    r.values.forEach((v, j) => parts.push(text(colX(j) + cw / 2, y, String(v), { size: 16, anchor: 'middle' })));
  });
  for (let i = 0; i <= spec.rows.length + 1; i++)
    parts.push(line(x0, y0 + rh * i, x0 + tw, y0 + rh * i, '#555', i <= 1 || i === spec.rows.length + 1 ? 2 : 1));
  parts.push(line(x0, y0, x0, y0 + rh * (spec.rows.length + 1), '#555', 2));
  for (let j = 0; j <= spec.columns.length; j++)
    parts.push(
      line(
        colX(j),
        y0,
        colX(j),
        y0 + rh * (spec.rows.length + 1),
        '#555',
        j === 0 || j === spec.columns.length ? 2 : 1,
      ),
    );
  return { svg: svgDoc(W, H, spec.title, parts), width: W, height: H };
}

function generate(rng: Rng): Generated {
  const th = rng.pick(THEMES);
  // 4 or 5 rows: a column mean is then a multiple of 0.25 or 0.2, exact in 2 decimals.
  const nr = rng.int(4, 5);
  const nc = Math.min(th.cols.length, rng.int(3, 5));
  const columns = th.ordered ? th.cols.slice(0, nc) : rng.sample(th.cols, nc);
  const names = rng.sample(th.rows, nr);
  // Distinct values within each column, so argmax and thresholds are unambiguous.
  const colVals = columns.map(() => rng.distinctInts(th.lo, th.hi, nr));
  const rows = names.map((name, i) => ({ name, values: colVals.map((cv) => at(cv, i, `${name} value`)) }));
  const t = rng.pick([
    'table-row-total',
    'table-col-argmax',
    'table-diff',
    'table-col-mean',
    'table-count-above',
  ] as const);
  const intro = `The table "${th.title}" has one row per ${th.rowHeader.toLowerCase()} (${listText(names)}) and columns ${listText(columns)}.`;
  const colRead = (j: number) =>
    `In the ${columns[j]} column: ${rows.map((r) => `${r.name} ${r.values[j]}`).join(', ')}.`;
  let q: TableQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'table-row-total') {
    const r = rng.pick(rows);
    q = { template: t, row: r.name };
    const total = r.values.reduce((a, b) => a + b, 0);
    question = `What is the total of all values in the row for ${r.name}?`;
    answer = String(total);
    think = [
      intro,
      `The ${r.name} row reads: ${columns.map((c, j) => `${c} ${r.values[j]}`).join(', ')}.`,
      `Sum: ${r.values.join(' + ')} = ${total}.`,
    ];
    concl = `The ${r.name} row adds up to ${total}.`;
    boxed = answer;
  } else {
    const j = rng.int(0, nc - 1);
    const col = at(columns, j, 'column');
    const vals = rows.map((r) => at(r.values, j, `${r.name} value`));
    if (t === 'table-col-argmax') {
      q = { template: t, col };
      const i = vals.indexOf(Math.max(...vals));
      const [ni, vi] = [at(names, i), at(vals, i)];
      const mc = makeMc(rng, ni, rng.shuffle(names.filter((_, k) => k !== i)));
      question = withChoices(
        `Which ${th.rowHeader.toLowerCase()} has the highest value in the ${col} column?`,
        mc.choices,
      );
      choices = mc.choices;
      answer = mc.letter;
      think = [intro, colRead(j), `The largest of these is ${vi}, in the ${ni} row.`, `${ni} is option ${mc.letter}.`];
      concl = `${ni} has the highest ${col} value (${vi}), option ${mc.letter}.`;
      boxed = mc.letter;
    } else if (t === 'table-diff') {
      const [a, b] = pair(rng.sample([...vals.keys()], 2).sort((x, y) => at(vals, y) - at(vals, x)));
      const [na, nb, va, vb] = [at(names, a), at(names, b), at(vals, a), at(vals, b)];
      q = { template: t, col, a: na, b: nb };
      const d = va - vb;
      question = `In the ${col} column, how much greater is the value for ${na} than for ${nb}?`;
      answer = String(d);
      think = [intro, `In the ${col} column, ${na} has ${va} and ${nb} has ${vb}.`, `${va} - ${vb} = ${d}.`];
      concl = `${na} is ${d} higher than ${nb} in ${col}.`;
      boxed = answer;
    } else if (t === 'table-col-mean') {
      q = { template: t, col };
      const sum = vals.reduce((a, b) => a + b, 0);
      const mean = new Frac(sum, nr).toString();
      question = `What is the average (mean) of the ${col} column?`;
      answer = mean;
      think = [intro, colRead(j), `Sum: ${vals.join(' + ')} = ${sum}.`, `Mean = ${sum} / ${nr} = ${mean}.`];
      concl = `The mean of the ${col} column is ${mean}.`;
      boxed = answer;
    } else {
      // A threshold strictly between two column values, so no value equals it.
      const sorted = [...vals].sort((a, b) => a - b);
      const k = rng.int(0, nr - 2);
      const lo = at(sorted, k),
        hi = at(sorted, k + 1);
      const threshold = hi - lo >= 2 ? rng.int(lo + 1, hi - 1) : lo;
      q = { template: 'table-count-above', col, threshold };
      const above = rows.filter((r) => at(r.values, j) > threshold);
      question = `How many ${th.rowHeader === 'Country' ? 'countries' : `${th.rowHeader.toLowerCase()}s`} have a ${col} value greater than ${threshold}?`;
      answer = String(above.length);
      think = [
        intro,
        colRead(j),
        ...rows.map((r) => {
          const v = at(r.values, j);
          return `${r.name}: ${v} ${v > threshold ? '>' : '≤'} ${threshold}.`;
        }),
        above.length
          ? `Greater than ${threshold}: ${listText(above.map((r) => r.name))}, so ${above.length}.`
          : `None is greater than ${threshold}, so 0.`,
      ];
      concl = `${above.length} of the ${nr} rows have ${col} above ${threshold}.`;
      boxed = answer;
    }
  }
  const spec: TableSpec = { title: th.title, rowHeader: th.rowHeader, columns, rows, q };
  const formalText =
    [[th.rowHeader, ...columns].join(','), ...rows.map((r) => [r.name, ...r.values].join(','))].join('\n') + '\n';
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'csv',
    formalText,
    trace: makeTrace(think, concl, boxed),
    spec,
    ...render(spec),
  };
}

export const table: KindGenerator = {
  templates: ['table-row-total', 'table-col-argmax', 'table-diff', 'table-col-mean', 'table-count-above'],
  generate,
};
