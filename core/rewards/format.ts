// Format and box rewards. The format rule is upstream's full-match regex
// `<think>.*?</think>\s*<answer>.*?</answer>` (DOTALL), tightened against reward hacking:
// both blocks non-empty and no stray think/answer tags inside or around them.
import { answerBlock } from './extract.ts';

const FORMAT_RE = /^\s*<think>([\s\S]*?)<\/think>\s*<answer>([\s\S]*?)<\/answer>\s*$/;
const TAG_RE = /<\/?(?:think|answer)>/;

export function formatRewardImpl(completion: string): 0 | 1 {
  const m = FORMAT_RE.exec(completion);
  if (!m) return 0;
  const [, think = '', answer = ''] = m;
  if (think.trim() === '' || answer.trim() === '') return 0;
  return TAG_RE.test(think) || TAG_RE.test(answer) ? 0 : 1;
}

type Box = [number, number, number, number];
const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const BOX_RE = new RegExp(String.raw`\[\s*(${NUM})\s*,\s*(${NUM})\s*,\s*(${NUM})\s*,\s*(${NUM})\s*\]`);

function validBox(b: Box): boolean {
  return b.length === 4 && b.every(Number.isFinite) && b[2] > b[0] && b[3] > b[1];
}

/** First `[x1,y1,x2,y2]` of the answer block (else of the whole completion), or null. */
export function firstBox(completion: string): Box | null {
  const region = answerBlock(completion) ?? completion;
  const m = BOX_RE.exec(region.length > 200_000 ? region.slice(0, 200_000) : region);
  if (!m) return null;
  const b: Box = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return validBox(b) ? b : null;
}

export function boxIou(a: Box, b: Box): number {
  if (!validBox(a) || !validBox(b)) return 0;
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  const iou = inter / union;
  return Number.isFinite(iou) ? Math.min(1, Math.max(0, iou)) : 0;
}

export function iouRewardImpl(completion: string, box: Box): number {
  const p = firstBox(completion);
  return p ? boxIou(p, box) : 0;
}
