/** Series/parallel resistor networks driven by one DC source. Formal text: SPICE netlist. */
import { at, must } from '../../core/must.ts';
import type { Rng } from './rng.ts';
import type { Generated, KindGenerator } from './types.ts';
import { Frac, line, makeMc, makeTrace, pair, r1, svgDoc, text, withChoices } from './util.ts';

/** Series-parallel tree; leaves are resistors named R1… in drawing order. */
export type Net =
  { type: 'R'; name: string; ohms: number } | { type: 'series'; parts: Net[] } | { type: 'parallel'; parts: Net[] };

export interface Resistor {
  name: string;
  a: string;
  b: string;
  ohms: number;
}

export type CircuitQ =
  | { template: 'circuit-req' | 'circuit-total-current' | 'circuit-power' }
  | { template: 'circuit-voltage' | 'circuit-branch-current'; resistor: string };

export interface CircuitSpec {
  title: string;
  topology: string;
  source: { name: 'V1'; plus: string; minus: '0'; volts: number };
  resistors: Resistor[];
  net: Net;
  q: CircuitQ;
}

const VALUES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 24, 30, 40, 60];
const CURRENTS = [
  new Frac(1, 2),
  new Frac(1),
  new Frac(3, 2),
  new Frac(2),
  new Frac(5, 2),
  new Frac(3),
  new Frac(4),
  new Frac(5),
];

const R = (): Net => ({ type: 'R', name: '', ohms: 0 });
const TOPOLOGIES: Record<string, () => Net> = {
  'series-2': () => ({ type: 'series', parts: [R(), R()] }),
  'series-3': () => ({ type: 'series', parts: [R(), R(), R()] }),
  'parallel-2': () => ({ type: 'parallel', parts: [R(), R()] }),
  'parallel-3': () => ({ type: 'parallel', parts: [R(), R(), R()] }),
  'series-parallel': () => ({ type: 'series', parts: [R(), { type: 'parallel', parts: [R(), R()] }] }),
  'parallel-of-series': () => ({ type: 'parallel', parts: [{ type: 'series', parts: [R(), R()] }, R()] }),
  'series-parallel-series': () => ({
    type: 'series',
    parts: [R(), { type: 'parallel', parts: [R(), { type: 'series', parts: [R(), R()] }] }],
  }),
  'two-parallel-blocks': () => ({
    type: 'series',
    parts: [
      { type: 'parallel', parts: [R(), R()] },
      { type: 'parallel', parts: [R(), R()] },
    ],
  }),
};

function leaves(n: Net): Extract<Net, { type: 'R' }>[] {
  return n.type === 'R' ? [n] : n.parts.flatMap(leaves);
}

function req(n: Net): Frac {
  if (n.type === 'R') return new Frac(n.ohms);
  if (n.type === 'series') return n.parts.map(req).reduce((a, b) => a.add(b));
  return n.parts
    .map((p) => req(p).inv())
    .reduce((a, b) => a.add(b))
    .inv();
}

/** Current through and voltage across every resistor when `i` flows into the block. */
function distribute(n: Net, i: Frac, out: Map<string, { i: Frac; v: Frac }>): void {
  if (n.type === 'R') out.set(n.name, { i, v: i.mul(n.ohms) });
  else if (n.type === 'series') n.parts.forEach((p) => distribute(p, i, out));
  else {
    const v = i.mul(req(n));
    n.parts.forEach((p) => distribute(p, v.div(req(p)), out));
  }
}

/** Netlist nodes: the block spans (a, b); series blocks get fresh nodes between parts. */
function assignNodes(n: Net, a: string, b: string, fresh: () => string, out: Resistor[]): void {
  if (n.type === 'R') out.push({ name: n.name, a, b, ohms: n.ohms });
  else if (n.type === 'parallel') n.parts.forEach((p) => assignNodes(p, a, b, fresh, out));
  else {
    let left = a;
    n.parts.forEach((p, k) => {
      const right = k === n.parts.length - 1 ? b : fresh();
      assignNodes(p, left, right, fresh, out);
      left = right;
    });
  }
}

function describe(n: Net): string {
  if (n.type === 'R') return n.name;
  const inner = n.parts.map(describe);
  return n.type === 'series' ? `(${inner.join(' + ')})` : `(${inner.join(' ∥ ')})`;
}

