/** Bar, line and pie charts from small data tables. Formal text: CSV with a `# key: value` chart-spec header. */
import { csvField } from '../../core/csv.ts';
import { at } from '../../core/must.ts';
import type { Rng } from './rng.ts';
import type { Generated, KindGenerator } from './types.ts';
import {
  Frac,
  PALETTE,
  fmt,
  line,
  listText,
  makeMc,
  makeTrace,
  niceStep,
  pair,
  r1,
  svgDoc,
  text,
  withChoices,
} from './util.ts';

const COLOR_NAMES = ['blue', 'orange'];
/** Lower-case only the first letter, so units like kWh survive. */
const lc1 = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Series {
  name: string;
  values: number[];
}

function chartCsv(header: Record<string, string>, first: string, rows: string[], series: Series[]): string {
  const lines = Object.entries(header).map(([k, v]) => `# ${k}: ${v}`);
  lines.push([first, ...series.map((s) => s.name)].map(csvField).join(','));
  rows.forEach((r, i) =>
    lines.push([r, ...series.map((s) => at(s.values, i, `${s.name} value`))].map(csvField).join(',')),
  );
  return lines.join('\n') + '\n';
}

function argmax(v: readonly number[]): number {
  return v.indexOf(Math.max(...v));
}
function argmin(v: readonly number[]): number {
  return v.indexOf(Math.min(...v));
}
function unique(v: readonly number[]): boolean {
  return new Set(v).size === v.length;
}

// ---------- shared axes ----------

interface Axes {
  x0: number;
  x1: number;
  y0: number; // bottom (value 0)
  y1: number; // top (value yMax)
  yMax: number;
  parts: string[];
}

/** Frame, gridlines, y ticks, axis titles and a legend row under the title. */
function drawAxes(W: number, H: number, maxV: number, xLabel: string, yLabel: string, series: Series[]): Axes {
  const x0 = 90,
    x1 = W - 30,
    y1 = 100,
    y0 = H - 80;
  const step = niceStep(maxV * 1.15);
  const yMax = Math.ceil((maxV * 1.12) / step) * step;
  const parts: string[] = [];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const y = y0 - (v / yMax) * (y0 - y1);
    parts.push(line(x0, y, x1, y, v === 0 ? '#222' : '#dddddd', v === 0 ? 2 : 1));
    parts.push(text(x0 - 8, y + 5, fmt(Math.round(v * 100) / 100), { size: 13, anchor: 'end', fill: '#444' }));
  }
  parts.push(line(x0, y0, x0, y1 - 6));
  parts.push(text(24, (y0 + y1) / 2, yLabel, { size: 15, anchor: 'middle', rotate: -90, fill: '#333' }));
  parts.push(text((x0 + x1) / 2, H - 22, xLabel, { size: 15, anchor: 'middle', fill: '#333' }));
  // Legend centred under the title.
  const widths = series.map((s) => 28 + s.name.length * 8.5 + 24);
  let lx = W / 2 - widths.reduce((a, b) => a + b, 0) / 2;
  series.forEach((s, i) => {
    parts.push(`<rect x="${r1(lx)}" y="60" width="16" height="16" fill="${PALETTE[i]}"/>`);
    parts.push(text(lx + 22, 73, s.name, { size: 14 }));
    lx += at(widths, i);
  });
  return { x0, x1, y0, y1, yMax, parts };
}

function yOf(ax: Axes, v: number): number {
  return ax.y0 - (v / ax.yMax) * (ax.y0 - ax.y1);
}

// ---------- bar ----------

const BAR_THEMES = [
  {
    title: 'Books Sold per Month',
    x: 'Month',
    y: 'Books sold',
    cats: MONTHS,
    series: ['Fiction', 'Non-fiction'],
    lo: 12,
    hi: 95,
  },
  {
    title: 'Fruit Harvest by Farm',
    x: 'Farm',
    y: 'Harvest (tonnes)',
    cats: ['North', 'South', 'East', 'West', 'Hill', 'Valley', 'River'],
    series: ['Apples', 'Pears'],
    lo: 8,
    hi: 60,
  },
  {
    title: 'Club Members by Club',
    x: 'Club',
    y: 'Members',
    cats: ['Chess', 'Drama', 'Robotics', 'Music', 'Art', 'Soccer', 'Debate'],
    series: ['Grade 7', 'Grade 8'],
    lo: 5,
    hi: 40,
  },
  {
    title: 'Rainfall by City',
    x: 'City',
    y: 'Rainfall (mm)',
    cats: ['Oslo', 'Lima', 'Cairo', 'Perth', 'Quito', 'Seoul', 'Dakar'],
    series: ['2022', '2023'],
    lo: 20,
    hi: 180,
  },
  {
    title: 'Energy Use by Department',
    x: 'Department',
    y: 'Energy (kWh)',
    cats: ['Sales', 'IT', 'HR', 'Legal', 'Ops', 'Design'],
    series: ['Q1', 'Q2'],
    lo: 30,
    hi: 250,
  },
];

