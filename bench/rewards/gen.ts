// Deterministic generator of realistic (completion, gold) pairs for the reward benchmark.
// Each gold comes with equivalent and wrong renderings, wrapped in the completion styles
// models actually produce (<think>/<answer>, \boxed{}, "the answer is").
import { at } from '../../core/must.ts';

export interface BenchPair {
  id: number;
  category: string;
  /** Whether the generator meant the completion to be right (a hint, not ground truth). */
  intended: boolean;
  gold: string;
  completion: string;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Spec = { category: string; gold: string; right: string[]; wrong: string[] };

function gcd(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : gcd(b, a % b);
}

export function generatePairs(n: number, seed = 20250101): BenchPair[] {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => at(xs, Math.floor(rnd() * xs.length));

  const makers: Array<() => Spec> = [
    () => {
      const v = int(-40, 400);
      return {
        category: 'integer',
        gold: `${v}`,
        right: [`${v}`, `x = ${v}`, `${v}.0`],
        wrong: [`${v + int(1, 9)}`, `${-v - 1}`],
      };
    },
    () => {
      const v = int(1000, 99999);
      const s = v.toLocaleString('en-US');
      return { category: 'thousands', gold: `${v}`, right: [s, `${v}`], wrong: [`${v + 10}`] };
    },
    () => {
      const k = int(1, 999);
      const v = (k / 100).toString();
      return { category: 'decimal', gold: v, right: [v, `${v}0`], wrong: [(k / 100 + 0.1).toFixed(2)] };
    },
    () => {
      let p = int(1, 12);
      let q = int(2, 13);
      const g = gcd(p, q);
      p /= g;
      q /= g;
      if (q === 1) q = 7;
      return {
        category: 'fraction',
        gold: `\\frac{${p}}{${q}}`,
        right: [
          `\\frac{${p}}{${q}}`,
          `${p}/${q}`,
          `\\dfrac{${p}}{${q}}`,
          `\\frac{${2 * p}}{${2 * q}}`,
          (p / q).toFixed(6),
        ],
        wrong: [`\\frac{${q}}{${p + q}}`, (p / q).toFixed(2)],
      };
    },
    () => {
      const a = int(2, 9);
      const b = pick([2, 3, 5, 6, 7]);
      return {
        category: 'sqrt',
        gold: `${a}\\sqrt{${b}}`,
        right: [`${a}\\sqrt{${b}}`, `\\sqrt{${a * a * b}}`, `${a}\\sqrt${b}`],
        wrong: [`${a}\\sqrt{${b + 1}}`, `${a + 1}\\sqrt{${b}}`],
      };
    },
    () => {
      const a = int(1, 5);
      const b = pick([2, 3, 4, 6]);
      return {
        category: 'pi',
        gold: `\\frac{${a}\\pi}{${b}}`,
        right: [`\\frac{${a}\\pi}{${b}}`, `\\frac{${a}}{${b}}\\pi`, `${a}\\pi/${b}`],
        wrong: [`\\frac{${a}\\pi}{${b + 1}}`],
      };
    },
    () => {
      const p = int(1, 99);
      return { category: 'percent', gold: `${p}\\%`, right: [`${p}\\%`, `${p}`, `${p / 100}`], wrong: [`${p + 5}\\%`] };
    },
    () => {
      const a = pick([30, 45, 60, 90, 120, 135, 150, 36, 72]);
      return {
        category: 'degrees',
        gold: `${a}^\\circ`,
        right: [`${a}^\\circ`, `${a}`, `${a}^{\\circ}`],
        wrong: [`${180 - a + 10}^\\circ`],
      };
    },
    () => {
      const v = int(2, 99);
      const u = pick(['cm', 'm', 'cm^2', 'km']);
      return {
        category: 'units',
        gold: `${v}`,
        right: [`${v}\\text{ ${u}}`, `${v} \\mathrm{${u}}`],
        wrong: [`${v + 2}\\text{ ${u}}`],
      };
    },
    () => {
      const a = int(-9, 0);
      const b = int(1, 9);
      return {
        category: 'set',
        gold: `\\{${a}, ${b}\\}`,
        right: [`\\{${b}, ${a}\\}`, `\\{${a},${b}\\}`],
        wrong: [`\\{${a}, ${b + 1}\\}`],
      };
    },
    () => {
      const a = int(-9, 9);
      const b = int(-9, 9);
      return {
        category: 'tuple',
        gold: `(${a}, ${b})`,
        right: [`(${a},${b})`, `\\left(${a}, ${b}\\right)`],
        wrong: [`(${a}, ${b + 1})`],
      };
    },
    () => {
      const a = int(-9, 0);
      const b = int(1, 9);
      return {
        category: 'interval',
        gold: `[${a}, ${b})`,
        right: [`[${a},${b})`],
        wrong: [`[${a}, ${b}]`, `(${a}, ${b})`],
      };
    },
    () => {
      const a = int(1, 6);
      const b = int(1, 6);
      const expanded = `x^2 + ${a + b}x + ${a * b}`;
      return {
        category: 'expression',
        gold: expanded,
        right: [`(x+${a})(x+${b})`, `x^{2}+${a + b}x+${a * b}`],
        wrong: [`(x+${a})(x+${b + 1})`],
      };
    },
    () => {
      const m = int(2, 9);
      const c = int(1, 9);
      return {
        category: 'equation',
        gold: `y = ${m}x + ${c}`,
        right: [`y=${m}x+${c}`, `y = ${c} + ${m}x`],
        wrong: [`y = ${m}x - ${c}`],
      };
    },
    () => {
      const m = int(1, 9);
      const e = int(2, 5);
      return {
        category: 'scientific',
        gold: `${m * 10 ** e}`,
        right: [`${m} \\times 10^{${e}}`, `${m}\\times10^${e}`],
        wrong: [`${m} \\times 10^{${e + 1}}`],
      };
    },
    () => {
      const l = pick(['A', 'B', 'C', 'D']);
      const o = pick(['A', 'B', 'C', 'D'].filter((x) => x !== l));
      return { category: 'choice', gold: l, right: [l, `(${l})`, `\\text{${l}}`], wrong: [o, `(${o})`] };
    },
    // Harder forms, where verifiers tend to differ.
    () => {
      const p = int(1, 9);
      const q = pick([2, 3, 4, 5, 7]);
      return {
        category: 'braceless',
        gold: `\\frac{${p}}{${q}}`,
        right: [`\\frac${p}${q}`, `\\tfrac{${p}}{${q}}`],
        wrong: [`\\frac${q}${p + q}`],
      };
    },
    () => {
      const m = int(1, 9);
      const e = int(2, 6);
      return {
        category: 'e-notation',
        gold: `${m * 10 ** e}`,
        right: [`${m}e${e}`, `${m}E${e}`],
        wrong: [`${m}e${e + 1}`],
      };
    },
    () => {
      const a = pick(['Yes', 'No']);
      return {
        category: 'text',
        gold: a,
        right: [a.toLowerCase(), `\\text{${a}}`],
        wrong: [a === 'Yes' ? 'No' : 'Yes'],
      };
    },
    () => {
      const l = pick(['A', 'B', 'C']);
      const o = l === 'A' ? 'C' : 'A';
      return {
        category: 'hedge',
        gold: l,
        right: [`\\text{Option ${l}}`, `${l}.`],
        wrong: [`${l} \\text{ or } ${o}`, `${o}`],
      };
    },
    () => {
      const a = int(1, 9);
      const b = int(1, 9);
      return { category: 'system', gold: `(${a}, ${b})`, right: [`x=${a}, y=${b}`], wrong: [`x=${b + 10}, y=${a}`] };
    },
    () => {
      const k = int(1, 8);
      const v = k / 3;
      return {
        category: 'rounding',
        gold: `\\frac{${k}}{3}`,
        right: [v.toFixed(6), `\\frac{${2 * k}}{6}`],
        wrong: [v.toFixed(2), v.toFixed(3)],
      };
    },
    () => {
      const a = int(2, 9);
      return {
        category: 'neg-frac',
        gold: `-\\frac{1}{${a}}`,
        right: [`\\frac{-1}{${a}}`, `-1/${a}`, `-\\dfrac{1}{${a}}`],
        wrong: [`\\frac{1}{${a}}`],
      };
    },
    () => {
      const a = int(2, 20);
      return { category: 'pm', gold: `\\pm ${a}`, right: [`${a}, -${a}`, `\\{-${a}, ${a}\\}`], wrong: [`${a}`] };
    },
  ];

  const reasoning = [
    'First, identify the given quantities in the figure. The side length is 6 and the angle is 30 degrees.',
    'Let us set up the equation from the diagram. Adding 12 and 8 gives 20, then we divide by 4.',
    'The chart shows 3 bars; the tallest is 45 and the shortest is 15. We compute the requested value.',
    'Using the Pythagorean theorem with legs 3 and 4, the hypotenuse is 5. Now apply the formula.',
  ];
  const out: BenchPair[] = [];
  for (let id = 0; out.length < n; id++) {
    const spec = pick(makers)();
    // Several completions per gold, as in a GRPO group.
    for (let k = 0; k < 4 && out.length < n; k++) {
      const intended = rnd() < 0.6;
      const ans = intended ? pick(spec.right) : pick(spec.wrong);
      const think = pick(reasoning);
      const style = int(0, 3);
      let completion: string;
      if (style === 0) completion = `<think>\n${think}\n</think>\n<answer>\\boxed{${ans}}</answer>`;
      else if (style === 1) completion = `<think>\n${think}\n</think>\n<answer>$${ans}$</answer>`;
      else if (style === 2) completion = `${think} Therefore, the final answer is $${ans}$.`;
      else completion = `${think}\nSo we get $\\boxed{${ans}}$.`;
      out.push({ id: out.length, category: spec.category, intended, gold: spec.gold, completion });
    }
  }
  return out;
}
