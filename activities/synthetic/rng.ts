/** Seeded PRNG (mulberry32) keyed by (seed, index), so any item can be regenerated alone. */
import { at } from '../../core/must.ts';

// murmur3 finaliser: spreads nearby (seed, index) pairs into unrelated states.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private s: number;

  constructor(seed: number, index: number) {
    this.s = fmix32(fmix32(seed ^ 0x9e3779b9) ^ Math.imul(index + 1, 0x27d4eb2f));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new Error('pick from empty array');
    return at(arr, Math.floor(this.next() * arr.length));
  }

  shuffle<T>(arr: readonly T[]): T[] {
    const a = arr.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [at(a, j), at(a, i)];
    }
    return a;
  }

  /** k distinct elements, in random order. */
  sample<T>(arr: readonly T[], k: number): T[] {
    return this.shuffle(arr).slice(0, k);
  }

  /** k distinct integers in [lo, hi]. */
  distinctInts(lo: number, hi: number, k: number): number[] {
    const out = new Set<number>();
    while (out.size < k) out.add(this.int(lo, hi));
    return [...out];
  }
}