export type BarQ =
  | { template: 'bar-argmax' | 'bar-argmin' | 'bar-sum'; series: number }
  | { template: 'bar-diff'; series: number; a: string; b: string }
  | { template: 'bar-exceed-count' };

export interface BarSpec {
  chart: 'bar';
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  series: Series[];
  q: BarQ;
}

function seriesPhrase(series: Series[], s: number): string {
  return series.length > 1 ? ` for ${at(series, s, 'series').name}` : '';
}

function readBars(spec: { categories: string[]; series: Series[] }, s: number): string {
  const sr = at(spec.series, s, 'series');
  const who = spec.series.length > 1 ? `the ${COLOR_NAMES[s]} bars (${sr.name})` : 'the bars';
  return `Reading ${who} against the y-axis: ${spec.categories.map((c, i) => `${c} = ${sr.values[i]}`).join(', ')}.`;
}

function renderBar(spec: BarSpec): { svg: string; width: number; height: number } {
  const W = 800,
    H = 540;
  const maxV = Math.max(...spec.series.flatMap((s) => s.values));
  const ax = drawAxes(W, H, maxV, spec.xLabel, spec.yLabel, spec.series);
  const parts = ax.parts;
  const n = spec.categories.length,
    k = spec.series.length;
  const gw = (ax.x1 - ax.x0) / n;
  const bw = (gw * 0.72) / k;
  spec.categories.forEach((c, i) => {
    const gx = ax.x0 + gw * i + gw * 0.14;
    spec.series.forEach((s, j) => {
      const v = at(s.values, i, `${s.name} value`);
      const x = gx + bw * j,
        y = yOf(ax, v);
      parts.push(`<rect x="${r1(x)}" y="${r1(y)}" width="${r1(bw)}" height="${r1(ax.y0 - y)}" fill="${PALETTE[j]}"/>`);
      parts.push(text(x + bw / 2, y - 6, String(v), { size: k > 1 ? 12 : 14, anchor: 'middle' }));
    });
    parts.push(text(ax.x0 + gw * (i + 0.5), ax.y0 + 22, c, { size: 14, anchor: 'middle' }));
  });
  return { svg: svgDoc(W, H, spec.title, parts), width: W, height: H };
}

