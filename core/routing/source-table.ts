import type { Kind, Subkind } from '../../schemas/sample.ts';

export interface SourceRoute {
  kind: Kind;
  subkind?: Subkind;
  /** The subset asks for no reasoning (captioning, transcription): rejected at routing. */
  noReasoning?: boolean;
}

/**
 * LLaVA-OneVision-Data subsets (and their data_source names) → modality. Grouping follows the LLaVA-OneVision
 * paper's families; keys are normalised by `normalizeSourceName`.
 */
const TABLE: Record<string, SourceRoute> = {
  // Math / reasoning
  'clevr-math(mathv360k)': { kind: 'natural' },
  'figureqa(mathv360k)': { kind: 'chart' },
  'geos(mathv360k)': { kind: 'math' },
  'geoqa+(mathv360k)': { kind: 'math' },
  'geometry3k(mathv360k)': { kind: 'math' },
  'iconqa(mathv360k)': { kind: 'mixed' },
  'mapqa(mathv360k)': { kind: 'chart' },
  'super-clevr(mathv360k)': { kind: 'natural' },
  'tabmwp(mathv360k)': { kind: 'diagram', subkind: 'table' },
  'unigeo(mathv360k)': { kind: 'math' },
  'vizwiz(mathv360k)': { kind: 'natural' },
  'pmc-vqa(mathv360k)': { kind: 'diagram', subkind: 'scientific' },
  'geo170k(align)': { kind: 'math', noReasoning: true },
  'geo170k(qa)': { kind: 'math' },
  geo3k: { kind: 'math' },
  geomverse: { kind: 'math' },
  mathqa: { kind: 'math' },
  mavis_math_metagen: { kind: 'math' },
  mavis_math_rule_geo: { kind: 'math' },
  raven: { kind: 'diagram', subkind: 'scientific' },
  'iconqa(cauldron,llava_format)': { kind: 'mixed' },
  'iconqa(cauldron)': { kind: 'mixed' },
  'mapqa(cauldron,llava_format)': { kind: 'chart' },
  'mapqa(cauldron)': { kind: 'chart' },
  // Documents, charts, screens
  'ai2d(cauldron,llava_format)': { kind: 'diagram', subkind: 'scientific' },
  'ai2d(gpt4v)': { kind: 'diagram', subkind: 'scientific' },
  'ai2d(internvl)': { kind: 'diagram', subkind: 'scientific' },
  ai2d: { kind: 'diagram', subkind: 'scientific' },
  chart2text: { kind: 'chart', noReasoning: true },
  'chart2text(cauldron)': { kind: 'chart', noReasoning: true },
  chartqa: { kind: 'chart' },
  'chartqa(cauldron,llava_format)': { kind: 'chart' },
  diagram_image_to_text: { kind: 'diagram', subkind: 'flowchart', noReasoning: true },
  'diagram_image_to_text(cauldron)': { kind: 'diagram', subkind: 'flowchart', noReasoning: true },
  dvqa: { kind: 'chart' },
  'dvqa(cauldron,llava_format)': { kind: 'chart' },
  figureqa: { kind: 'chart' },
  'figureqa(cauldron,llava_format)': { kind: 'chart' },
  hitab: { kind: 'diagram', subkind: 'table' },
  'hitab(cauldron,llava_format)': { kind: 'diagram', subkind: 'table' },
  'infographic(gpt4v)': { kind: 'text_only' },
  infographic_vqa: { kind: 'text_only' },
  'infographic_vqa(llava_format)': { kind: 'text_only' },
  lrv_chart: { kind: 'chart' },
  lrv_normal: { kind: 'natural' },
  'lrv_normal(filtered)': { kind: 'natural' },
  robut_sqa: { kind: 'diagram', subkind: 'table' },
  robut_wikisql: { kind: 'diagram', subkind: 'table' },
  robut_wtq: { kind: 'diagram', subkind: 'table' },
  'robut_sqa(cauldron)': { kind: 'diagram', subkind: 'table' },
  'robut_wikisql(cauldron)': { kind: 'diagram', subkind: 'table' },
  'robut_wtq(cauldron,llava_format)': { kind: 'diagram', subkind: 'table' },
  screen2words: { kind: 'diagram', subkind: 'ui', noReasoning: true },
  'screen2words(cauldron)': { kind: 'diagram', subkind: 'ui', noReasoning: true },
  visualmrc: { kind: 'text_only' },
  'visualmrc(cauldron)': { kind: 'text_only' },
  ureader_cap: { kind: 'text_only', noReasoning: true },
  ureader_ie: { kind: 'text_only' },
  ureader_kg: { kind: 'text_only' },
  ureader_qa: { kind: 'text_only' },
  tqa: { kind: 'diagram', subkind: 'scientific' },
  'tqa(cauldron,llava_format)': { kind: 'diagram', subkind: 'scientific' },
  multihiertt: { kind: 'diagram', subkind: 'table' },
  'multihiertt(cauldron)': { kind: 'diagram', subkind: 'table' },
  vistext: { kind: 'chart', noReasoning: true },
  'vistext(cauldron)': { kind: 'chart', noReasoning: true },
  // General OCR: transcription does not call for reasoning
  chrome_writting: { kind: 'text_only', noReasoning: true },
  iam: { kind: 'text_only', noReasoning: true },
  'iam(cauldron)': { kind: 'text_only', noReasoning: true },
  iiit5k: { kind: 'text_only', noReasoning: true },
  k12_printing: { kind: 'text_only', noReasoning: true },
  'rendered_text(cauldron)': { kind: 'text_only', noReasoning: true },
  rendered_text: { kind: 'text_only', noReasoning: true },
  textcaps: { kind: 'text_only', noReasoning: true },
  'textocr(gpt4v)': { kind: 'text_only', noReasoning: true },
  hme100k: { kind: 'text_only', noReasoning: true },
  websight: { kind: 'diagram', subkind: 'ui', noReasoning: true },
  'websight(cauldron)': { kind: 'diagram', subkind: 'ui', noReasoning: true },
  sroie: { kind: 'text_only' },
  orand_car_a: { kind: 'text_only', noReasoning: true },
  // General / natural images
  allava_instruct_laion4v: { kind: 'natural' },
  allava_instruct_vflan4v: { kind: 'natural' },
  aokvqa: { kind: 'natural' },
  'aokvqa(cauldron,llava_format)': { kind: 'natural' },
  clevr: { kind: 'natural' },
  'clevr(cauldron,llava_format)': { kind: 'natural' },
  image_textualization: { kind: 'natural', noReasoning: true },
  'image_textualization(filtered)': { kind: 'natural', noReasoning: true },
  intergps: { kind: 'math' },
  'intergps(cauldron,llava_format)': { kind: 'math' },
  llava_wild_4v_12k: { kind: 'natural' },
  llava_wild_4v_39k: { kind: 'natural' },
  llava_wild_4v_12k_filtered: { kind: 'natural' },
  llava_wild_4v_39k_filtered: { kind: 'natural' },
  llavar_gpt4_20k: { kind: 'mixed' },
  hateful_memes: { kind: 'mixed' },
  'hateful_memes(cauldron,llava_format)': { kind: 'mixed' },
  'scienceqa(cauldron,llava_format)': { kind: 'diagram', subkind: 'scientific' },
  'scienceqa(nona_context)': { kind: 'diagram', subkind: 'scientific' },
  scienceqa: { kind: 'diagram', subkind: 'scientific' },
  sharegpt4o: { kind: 'natural' },
  'sharegpt4v(coco)': { kind: 'natural', noReasoning: true },
  'sharegpt4v(knowledge)': { kind: 'natural', noReasoning: true },
  'sharegpt4v(llava)': { kind: 'natural', noReasoning: true },
  'sharegpt4v(sam)': { kind: 'natural', noReasoning: true },
  st_vqa: { kind: 'mixed' },
  'st_vqa(cauldron,llava_format)': { kind: 'mixed' },
  tallyqa: { kind: 'natural' },
  'tallyqa(cauldron,llava_format)': { kind: 'natural' },
  visual7w: { kind: 'natural' },
  'visual7w(cauldron,llava_format)': { kind: 'natural' },
  vqarad: { kind: 'diagram', subkind: 'scientific' },
  'vqarad(cauldron,llava_format)': { kind: 'diagram', subkind: 'scientific' },
  vsr: { kind: 'natural' },
  'vsr(cauldron,llava_format)': { kind: 'natural' },
  vision_flan: { kind: 'natural' },
  'vision_flan(filtered)': { kind: 'natural' },
  visualwebinstruct: { kind: 'mixed' },
  'visualwebinstruct(filtered)': { kind: 'mixed' },
  // Language only (no image): nothing to formalise
  magpie_pro: { kind: 'text_only', noReasoning: true },
  'magpie_pro(l3_80b_mt)': { kind: 'text_only', noReasoning: true },
  'magpie_pro(l3_80b_st)': { kind: 'text_only', noReasoning: true },
  'magpie_pro(qwen2_72b_st)': { kind: 'text_only', noReasoning: true },
  'evol-instruct-gpt4-turbo': { kind: 'text_only', noReasoning: true },
};

/** Case-, space- and separator-insensitive key ("GeoQA+ (MathV360K)" → "geoqa+(mathv360k)"). */
export function normalizeSourceName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/_llava_format$/, '(llava_format)');
}

export function routeBySource(...names: Array<string | undefined>): SourceRoute | undefined {
  for (const n of names) {
    if (!n) continue;
    const key = normalizeSourceName(n);
    const hit = TABLE[key] ?? TABLE[key.replace(/\(.*\)$/, '')];
    if (hit) return hit;
  }
  return undefined;
}

export const SOURCE_TABLE: Readonly<Record<string, SourceRoute>> = TABLE;

/** Questions that ask only for a description or transcription: no reasoning to learn from. */
const NO_REASONING_QUESTION =
  /^(please\s+)?(describe|caption|transcribe|write a (short |brief |detailed )?(caption|description)|what (text|is written)|read the text|ocr)\b/i;
export function asksForNoReasoning(question: string): boolean {
  return NO_REASONING_QUESTION.test(question.trim());
}
