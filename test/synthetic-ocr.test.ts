// The embedded OCR reads each synthetic kind's title off the rendered PNG: titles are legible text, not decoration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recognizeText } from '../activities/ocr/index.ts';
import { SYNTHETIC_KINDS, generateSyntheticItem, renderSyntheticPng } from '../activities/synthetic/index.ts';

/** Title of every drawing, as the generator put it on the image. */
function titleOf(svg: string): string {
  const m = /<text [^>]*font-size="24"[^>]*>([^<]+)<\/text>/.exec(svg);
  assert.ok(m?.[1], 'svg has a title element');
  return m[1].replace(/&amp;/g, '&');
}

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

test('OCR finds the title words of one image per kind', async () => {
  for (const [i, kind] of SYNTHETIC_KINDS.entries()) {
    const it = generateSyntheticItem(i, { n: 7, kinds: [...SYNTHETIC_KINDS], seed: 21 });
    const title = titleOf(it.svg);
    const lines = await recognizeText(await renderSyntheticPng(it));
    // Compare without spaces or punctuation: OCR may merge or split words.
    const seen = squash(lines.map((l) => l.text).join(' '));
    const missing = title
      .split(/\s+/)
      .map(squash)
      .filter((w) => w.length > 0 && !seen.includes(w));
    assert.deepEqual(
      missing,
      [],
      `${kind}: title "${title}" not read; OCR saw ${JSON.stringify(lines.map((l) => l.text))}`,
    );
    // The title is the top-most line.
    const top = [...lines].sort((a, b) => a.box[1] - b.box[1])[0];
    assert.ok(top && top.box[1] < 60, `${kind}: title at the top (y ${top?.box[1]})`);
  }
});