function generateBar(rng: Rng): Generated {
  const th = rng.pick(BAR_THEMES);
  const n = rng.int(4, 6);
  const start = rng.int(0, th.cats.length - n);
  const categories = th.x === 'Month' ? th.cats.slice(start, start + n) : rng.sample(th.cats, n);
  const k = rng.int(1, 2);
  let series: Series[];
  for (;;) {
    series = th.series.slice(0, k).map((name) => ({
      name: k === 1 ? th.y.replace(/ \(.*\)$/, '') : name,
      values: rng.distinctInts(th.lo, th.hi, n),
    }));
    // Two-series comparisons need a strict winner in every category.
    if (k === 1 || at(series, 0).values.every((v, i) => v !== at(series, 1).values[i])) break;
  }
  const templates = [
    'bar-argmax',
    'bar-argmin',
    'bar-diff',
    'bar-sum',
    ...(k > 1 ? ['bar-exceed-count'] : []),
  ] as const;
  const t = rng.pick(templates);
  const s = rng.int(0, k - 1);
  const sr = at(series, s, 'series');
  const vals = sr.values;
  const sp = seriesPhrase(series, s);
  const intro = `The bar chart "${th.title}" shows ${lc1(th.y)} for each ${th.x.toLowerCase()}${k > 1 ? `, with two series in the legend: ${at(series, 0).name} (blue) and ${at(series, 1).name} (orange)` : ''}.`;
  let q: BarQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  const specBase = { chart: 'bar' as const, title: th.title, xLabel: th.x, yLabel: th.y, categories, series };
  if (t === 'bar-argmax' || t === 'bar-argmin') {
    const isMax = t === 'bar-argmax';
    const i = isMax ? argmax(vals) : argmin(vals);
    const [ci, vi] = [at(categories, i), at(vals, i)];
    const mc = makeMc(rng, ci, rng.shuffle(categories.filter((_, j) => j !== i)));
    q = { template: t, series: s };
    question = withChoices(
      `Which ${th.x.toLowerCase()} has the ${isMax ? 'highest' : 'lowest'} value${sp} in the bar chart?`,
      mc.choices,
    );
    choices = mc.choices;
    answer = mc.letter;
    const sorted = [...vals].sort((a, b) => (isMax ? b - a : a - b));
    think = [
      intro,
      readBars(specBase, s),
      `The ${isMax ? 'tallest' : 'shortest'} bar is ${ci} at ${vi}; the next ${isMax ? 'highest' : 'lowest'} is ${sorted[1]}, so ${ci} is the ${isMax ? 'maximum' : 'minimum'}.`,
      `Among the options, ${ci} is option ${mc.letter}.`,
    ];
    concl = `${ci} has the ${isMax ? 'highest' : 'lowest'} value (${vi}), option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'bar-diff') {
    const [i, j] = pair(rng.sample([...vals.keys()], 2).sort((x, y) => at(vals, y) - at(vals, x)));
    const [ci, cj, vi, vj] = [at(categories, i), at(categories, j), at(vals, i), at(vals, j)];
    q = { template: t, series: s, a: ci, b: cj };
    const d = vi - vj;
    question = `${k > 1 ? `For ${sr.name}, how` : 'How'} much higher is the value for ${ci} than for ${cj}?`;
    answer = String(d);
    think = [
      intro,
      `Looking at the ${k > 1 ? `${at(COLOR_NAMES, s)} ` : ''}bars${sp}: ${ci} reaches ${vi} and ${cj} reaches ${vj}.`,
      `The difference is ${vi} - ${vj} = ${d}.`,
    ];
    concl = `${ci} is ${d} higher than ${cj}.`;
    boxed = answer;
  } else if (t === 'bar-sum') {
    q = { template: t, series: s };
    const total = vals.reduce((a, b) => a + b, 0);
    question = `What is the total of all the values${sp} shown in the bar chart?`;
    answer = String(total);
    think = [intro, readBars(specBase, s), `Adding them: ${vals.join(' + ')} = ${total}.`];
    concl = `The values add up to ${total}.`;
    boxed = answer;
  } else {
    q = { template: 'bar-exceed-count' };
    const [a, b] = pair(series);
    const wins = categories.filter((_, i) => at(a.values, i) > at(b.values, i));
    question = `In how many ${th.x === 'City' ? 'cities' : `${th.x.toLowerCase()}s`} is the value for ${a.name} greater than the value for ${b.name}?`;
    answer = String(wins.length);
    think = [
      intro,
      ...categories.map((c, i) => {
        const [va, vb] = [at(a.values, i), at(b.values, i)];
        return `${c}: ${a.name} ${va} vs ${b.name} ${vb} → ${va > vb ? `${a.name} is higher` : `${b.name} is higher`}.`;
      }),
      wins.length
        ? `${a.name} is higher in ${listText(wins)}, which is ${wins.length} of ${categories.length}.`
        : `${a.name} is never higher, so the count is 0.`,
    ];
    concl = `${a.name} exceeds ${b.name} in ${wins.length} ${wins.length === 1 ? 'case' : 'cases'}.`;
    boxed = answer;
  }
  const spec: BarSpec = { ...specBase, q };
  const formalText = chartCsv({ chart: 'bar', title: th.title, x: th.x, y: th.y }, th.x, categories, series);
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'csv',
    formalText,
    trace: makeTrace(think, concl, boxed),
    spec,
    ...renderBar(spec),
  };
}

export const bar: KindGenerator = {
  templates: ['bar-argmax', 'bar-argmin', 'bar-diff', 'bar-sum', 'bar-exceed-count'],
  generate: generateBar,
};

// ---------- line ----------

const LINE_THEMES = [
  {
    title: 'Website Visitors per Year',
    x: 'Year',
    y: 'Visitors (thousands)',
    xs: 'years',
    series: ['Site A', 'Site B'],
  },
  { title: 'Ice Cream Sales by Month', x: 'Month', y: 'Sales (hundreds)', xs: 'months', series: ['Kiosk', 'Shop'] },
  {
    title: 'Bicycle Rentals per Year',
    x: 'Year',
    y: 'Rentals (hundreds)',
    xs: 'years',
    series: ['Downtown', 'Harbor'],
  },
  { title: 'Factory Output by Month', x: 'Month', y: 'Output (tonnes)', xs: 'months', series: ['Plant 1', 'Plant 2'] },
] as const;

export const SHAPES = ['increasing', 'decreasing', 'rise-fall', 'fall-rise'] as const;
export type Shape = (typeof SHAPES)[number];
export const SHAPE_TEXT: Record<Shape, string> = {
  increasing: 'It increases at every step',
  decreasing: 'It decreases at every step',
  'rise-fall': 'It rises to a peak and then falls',
  'fall-rise': 'It falls to a low point and then rises',
};

export type LineQ =
  | { template: 'line-trend' | 'line-peak'; series: number }
  | { template: 'line-change'; series: number; from: string; to: string }
  | { template: 'line-gap'; at: string };

export interface LineSpec {
  chart: 'line';
  title: string;
  xLabel: string;
  yLabel: string;
  xs: string[];
  series: (Series & { shape: Shape })[];
  q: LineQ;
}

function shapedValues(rng: Rng, n: number, shape: Shape): number[] {
  for (;;) {
    const turn = rng.int(1, n - 2);
    const deltas = Array.from({ length: n - 1 }, (_, i) => {
      const m = rng.int(3, 14);
      const up = shape === 'increasing' || (shape === 'rise-fall' && i < turn) || (shape === 'fall-rise' && i >= turn);
      return up ? m : -m;
    });
    const raw = [0];
    let level = 0;
    for (const d of deltas) raw.push((level += d));
    const shift = 5 + rng.int(0, 30) - Math.min(...raw);
    const v = raw.map((x) => x + shift);
    // Unique maximum, so "when was it highest" has one answer.
    if (v.filter((x) => x === Math.max(...v)).length === 1) return v;
  }
}

function renderLine(spec: LineSpec): { svg: string; width: number; height: number } {
  const W = 800,
    H = 540;
  const maxV = Math.max(...spec.series.flatMap((s) => s.values));
  const ax = drawAxes(W, H, maxV, spec.xLabel, spec.yLabel, spec.series);
  const parts = ax.parts;
  const n = spec.xs.length;
  const xAt = (i: number) => ax.x0 + 40 + (i * (ax.x1 - ax.x0 - 80)) / (n - 1);
  spec.xs.forEach((x, i) => {
    parts.push(line(xAt(i), ax.y0, xAt(i), ax.y0 + 6));
    parts.push(text(xAt(i), ax.y0 + 24, x, { size: 14, anchor: 'middle' }));
  });
  spec.series.forEach((s, j) => {
    const pts = s.values.map((v, i) => `${r1(xAt(i))},${r1(yOf(ax, v))}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${PALETTE[j]}" stroke-width="3"/>`);
    s.values.forEach((v, i) => {
      const y = yOf(ax, v);
      parts.push(`<circle cx="${r1(xAt(i))}" cy="${r1(y)}" r="5" fill="${PALETTE[j]}"/>`);
      // Label above the higher series' point and below the lower one, so two series do not overlap.
      const other = spec.series[1 - j];
      const below = other !== undefined && at(other.values, i) > v;
      parts.push(
        text(xAt(i), below ? y + 22 : y - 10, String(v), {
          size: 13,
          anchor: 'middle',
          fill: j === 0 ? '#1d3f66' : '#8a4a0b',
        }),
      );
    });
  });
  return { svg: svgDoc(W, H, spec.title, parts), width: W, height: H };
}

