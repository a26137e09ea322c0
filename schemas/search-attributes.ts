import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes the dev server registers at start and workflows upsert (all Keyword). */
export const SA = {
  run: defineSearchAttributeKey('R1ovRun', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('R1ovStage', SearchAttributeType.KEYWORD),
  modality: defineSearchAttributeKey('R1ovModality', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('R1ovSource', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('R1ovStatus', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('R1ovKind', SearchAttributeType.KEYWORD),
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(SA).map((k) => k.name);
