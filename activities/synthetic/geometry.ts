/** Triangles and circles with given lengths and angles. Formal text: the givens, one per line. */
import { at } from '../../core/must.ts';
import type { Rng } from './rng.ts';
import type { Generated, KindGenerator } from './types.ts';
import { Frac, line, makeMc, makeTrace, r1, svgDoc, text, withChoices } from './util.ts';

const TRIPLES: [number, number, number][] = [
  [3, 4, 5],
  [5, 12, 13],
  [8, 15, 17],
  [7, 24, 25],
  [20, 21, 29],
  [9, 40, 41],
];
const UNITS = ['cm', 'm', 'in'];

export type GeoSpec =
  | {
      figure: 'right-triangle';
      template: 'geo-hypotenuse' | 'geo-right-area' | 'geo-right-perimeter';
      unit: string;
      legs: [number, number];
    }
  | { figure: 'triangle-angles'; template: 'geo-missing-angle'; angles: [number, number] }
  | {
      figure: 'triangle-height';
      template: 'geo-triangle-area';
      unit: string;
      base: number;
      height: number;
      footRatio: number;
    }
  | { figure: 'isosceles'; template: 'geo-isosceles-angle'; apex: number }
  | {
      figure: 'circle';
      template: 'geo-circle-area' | 'geo-circle-circumference';
      unit: string;
      given: 'radius' | 'diameter';
      length: number;
    };

type Pt = [number, number];

/** Scale abstract coordinates (y up) into the drawing area below the title; one point out per point in. */
function fit<P extends Pt[]>(pts: [...P], W: number, H: number, top = 80, margin = 90): { [K in keyof P]: Pt } {
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const s = Math.min((W - 2 * margin) / (maxX - minX || 1), (H - top - margin) / (maxY - minY || 1));
  const ox = (W - s * (maxX - minX)) / 2,
    oy = top + (H - top - margin) / 2 + (s * (maxY - minY)) / 2 + 20;
  return pts.map(([x, y]): Pt => [ox + s * (x - minX), oy - s * (y - minY)]) as { [K in keyof P]: Pt };
}