function generateLine(rng: Rng): Generated {
  const th = rng.pick(LINE_THEMES);
  const n = rng.int(5, 7);
  const y0 = rng.int(2012, 2017);
  const xs = th.xs === 'years' ? Array.from({ length: n }, (_, i) => String(y0 + i)) : MONTHS.slice(0, n);
  const k = rng.int(1, 2);
  const series = th.series.slice(0, k).map((name) => {
    const shape = rng.pick(SHAPES);
    return { name: k === 1 ? th.y.replace(/ \(.*\)$/, '') : name, values: shapedValues(rng, n, shape), shape };
  });
  const templates = ['line-trend', 'line-peak', 'line-change', ...(k > 1 ? ['line-gap'] : [])] as const;
  const t = rng.pick(templates);
  const s = rng.int(0, k - 1);
  const sr = at(series, s, 'series');
  const sp = seriesPhrase(series, s);
  const who = k > 1 ? `the ${COLOR_NAMES[s]} line (${sr.name})` : 'the line';
  const intro = `The line chart "${th.title}" plots ${lc1(th.y)} by ${th.x.toLowerCase()}${k > 1 ? `, with two lines in the legend: ${at(series, 0).name} (blue) and ${at(series, 1).name} (orange)` : ''}.`;
  const readLine = `Reading the labelled points of ${who}: ${xs.map((x, i) => `${x} = ${sr.values[i]}`).join(', ')}.`;
  let q: LineQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'line-trend') {
    q = { template: t, series: s };
    const correct = SHAPE_TEXT[sr.shape];
    const mc = makeMc(rng, correct, rng.shuffle(SHAPES.filter((x) => x !== sr.shape).map((x) => SHAPE_TEXT[x])));
    question = withChoices(
      `Which statement best describes the trend of ${k > 1 ? sr.name : lc1(th.y.replace(/ \(.*\)$/, ''))} across the chart?`,
      mc.choices,
    );
    choices = mc.choices;
    answer = mc.letter;
    const steps = sr.values.slice(1).map((v, i) => {
      const d = v - at(sr.values, i);
      return `${xs[i]}→${xs[i + 1]}: ${d > 0 ? '+' : ''}${d}`;
    });
    const ups = sr.values.slice(1).map((v, i) => v > at(sr.values, i));
    const desc =
      sr.shape === 'increasing'
        ? 'every step goes up'
        : sr.shape === 'decreasing'
          ? 'every step goes down'
          : sr.shape === 'rise-fall'
            ? `it goes up until ${xs[ups.indexOf(false)]} and then goes down`
            : `it goes down until ${xs[ups.indexOf(true)]} and then goes up`;
    think = [
      intro,
      readLine,
      `Step-by-step changes: ${steps.join(', ')}.`,
      `So ${desc}, which matches "${correct}" — option ${mc.letter}.`,
    ];
    concl = `${correct}, option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'line-peak') {
    q = { template: t, series: s };
    const i = argmax(sr.values);
    const [xi, vi] = [at(xs, i), at(sr.values, i)];
    const mc = makeMc(rng, xi, rng.shuffle(xs.filter((_, j) => j !== i)));
    question = withChoices(
      `In which ${th.x.toLowerCase()} does ${k > 1 ? sr.name : 'the line'} reach its highest value?`,
      mc.choices,
    );
    choices = mc.choices;
    answer = mc.letter;
    think = [
      intro,
      readLine,
      `The highest point of ${who} is ${vi}, at ${xi}; every other point is lower.`,
      `${xi} is option ${mc.letter}.`,
    ];
    concl = `${who.charAt(0).toUpperCase()}${who.slice(1)} peaks at ${xi} (${vi}), option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'line-change') {
    const [a, b] = pair(rng.sample([...xs.keys()], 2).sort((x, y) => x - y));
    const [xa, xb, va, vb] = [at(xs, a), at(xs, b), at(sr.values, a), at(sr.values, b)];
    q = { template: t, series: s, from: xa, to: xb };
    const d = vb - va;
    question = `What was the change in the value${sp} from ${xa} to ${xb}? Give a negative number for a decrease.`;
    answer = String(d);
    think = [
      intro,
      `On ${who}, the point at ${xa} is labelled ${va} and the point at ${xb} is labelled ${vb}.`,
      `Change = later - earlier = ${vb} - ${va} = ${d}${d < 0 ? ', a decrease' : d > 0 ? ', an increase' : ''}.`,
    ];
    concl = `The value changed by ${d}.`;
    boxed = answer;
  } else {
    const [s0, s1] = pair(series);
    const cand = [...xs.keys()].filter((i) => s0.values[i] !== s1.values[i]);
    const i = rng.pick(cand);
    const xi = at(xs, i);
    q = { template: 'line-gap', at: xi };
    const [v0, v1] = [at(s0.values, i), at(s1.values, i)];
    const [hi, lo, vhi, vlo] = v0 > v1 ? [s0, s1, v0, v1] : [s1, s0, v1, v0];
    const d = vhi - vlo;
    question = `In ${xi}, how much higher is the value for ${hi.name} than for ${lo.name}?`;
    answer = String(d);
    think = [
      intro,
      `At ${xi}, the ${s0.name} point is labelled ${v0} and the ${s1.name} point is labelled ${v1}.`,
      `${hi.name} is higher by ${vhi} - ${vlo} = ${d}.`,
    ];
    concl = `In ${xi}, ${hi.name} is ${d} higher than ${lo.name}.`;
    boxed = answer;
  }
  const spec: LineSpec = { chart: 'line', title: th.title, xLabel: th.x, yLabel: th.y, xs, series, q };
  const formalText = chartCsv({ chart: 'line', title: th.title, x: th.x, y: th.y }, th.x, xs, series);
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'csv',
    formalText,
    trace: makeTrace(think, concl, boxed),
    spec,
    ...renderLine(spec),
  };
}