/** Step-by-step reduction lines, innermost blocks first. */
function reduction(n: Net, lines: string[]): Frac {
  if (n.type === 'R') return new Frac(n.ohms);
  const vals = n.parts.map((p) => reduction(p, lines));
  const names = n.parts.map((p) => (p.type === 'R' ? p.name : describe(p)));
  const r = req(n);
  if (n.type === 'series') {
    lines.push(`${names.join(' and ')} are in series: ${vals.map(String).join(' + ')} = ${r} Ω.`);
  } else if (vals.length === 2) {
    const [a, b] = pair(vals);
    lines.push(
      `${names.join(' and ')} are in parallel: (${a} × ${b}) / (${a} + ${b}) = ${a.mul(b)} / ${a.add(b)} = ${r} Ω.`,
    );
  } else {
    lines.push(
      `${names.join(', ')} are in parallel: 1/R = ${vals.map((v) => `1/${v}`).join(' + ')} = ${r.inv()}, so R = ${r} Ω.`,
    );
  }
  return r;
}

// ---------- drawing ----------

interface Block {
  w: number;
  h: number;
  /** y of the terminals, from the block's top. */
  t: number;
  draw(x: number, y: number, parts: string[]): void;
}

const RES_W = 130,
  RES_H = 50,
  RES_T = 34,
  GAP = 24,
  PAD = 26,
  VGAP = 18;

function resistorSymbol(x: number, y: number, label: string, parts: string[]): void {
  // 6 zigzag peaks over 70 px, with 30 px leads either side.
  const zx = x + 30,
    zw = 70;
  const pts: string[] = [`${r1(x)},${r1(y)}`, `${r1(zx)},${r1(y)}`];
  for (let k = 0; k < 6; k++) pts.push(`${r1(zx + (zw * (k + 0.5)) / 6)},${r1(y + (k % 2 === 0 ? -9 : 9))}`);
  pts.push(`${r1(zx + zw)},${r1(y)}`, `${r1(x + RES_W)},${r1(y)}`);
  parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#222" stroke-width="2"/>`);
  parts.push(text(x + RES_W / 2, y - 16, label, { size: 15, anchor: 'middle', fill: '#111' }));
}

function layout(n: Net): Block {
  if (n.type === 'R') {
    return {
      w: RES_W,
      h: RES_H,
      t: RES_T,
      draw: (x, y, parts) => resistorSymbol(x, y + RES_T, `${n.name} = ${n.ohms} Ω`, parts),
    };
  }
  const kids = n.parts.map(layout);
  if (n.type === 'series') {
    const t = Math.max(...kids.map((k) => k.t));
    const h = Math.max(...kids.map((k) => t - k.t + k.h));
    const w = kids.reduce((s, k) => s + k.w, 0) + GAP * (kids.length - 1);
    return {
      w,
      h,
      t,
      draw: (x, y, parts) => {
        let cx = x;
        kids.forEach((k, i) => {
          k.draw(cx, y + t - k.t, parts);
          cx += k.w;
          if (i < kids.length - 1) parts.push(line(cx, y + t, cx + GAP, y + t));
          cx += i < kids.length - 1 ? GAP : 0;
        });
      },
    };
  }
  const inner = Math.max(...kids.map((k) => k.w));
  const w = inner + 2 * PAD;
  const h = kids.reduce((s, k) => s + k.h, 0) + VGAP * (kids.length - 1);
  return {
    w,
    h,
    t: at(kids, 0, 'parallel branch').t,
    draw: (x, y, parts) => {
      let cy = y;
      const ys: number[] = [];
      kids.forEach((k) => {
        const kx = x + PAD + (inner - k.w) / 2,
          ty = cy + k.t;
        ys.push(ty);
        k.draw(kx, cy, parts);
        parts.push(line(x, ty, kx, ty), line(kx + k.w, ty, x + w, ty));
        cy += k.h + VGAP;
      });
      const [top, bottom] = [at(ys, 0), at(ys, ys.length - 1)];
      parts.push(line(x, top, x, bottom), line(x + w, top, x + w, bottom));
      for (const ty of ys)
        parts.push(
          `<circle cx="${r1(x)}" cy="${r1(ty)}" r="3.5" fill="#222"/>`,
          `<circle cx="${r1(x + w)}" cy="${r1(ty)}" r="3.5" fill="#222"/>`,
        );
    },
  };
}