function centroid(pts: Pt[]): Pt {
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

function away(p: Pt, from: Pt, d: number): Pt {
  const dx = p[0] - from[0],
    dy = p[1] - from[1],
    n = Math.hypot(dx, dy) || 1;
  return [p[0] + (dx / n) * d, p[1] + (dy / n) * d];
}

function polygon(pts: Pt[]): string {
  return `<polygon points="${pts.map(([x, y]) => `${r1(x)},${r1(y)}`).join(' ')}" fill="#eef4fb" stroke="#1f3b63" stroke-width="3"/>`;
}

/** Vertex letters outside the figure; side labels outside each side's midpoint. */
function labelVertices(pts: Pt[], names: string[], parts: string[]): void {
  const c = centroid(pts);
  pts.forEach((p, i) => {
    const [x, y] = away(p, c, 22);
    parts.push(text(x, y + 7, at(names, i, 'vertex name'), { size: 20, weight: 'bold', anchor: 'middle' }));
  });
}

function labelSide(a: Pt, b: Pt, c: Pt, label: string, parts: string[]): void {
  const m: Pt = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  const [x, y] = away(m, c, 16);
  // Anchor on the far side from the figure so text never runs over a steep side.
  const h = x - c[0];
  const steep = Math.abs(b[1] - a[1]) > Math.abs(b[0] - a[0]) * 0.5;
  const anchor = !steep ? 'middle' : h > 0 ? 'start' : 'end';
  const ny = !steep ? y + (y > c[1] ? 14 : -2) : y + 6;
  parts.push(
    text(x + (anchor === 'start' ? 6 : anchor === 'end' ? -6 : 0), ny, label, {
      size: 17,
      anchor,
      fill: '#b3261e',
      weight: 'bold',
    }),
  );
}

function angleMark(v: Pt, a: Pt, b: Pt, label: string | null, parts: string[]): void {
  const a1 = Math.atan2(a[1] - v[1], a[0] - v[0]),
    a2 = Math.atan2(b[1] - v[1], b[0] - v[0]);
  let d = a2 - a1;
  while (d <= -Math.PI) d += 2 * Math.PI;
  while (d > Math.PI) d -= 2 * Math.PI;
  const r = 30;
  const p1: Pt = [v[0] + r * Math.cos(a1), v[1] + r * Math.sin(a1)],
    p2: Pt = [v[0] + r * Math.cos(a1 + d), v[1] + r * Math.sin(a1 + d)];
  parts.push(
    `<path d="M ${r1(p1[0])},${r1(p1[1])} A ${r},${r} 0 0 ${d > 0 ? 1 : 0} ${r1(p2[0])},${r1(p2[1])}" fill="none" stroke="#1a7f37" stroke-width="2"/>`,
  );
  if (label) {
    const am = a1 + d / 2,
      lr = 54;
    parts.push(
      text(v[0] + lr * Math.cos(am), v[1] + lr * Math.sin(am) + 6, label, {
        size: 16,
        anchor: 'middle',
        fill: '#1a7f37',
        weight: 'bold',
      }),
    );
  }
}

function rightMark(v: Pt, a: Pt, b: Pt, parts: string[]): void {
  const u = (p: Pt): Pt => {
    const dx = p[0] - v[0],
      dy = p[1] - v[1],
      n = Math.hypot(dx, dy);
    return [(dx / n) * 16, (dy / n) * 16];
  };
  const ua = u(a),
    ub = u(b);
  parts.push(
    `<polyline points="${r1(v[0] + ua[0])},${r1(v[1] + ua[1])} ${r1(v[0] + ua[0] + ub[0])},${r1(v[1] + ua[1] + ub[1])} ${r1(v[0] + ub[0])},${r1(v[1] + ub[1])}" fill="none" stroke="#222" stroke-width="2"/>`,
  );
}

const W = 720,
  H = 560;
const deg = (d: number) => (d * Math.PI) / 180;

function render(spec: GeoSpec, title: string): { svg: string; width: number; height: number } {
  const parts: string[] = [];
  if (spec.figure === 'right-triangle') {
    const [a, b] = spec.legs; // a = BC (horizontal), b = AC (vertical); right angle at C
    const [C, B, A] = fit(
      [
        [0, 0],
        [a, 0],
        [0, b],
      ],
      W,
      H,
    );
    parts.push(polygon([A, B, C]));
    rightMark(C, A, B, parts);
    labelVertices([A, B, C], ['A', 'B', 'C'], parts);
    const c = centroid([A, B, C]);
    labelSide(B, C, c, `${a} ${spec.unit}`, parts);
    labelSide(A, C, c, `${b} ${spec.unit}`, parts);
    if (spec.template === 'geo-hypotenuse') labelSide(A, B, c, '?', parts);
  } else if (spec.figure === 'triangle-angles') {
    const [aA, aB] = spec.angles;
    const aC = 180 - aA - aB;
    // Law of sines with AB = 1: AC = sin B / sin C.
    const ac = Math.sin(deg(aB)) / Math.sin(deg(aC));
    const [A, B, C] = fit(
      [
        [0, 0],
        [1, 0],
        [ac * Math.cos(deg(aA)), ac * Math.sin(deg(aA))],
      ],
      W,
      H,
    );
    parts.push(polygon([A, B, C]));
    angleMark(A, B, C, `${aA}°`, parts);
    angleMark(B, C, A, `${aB}°`, parts);
    angleMark(C, A, B, '?', parts);
    labelVertices([A, B, C], ['A', 'B', 'C'], parts);
  } else if (spec.figure === 'triangle-height') {
    const { base, height, footRatio } = spec;
    const [B, Cc, A, D] = fit(
      [
        [0, 0],
        [base, 0],
        [base * footRatio, height],
        [base * footRatio, 0],
      ],
      W,
      H,
    );
    parts.push(polygon([A, B, Cc]));
    parts.push(line(A[0], A[1], D[0], D[1], '#b3261e', 2, 'stroke-dasharray="8 6"'));
    rightMark(D, A, Cc, parts);
    labelVertices([A, B, Cc], ['A', 'B', 'C'], parts);
    parts.push(text(D[0], D[1] + 26, 'D', { size: 20, weight: 'bold', anchor: 'middle' }));
    // Base label one line below D's letter, so the two never overlap.
    parts.push(
      text((B[0] + Cc[0]) / 2, B[1] + 52, `BC = ${base} ${spec.unit}`, {
        size: 17,
        anchor: 'middle',
        fill: '#b3261e',
        weight: 'bold',
      }),
    );
    parts.push(
      text((A[0] + D[0]) / 2 + 12, (A[1] + D[1]) / 2, `AD = ${height} ${spec.unit}`, {
        size: 17,
        fill: '#b3261e',
        weight: 'bold',
      }),
    );
  } else if (spec.figure === 'isosceles') {
    const half = deg(spec.apex / 2);
    const [A, B, C] = fit(
      [
        [0, Math.cos(half)],
        [-Math.sin(half), 0],
        [Math.sin(half), 0],
      ],
      W,
      H,
    );
    parts.push(polygon([A, B, C]));
    angleMark(A, B, C, `${spec.apex}°`, parts);
    angleMark(B, C, A, '?', parts);
    // Tick marks show AB = AC.
    for (const [p, q] of [
      [A, B],
      [A, C],
    ] as [Pt, Pt][]) {
      const m: Pt = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
      const dx = q[0] - p[0],
        dy = q[1] - p[1],
        n = Math.hypot(dx, dy);
      const nx = (-dy / n) * 10,
        ny = (dx / n) * 10;
      parts.push(line(m[0] - nx, m[1] - ny, m[0] + nx, m[1] + ny, '#222', 3));
    }
    labelVertices([A, B, C], ['A', 'B', 'C'], parts);
    parts.push(text(W / 2, H - 30, 'AB = AC', { size: 17, anchor: 'middle', weight: 'bold' }));
  } else {
    const cx = W / 2,
      cy = 320,
      r = 190;
    parts.push(`<circle cx="${cx}" cy="${cy}" r="${r}" fill="#eef4fb" stroke="#1f3b63" stroke-width="3"/>`);
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="4" fill="#222"/>`,
      text(cx - 6, cy + 24, 'O', { size: 20, weight: 'bold', anchor: 'end' }),
    );
    if (spec.given === 'radius') {
      parts.push(line(cx, cy, cx + r, cy, '#b3261e', 3));
      parts.push(
        text(cx + r / 2, cy - 12, `r = ${spec.length} ${spec.unit}`, {
          size: 18,
          anchor: 'middle',
          fill: '#b3261e',
          weight: 'bold',
        }),
      );
    } else {
      parts.push(line(cx - r, cy, cx + r, cy, '#b3261e', 3));
      parts.push(
        text(cx + r / 2, cy - 12, `d = ${spec.length} ${spec.unit}`, {
          size: 18,
          anchor: 'middle',
          fill: '#b3261e',
          weight: 'bold',
        }),
      );
    }
    parts.push(text(W / 2, H - 12, 'Use π ≈ 3.14', { size: 16, anchor: 'middle', fill: '#444' }));
  }
  return { svg: svgDoc(W, H, title, parts), width: W, height: H };
}

function givens(spec: GeoSpec): string {
  switch (spec.figure) {
    case 'right-triangle':
      return [
        'figure: right triangle ABC',
        'right angle: C',
        `BC = ${spec.legs[0]} ${spec.unit}`,
        `AC = ${spec.legs[1]} ${spec.unit}`,
      ].join('\n');
    case 'triangle-angles':
      return [
        'figure: triangle ABC',
        `angle A = ${spec.angles[0]}°`,
        `angle B = ${spec.angles[1]}°`,
        'angle C = ?',
      ].join('\n');
    case 'triangle-height':
      return [
        'figure: triangle ABC',
        'D on BC, AD ⟂ BC',
        `BC = ${spec.base} ${spec.unit}`,
        `AD = ${spec.height} ${spec.unit}`,
      ].join('\n');
    case 'isosceles':
      return ['figure: isosceles triangle ABC', 'AB = AC', `angle A = ${spec.apex}°`, 'angle B = ?'].join('\n');
    case 'circle':
      return ['figure: circle with centre O', `${spec.given} = ${spec.length} ${spec.unit}`, 'π ≈ 3.14'].join('\n');
  }
}

const PI = new Frac(314, 100);

function generate(rng: Rng): Generated {
  const t = rng.pick([
    'geo-hypotenuse',
    'geo-right-area',
    'geo-right-perimeter',
    'geo-missing-angle',
    'geo-triangle-area',
    'geo-isosceles-angle',
    'geo-circle-area',
    'geo-circle-circumference',
  ] as const);
  const unit = rng.pick(UNITS);
  let spec: GeoSpec,
    title: string,
    question: string,
    answer: string,
    choices: string[] | undefined,
    think: string[],
    concl: string,
    boxed: string;
  if (t === 'geo-hypotenuse' || t === 'geo-right-area' || t === 'geo-right-perimeter') {
    const [p, q0, h] = rng.pick(TRIPLES);
    const k = h > 20 ? 1 : rng.int(1, Math.floor(30 / h));
    const legs: [number, number] = rng.int(0, 1) ? [p * k, q0 * k] : [q0 * k, p * k];
    const [a, b] = legs,
      c = h * k;
    spec = { figure: 'right-triangle', template: t, unit, legs };
    const intro = `The figure shows triangle ABC with a right-angle mark at C; side BC is labelled ${a} ${unit} and side AC is labelled ${b} ${unit}.`;
    const pyth = `By the Pythagorean theorem, AB² = BC² + AC² = ${a}² + ${b}² = ${a * a} + ${b * b} = ${c * c}, so AB = √${c * c} = ${c} ${unit}.`;
    if (t === 'geo-hypotenuse') {
      title = 'Find the Hypotenuse';
      question = `In right triangle ABC, what is the length of the hypotenuse AB (in ${unit})?`;
      answer = String(c);
      think = [intro, 'AB, opposite the right angle, is marked "?", so it is the hypotenuse to find.', pyth];
      concl = `AB = ${c} ${unit}.`;
    } else if (t === 'geo-right-area') {
      title = 'Area of a Right Triangle';
      const area = new Frac(a * b, 2).toString();
      question = `What is the area of right triangle ABC (in ${unit}²)?`;
      answer = area;
      think = [
        intro,
        'The two legs meet at the right angle, so one is the base and the other the height.',
        `Area = ½ × ${a} × ${b} = ${a * b} / 2 = ${area} ${unit}².`,
      ];
      concl = `The area is ${area} ${unit}².`;
    } else {
      title = 'Perimeter of a Right Triangle';
      const per = a + b + c;
      const mc = makeMc(
        rng,
        `${per} ${unit}`,
        [
          `${a + b} ${unit}`,
          `${2 * (a + b)} ${unit}`,
          `${per + Math.min(a, b)} ${unit}`,
          `${(a * b) / 2} ${unit}`,
        ].filter((x) => !x.includes('.')),
      );
      question = withChoices(`What is the perimeter of right triangle ABC?`, mc.choices);
      choices = mc.choices;
      answer = mc.letter;
      think = [
        intro,
        'The hypotenuse AB is not labelled, so it has to be computed first.',
        pyth,
        `Perimeter = ${a} + ${b} + ${c} = ${per} ${unit}, which is option ${mc.letter}.`,
      ];
      concl = `The perimeter is ${per} ${unit}, option ${mc.letter}.`;
    }
  } else if (t === 'geo-missing-angle') {
    let aA: number, aB: number;
    do {
      aA = rng.int(6, 22) * 5;
      aB = rng.int(6, 22) * 5;
    } while (180 - aA - aB < 25);
    const aC = 180 - aA - aB;
    spec = { figure: 'triangle-angles', template: t, angles: [aA, aB] };
    title = 'Find the Missing Angle';
    question = 'In triangle ABC, what is the measure of angle C, in degrees?';
    answer = String(aC);
    think = [
      `The figure shows triangle ABC with angle A marked ${aA}° and angle B marked ${aB}°; angle C is marked "?".`,
      'The interior angles of a triangle add up to 180°.',
      `Angle C = 180° - ${aA}° - ${aB}° = ${aC}°.`,
    ];
    concl = `Angle C measures ${aC}°.`;
  } else if (t === 'geo-triangle-area') {
    const base = rng.int(4, 24),
      height = rng.int(3, 20);
    spec = {
      figure: 'triangle-height',
      template: t,
      unit,
      base,
      height,
      footRatio: rng.pick([0.3, 0.4, 0.5, 0.6, 0.7]),
    };
    title = 'Area of a Triangle';
    const area = new Frac(base * height, 2).toString();
    question = `What is the area of triangle ABC (in ${unit}²)?`;
    answer = area;
    think = [
      `The figure shows triangle ABC with base BC labelled ${base} ${unit} and a dashed altitude AD, perpendicular to BC (right-angle mark at D), labelled ${height} ${unit}.`,
      `Area = ½ × base × height = ½ × ${base} × ${height} = ${base * height} / 2 = ${area} ${unit}².`,
    ];
    concl = `The area is ${area} ${unit}².`;
  } else if (t === 'geo-isosceles-angle') {
    const apex = rng.int(10, 70) * 2;
    spec = { figure: 'isosceles', template: t, apex };
    title = 'Isosceles Triangle Angles';
    const baseAngle = (180 - apex) / 2;
    const mc = makeMc(rng, `${baseAngle}°`, [
      `${180 - apex}°`,
      `${apex / 2}°`,
      `${apex}°`,
      `${baseAngle + 10}°`,
      ...(baseAngle > 10 ? [`${baseAngle - 10}°`] : []),
      `${baseAngle + 20}°`,
    ]);
    question = withChoices('In isosceles triangle ABC with AB = AC, what is the measure of angle B?', mc.choices);
    choices = mc.choices;
    answer = mc.letter;
    think = [
      `The figure shows triangle ABC with tick marks on AB and AC (AB = AC) and the apex angle A marked ${apex}°; angle B is marked "?".`,
      'Equal sides face equal angles, so angle B = angle C.',
      `Angle B = (180° - ${apex}°) / 2 = ${180 - apex}° / 2 = ${baseAngle}°, which is option ${mc.letter}.`,
    ];
    concl = `Angle B measures ${baseAngle}°, option ${mc.letter}.`;
  } else {
    const given = rng.pick(['radius', 'diameter'] as const);
    const r = rng.int(2, 15);
    const length = given === 'radius' ? r : 2 * r;
    spec = { figure: 'circle', template: t, unit, given, length };
    const seen = `The figure shows a circle with centre O and the ${given} drawn and labelled ${given === 'radius' ? 'r' : 'd'} = ${length} ${unit}; the note says to use π ≈ 3.14.`;
    const rLine =
      given === 'diameter'
        ? `The radius is half the diameter: r = ${length} / 2 = ${r} ${unit}.`
        : `The radius is r = ${r} ${unit}.`;
    if (t === 'geo-circle-area') {
      title = 'Area of a Circle';
      const area = PI.mul(r * r).toString();
      question = `What is the area of the circle (in ${unit}²)? Use π ≈ 3.14.`;
      answer = area;
      think = [seen, rLine, `Area = π r² ≈ 3.14 × ${r}² = 3.14 × ${r * r} = ${area} ${unit}².`];
      concl = `The area is about ${area} ${unit}².`;
    } else {
      title = 'Circumference of a Circle';
      const circ = PI.mul(2 * r);
      const mc = makeMc(rng, `${circ} ${unit}`, [
        `${PI.mul(r)} ${unit}`,
        `${PI.mul(r * r)} ${unit}`,
        `${PI.mul(4 * r)} ${unit}`,
        `${circ.add(2)} ${unit}`,
      ]);
      question = withChoices('What is the circumference of the circle? Use π ≈ 3.14.', mc.choices);
      choices = mc.choices;
      answer = mc.letter;
      think = [seen, rLine, `Circumference = 2 π r ≈ 2 × 3.14 × ${r} = ${circ} ${unit}, which is option ${mc.letter}.`];
      concl = `The circumference is about ${circ} ${unit}, option ${mc.letter}.`;
    }
  }
  boxed = answer;
  return {
    question,
    answer,
    ...(choices ? { choices } : {}),
    template: t,
    formalFormat: 'text',
    formalText: givens(spec) + '\n',
    trace: makeTrace(think, concl, boxed),
    spec: { ...spec, title, q: { template: t } },
    ...render(spec, title),
  };
}

export const geometry: KindGenerator = {
  templates: [
    'geo-hypotenuse',
    'geo-right-area',
    'geo-right-perimeter',
    'geo-missing-angle',
    'geo-triangle-area',
    'geo-isosceles-angle',
    'geo-circle-area',
    'geo-circle-circumference',
  ],
  generate,
};