export const lineChart: KindGenerator = {
  templates: ['line-trend', 'line-peak', 'line-change', 'line-gap'],
  generate: generateLine,
};

// ---------- pie ----------

const PIE_THEMES = [
  {
    title: 'Monthly Household Budget',
    unit: 'dollars',
    cats: ['Rent', 'Food', 'Transport', 'Savings', 'Leisure', 'Utilities'],
  },
  {
    title: 'Favourite Sports of Students',
    unit: 'students',
    cats: ['Soccer', 'Basketball', 'Tennis', 'Swimming', 'Cycling', 'Volleyball'],
  },
  {
    title: 'Website Traffic Sources',
    unit: 'visits',
    cats: ['Search', 'Social', 'Direct', 'Email', 'Referral', 'Ads'],
  },
  {
    title: 'Company Fleet by Vehicle Type',
    unit: 'vehicles',
    cats: ['Cars', 'Vans', 'Trucks', 'Buses', 'Scooters', 'Bikes'],
  },
];

export type PieQ =
  | { template: 'pie-share' | 'pie-fraction'; cat: string }
  | { template: 'pie-largest' }
  | { template: 'pie-diff' | 'pie-combined'; a: string; b: string };

export interface PieSpec {
  chart: 'pie';
  title: string;
  unit: string;
  categories: string[];
  values: number[];
  q: PieQ;
}