function render(spec: CircuitSpec): { svg: string; width: number; height: number } {
  const b = layout(spec.net);
  const sx = 110; // source column
  const nx = 190; // network's left terminal
  const ty = 110; // top wire
  const W = Math.max(640, nx + b.w + 90);
  const by = Math.max(ty + b.h - b.t + 50, ty + 170); // bottom wire
  const H = by + 40;
  const xr = nx + b.w + 40;
  const parts: string[] = [];
  b.draw(nx, ty - b.t, parts);
  const cy = (ty + by) / 2,
    rad = 24;
  parts.push(
    line(sx, ty, nx, ty),
    line(nx + b.w, ty, xr, ty),
    line(xr, ty, xr, by),
    line(xr, by, sx, by),
    line(sx, ty, sx, cy - rad),
    line(sx, cy + rad, sx, by),
    `<circle cx="${sx}" cy="${r1(cy)}" r="${rad}" fill="#ffffff" stroke="#222" stroke-width="2"/>`,
    text(sx, cy - 6, '+', { size: 18, anchor: 'middle', weight: 'bold' }),
    text(sx, cy + 16, '−', { size: 18, anchor: 'middle', weight: 'bold' }),
    text(sx - rad - 8, cy + 6, `V1 = ${spec.source.volts} V`, { size: 15, anchor: 'end', fill: '#111' }),
  );
  // Ground symbol on the return wire (node 0 in the netlist).
  const gx = (sx + xr) / 2;
  parts.push(
    line(gx, by, gx, by + 12),
    line(gx - 14, by + 12, gx + 14, by + 12),
    line(gx - 9, by + 17, gx + 9, by + 17),
    line(gx - 4, by + 22, gx + 4, by + 22),
  );
  // Centre the drawing (source label on the left to the return wire on the right) in the canvas.
  const dx = Math.max(0, (W - (xr + 20)) / 2);
  return {
    svg: svgDoc(W, H + 10, spec.title, [`<g transform="translate(${r1(dx)},0)">`, ...parts, '</g>']),
    width: W,
    height: H + 10,
  };
}

// ---------- generation ----------

function generate(rng: Rng): Generated {
  const topology = rng.pick(Object.keys(TOPOLOGIES));
  // Rejection sampling keeps every asked quantity exact within 2 decimals; the search is deterministic in rng.
  for (let attempt = 0; ; attempt++) {
    const net = must(TOPOLOGIES[topology], `topology ${topology}`)();
    leaves(net).forEach((r, k) => {
      r.name = `R${k + 1}`;
      r.ohms = rng.pick(VALUES);
    });
    const rq = req(net);
    if (!rq.nice() || rq.value() > 200) continue;
    const ok = CURRENTS.filter((i) => {
      const v = rq.mul(i);
      return v.d === 1 && v.n >= 3 && v.n <= 60;
    });
    if (ok.length === 0) continue;
    const itot = rng.pick(ok);
    const volts = rq.mul(itot).n;
    const per = new Map<string, { i: Frac; v: Frac }>();
    distribute(net, itot, per);
    const names = leaves(net).map((r) => r.name);
    const niceV = names.filter((nm) => per.get(nm)!.v.nice());
    const niceI = names.filter((nm) => per.get(nm)!.i.nice());
    if (niceV.length === 0 || niceI.length === 0) {
      if (attempt < 200) continue;
    }
    return finish(rng, topology, net, rq, itot, volts, per, niceV, niceI);
  }
}

