/**
 * An in-memory word index over a generation's search text (v_text), built in the background after the snapshot:
 * term → sorted doc seqs. It narrows a substring search to candidate docs without scanning all text:
 *  - every word of the needle must occur inside some term of the doc (a term *containing* the word, so a search
 *    for "ken42" still finds "token42"): candidates = ∩ over words of ∪ postings of the terms containing it;
 *  - a one-word needle needs no further check (a term containing it ⇒ the text contains it); a longer needle is
 *    verified with `contains()` on the candidates only.
 * Results are therefore exactly those of a full `contains(text, needle)` scan. Before the index is ready, or when
 * a word is too common to narrow anything, the caller scans.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

const WORD = /[\p{L}\p{N}_]+/gu;

export class TextIndex {
  private postings = new Map<string, number[]>();
  private terms: string[] = [];
  ready = false;
  buildMs = 0;
  docs = 0;

  /** Read v_text in seq ranges, yielding to the event loop between chunks so pages keep being served. */
  async build(conn: DuckDBConnection, count: number, isStale: () => boolean): Promise<void> {
    const t0 = performance.now();
    const CHUNK = 5000;
    for (let lo = 1; lo <= count; lo += CHUNK) {
      if (isStale()) return;
      const reader = await conn.runAndReadAll(
        `SELECT seq, s FROM v_text WHERE seq BETWEEN ${lo} AND ${lo + CHUNK - 1} ORDER BY seq`,
      );
      for (const [seq, s] of reader.getRows() as Array<[number, string | null]>) {
        if (!s) continue;
        for (const m of s.matchAll(WORD)) {
          const t = m[0];
          let p = this.postings.get(t);
          if (!p) {
            p = [];
            this.postings.set(t, p);
          }
          if (p[p.length - 1] !== seq) p.push(seq);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    this.terms = [...this.postings.keys()];
    this.docs = count;
    this.buildMs = performance.now() - t0;
    this.ready = true;
  }

  /**
   * Candidate docs for a lowercased needle, `exact` when no verification is needed; null when the index cannot
   * narrow it (not ready, no word in the needle, or a word so common that scanning is as cheap).
   */
  candidates(needle: string): { seqs: number[]; exact: boolean } | null {
    if (!this.ready) return null;
    const words = [...new Set(needle.match(WORD) ?? [])];
    if (words.length === 0) return null;
    const exact = words.length === 1 && words[0] === needle;
    let acc: Set<number> | null = null;
    // Rarest-looking (longest) words first: smaller sets, earlier exit.
    for (const w of words.sort((a, b) => b.length - a.length)) {
      const union = new Set<number>();
      for (const t of this.terms) {
        if (!t.includes(w)) continue;
        for (const s of this.postings.get(t)!) if (!acc || acc.has(s)) union.add(s);
        if (union.size > this.docs * 0.3) return null;
      }
      acc = union;
      if (acc.size === 0) break;
    }
    return { seqs: [...acc!].sort((a, b) => a - b), exact };
  }
}