function renderPie(spec: PieSpec): { svg: string; width: number; height: number } {
  const W = 800,
    H = 540;
  const cx = 280,
    cy = 300,
    r = 190;
  const total = spec.values.reduce((a, b) => a + b, 0);
  const parts: string[] = [text(W / 2, 68, `(values in ${spec.unit})`, { size: 15, anchor: 'middle', fill: '#555' })];
  let a0 = -Math.PI / 2;
  spec.values.forEach((v, i) => {
    const a1 = a0 + (v / total) * 2 * Math.PI;
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const p = (a: number, rr: number) => `${r1(cx + rr * Math.cos(a))},${r1(cy + rr * Math.sin(a))}`;
    parts.push(
      `<path d="M ${cx},${cy} L ${p(a0, r)} A ${r},${r} 0 ${large} 1 ${p(a1, r)} Z" fill="${PALETTE[i]}" stroke="#ffffff" stroke-width="2"/>`,
    );
    const am = (a0 + a1) / 2;
    parts.push(
      text(cx + r * 0.66 * Math.cos(am), cy + r * 0.66 * Math.sin(am) + 5, String(v), {
        size: 15,
        anchor: 'middle',
        weight: 'bold',
        fill: '#111',
      }),
    );
    a0 = a1;
  });
  const ly = cy - (spec.categories.length * 34) / 2;
  spec.categories.forEach((c, i) => {
    parts.push(`<rect x="530" y="${r1(ly + i * 34)}" width="20" height="20" fill="${PALETTE[i]}"/>`);
    parts.push(text(560, ly + i * 34 + 16, `${c}: ${spec.values[i]}`, { size: 16 }));
  });
  return { svg: svgDoc(W, H, spec.title, parts), width: W, height: H };
}

