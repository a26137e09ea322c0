import sharp, { type OverlayOptions } from 'sharp';
import { getBlob } from '../../core/blobs.ts';

export interface SheetItem {
  imageKey: string;
  title: string;
  question: string;
  answer: string;
}

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Greedy word wrap to at most `lines` lines of `width` characters (the last line ellipsised). */
function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    if ((cur + ' ' + word).trim().length > width) {
      out.push(cur);
      cur = word;
    } else cur = `${cur} ${word}`.trim();
  }
  if (cur) out.push(cur);
  if (out.length > lines) {
    out.length = lines;
    out[lines - 1] = `${out[lines - 1]!.slice(0, width - 1)}…`;
  }
  return out;
}

/** A grid of sample images, each with its question and answer underneath: a quick look at what a run made. */
export async function renderContactSheet(
  home: string,
  items: SheetItem[],
  opts: { columns?: number; cell?: number } = {},
): Promise<Buffer> {
  const columns = opts.columns ?? 4;
  const cell = opts.cell ?? 320;
  const textH = 118;
  const pad = 12;
  const rows = Math.max(1, Math.ceil(items.length / columns));
  const width = columns * (cell + pad) + pad;
  const height = rows * (cell + textH + pad) + pad;
  const composites: OverlayOptions[] = [];
  for (const [i, it] of items.entries()) {
    const x = pad + (i % columns) * (cell + pad);
    const y = pad + Math.floor(i / columns) * (cell + textH + pad);
    const thumb = await sharp(await getBlob(home, it.imageKey))
      .resize(cell, cell, { fit: 'contain', background: '#ffffff' })
      .png()
      .toBuffer();
    composites.push({ input: thumb, left: x, top: y });
    const q = wrap(it.question, 46, 4);
    const a = wrap(`Answer: ${it.answer}`, 46, 1);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${cell}" height="${textH}">
      <rect width="100%" height="100%" fill="#f4f6fa"/>
      <text x="6" y="16" font-family="DejaVu Sans" font-size="12" font-weight="bold" fill="#1f3b70">${esc(it.title)}</text>
      ${q.map((l, j) => `<text x="6" y="${34 + j * 15}" font-family="DejaVu Sans" font-size="11.5" fill="#222">${esc(l)}</text>`).join('')}
      <text x="6" y="${textH - 8}" font-family="DejaVu Sans" font-size="12" font-weight="bold" fill="#0a7a3a">${esc(a[0] ?? '')}</text>
    </svg>`;
    composites.push({ input: Buffer.from(svg), left: x, top: y + cell });
  }
  return sharp({ create: { width, height, channels: 3, background: '#dfe3ea' } })
    .composite(composites)
    .png()
    .toBuffer();
}