function finish(
  rng: Rng,
  topology: string,
  net: Net,
  rq: Frac,
  itot: Frac,
  volts: number,
  per: Map<string, { i: Frac; v: Frac }>,
  niceV: string[],
  niceI: string[],
): Generated {
  const resistors: Resistor[] = [];
  let k = 1;
  assignNodes(net, 'n1', '0', () => `n${++k}`, resistors);
  const title = rng.pick(['Resistor Network', 'DC Resistor Circuit', 'Series-Parallel Circuit']);
  const source = { name: 'V1' as const, plus: 'n1', minus: '0' as const, volts };
  const netlist =
    [`* ${title}`, `V1 n1 0 DC ${volts}`, ...resistors.map((r) => `${r.name} ${r.a} ${r.b} ${r.ohms}`), '.end'].join(
      '\n',
    ) + '\n';
  const rs = leaves(net);
  const valuesText = rs.map((r) => `${r.name} = ${r.ohms} Ω`).join(', ');
  const intro = `The circuit diagram shows a DC source V1 = ${volts} V driving ${rs.length} resistors: ${valuesText}. Reading the wiring, the network is ${describe(net)} between the source terminals.`;
  const redLines: string[] = [];
  reduction(net, redLines);
  const reqLine = `So the equivalent resistance seen by V1 is ${rq} Ω.`;
  const curLine = `Total current I = V / R = ${volts} / ${rq} = ${itot} A.`;
  const templates = [
    'circuit-req',
    'circuit-total-current',
    'circuit-power',
    ...(niceV.length ? (['circuit-voltage'] as const) : []),
    ...(niceI.length ? (['circuit-branch-current'] as const) : []),
  ] as const;
  const t = rng.pick(templates);
  let q: CircuitQ,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'circuit-req') {
    q = { template: t };
    question = 'What is the equivalent resistance of the resistor network connected to V1, in ohms?';
    answer = rq.toString();
    think = [intro, ...redLines, reqLine];
    concl = `The equivalent resistance is ${answer} Ω.`;
    boxed = answer;
  } else if (t === 'circuit-total-current') {
    q = { template: t };
    const sumR = rs.reduce((s, r) => s + r.ohms, 0);
    // Classic mistakes: treating everything as series, inverting Ohm's law, halving or doubling.
    const cands = [
      new Frac(volts, sumR),
      itot.mul(2),
      itot.div(2),
      itot.add(1),
      itot.sub(new Frac(1, 2)),
      rq.div(volts),
      itot.mul(3),
    ]
      .filter((f) => f.nice() && f.value() > 0)
      .map((f) => `${f} A`);
    const mc = makeMc(rng, `${itot} A`, cands);
    question = withChoices('What is the total current supplied by the source V1?', mc.choices);
    choices = mc.choices;
    answer = mc.letter;
    think = [intro, ...redLines, reqLine, curLine, `${itot} A is option ${mc.letter}.`];
    concl = `V1 supplies ${itot} A, option ${mc.letter}.`;
    boxed = mc.letter;
  } else if (t === 'circuit-power') {
    q = { template: t };
    const p = itot.mul(volts);
    question = 'How much power, in watts, does the source V1 deliver to the circuit?';
    answer = p.toString();
    think = [intro, ...redLines, reqLine, curLine, `Power P = V × I = ${volts} × ${itot} = ${answer} W.`];
    concl = `The source delivers ${answer} W.`;
    boxed = answer;
  } else {
    const name = rng.pick(t === 'circuit-voltage' ? niceV : niceI);
    q = { template: t, resistor: name };
    const { i, v } = per.get(name)!;
    const r = rs.find((x) => x.name === name)!;
    const how = explainBranch(net, name, itot);
    if (t === 'circuit-voltage') {
      question = `What is the voltage across ${name}, in volts?`;
      answer = v.toString();
      think = [
        intro,
        ...redLines,
        reqLine,
        curLine,
        ...how,
        `The voltage across ${name} is V = I × R = ${i} × ${r.ohms} = ${answer} V.`,
      ];
      concl = `The voltage across ${name} is ${answer} V.`;
    } else {
      question = `What is the current through ${name}, in amperes?`;
      answer = i.toString();
      think = [intro, ...redLines, reqLine, curLine, ...how, `So the current through ${name} is ${answer} A.`];
      concl = `The current through ${name} is ${answer} A.`;
    }
    boxed = answer;
  }
  const spec: CircuitSpec = { title, topology, source, resistors, net, q };
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: q.template,
    formalFormat: 'spice',
    formalText: netlist,
    trace: makeTrace(think, concl, boxed),
    spec,
    ...render(spec),
  };
}

/** How the total current reaches one resistor, block by block from the source. */
function explainBranch(net: Net, name: string, itot: Frac): string[] {
  const lines: string[] = [];
  const walk = (n: Net, i: Frac): boolean => {
    if (n.type === 'R') return n.name === name;
    const child = n.parts.find((p) => leaves(p).some((r) => r.name === name))!;
    if (n.type === 'parallel') {
      const v = i.mul(req(n));
      const ic = v.div(req(child));
      lines.push(
        `The parallel block ${describe(n)} carries ${i} A, so the voltage across it is ${i} × ${req(n)} = ${v} V; the branch ${describe(child)} (${req(child)} Ω) takes ${v} / ${req(child)} = ${ic} A.`,
      );
      return walk(child, ic);
    }
    // Only a resistor needs a line here; a nested parallel block explains itself.
    if (child.type === 'R') {
      lines.push(
        n === net
          ? `${child.name} is in series with the source, so it carries the full ${i} A.`
          : `${child.name} is part of the series branch ${describe(n)}, so it carries the same ${i} A.`,
      );
    }
    return walk(child, i);
  };
  walk(net, itot);
  return lines;
}

export const circuit: KindGenerator = {
  templates: ['circuit-req', 'circuit-total-current', 'circuit-voltage', 'circuit-branch-current', 'circuit-power'],
  generate,
};