function generatePie(rng: Rng): Generated {
  const th = rng.pick(PIE_THEMES);
  const k = rng.int(4, 6);
  const categories = rng.sample(th.cats, k);
  // Totals whose 1% is a multiple of 0.01 keep every percentage within 2 decimals.
  const total = rng.pick([100, 200, 400, 500, 1000]);
  let values: number[];
  for (;;) {
    const w = Array.from({ length: k }, () => rng.int(4, 30));
    const sw = w.reduce((a, b) => a + b, 0);
    values = w.map((x) => Math.round((x / sw) * total));
    values[k - 1] = total - values.slice(0, -1).reduce((a, b) => a + b, 0);
    if (unique(values) && values.every((v) => v >= total * 0.05)) break;
  }
  const t = rng.pick(['pie-share', 'pie-largest', 'pie-diff', 'pie-fraction', 'pie-combined'] as const);
  const intro = `The pie chart "${th.title}" has ${k} slices, each labelled with its value in ${th.unit}; the legend lists ${categories.map((c, i) => `${c}: ${values[i]}`).join(', ')}.`;
  const sumLine = `All slices together: ${values.join(' + ')} = ${total} ${th.unit}.`;
  const idx = (c: string) => categories.indexOf(c);
  let q: PieQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'pie-share' || t === 'pie-fraction') {
    const c = rng.pick(categories);
    const v = at(values, idx(c), `${c} value`);
    q = { template: t, cat: c };
    const f = new Frac(v, total);
    if (t === 'pie-share') {
      const pct = f.mul(100);
      question = `What percentage of the total does ${c} make up? Answer with a number, without the % sign.`;
      answer = pct.toString();
      think = [intro, sumLine, `${c} is ${v}, so its share is ${v} / ${total} × 100 = ${answer}%.`];
      concl = `${c} makes up ${answer}% of the total.`;
    } else {
      question = `What fraction of the total does ${c} make up? Give the fraction in lowest terms.`;
      answer = `${f.n}/${f.d}`;
      think = [intro, sumLine, `${c} is ${v} out of ${total}, i.e. ${v}/${total}, which reduces to ${answer}.`];
      concl = `${c} is ${answer} of the total.`;
    }
    boxed = answer;
  } else if (t === 'pie-largest') {
    q = { template: t };
    const i = argmax(values);
    const [ci, vi] = [at(categories, i), at(values, i)];
    const mc = makeMc(rng, ci, rng.shuffle(categories.filter((_, j) => j !== i)));
    question = withChoices('Which category has the largest share of the pie chart?', mc.choices);
    choices = mc.choices;
    answer = mc.letter;
    think = [
      intro,
      `The largest slice is ${ci} with ${vi}; the next largest is ${[...values].sort((a, b) => b - a)[1]}.`,
      `${ci} is option ${mc.letter}.`,
    ];
    concl = `${ci} has the largest share, option ${mc.letter}.`;
    boxed = mc.letter;
  } else {
    const [i, j] = pair(rng.sample([...values.keys()], 2).sort((x, y) => at(values, y) - at(values, x)));
    const [ci, cj, vi, vj] = [at(categories, i), at(categories, j), at(values, i), at(values, j)];
    q = { template: t, a: ci, b: cj };
    if (t === 'pie-diff') {
      const d = vi - vj;
      question = `How many more ${th.unit} does ${ci} have than ${cj}?`;
      answer = String(d);
      think = [
        intro,
        `The ${ci} slice is labelled ${vi} and the ${cj} slice is labelled ${vj}.`,
        `${vi} - ${vj} = ${d}.`,
      ];
      concl = `${ci} has ${d} more ${th.unit} than ${cj}.`;
    } else {
      const both = vi + vj;
      const pct = new Frac(both * 100, total).toString();
      question = `What percentage of the total do ${ci} and ${cj} make up together? Answer with a number, without the % sign.`;
      answer = pct;
      think = [
        intro,
        sumLine,
        `${ci} + ${cj} = ${vi} + ${vj} = ${both}.`,
        `Their combined share is ${both} / ${total} × 100 = ${pct}%.`,
      ];
      concl = `Together they make up ${pct}% of the total.`;
    }
    boxed = answer;
  }
  const spec: PieSpec = { chart: 'pie', title: th.title, unit: th.unit, categories, values, q };
  const formalText = chartCsv({ chart: 'pie', title: th.title, unit: th.unit }, 'Category', categories, [
    { name: 'Value', values },
  ]);
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'csv',
    formalText,
    trace: makeTrace(think, concl, boxed),
    spec,
    ...renderPie(spec),
  };
}

export const pie: KindGenerator = {
  templates: ['pie-share', 'pie-largest', 'pie-diff', 'pie-fraction', 'pie-combined'],
  generate: generatePie,
};
