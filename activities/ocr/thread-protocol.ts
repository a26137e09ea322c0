// The messages between index.ts and the OCR thread (thread.ts); replies are checked when they arrive.
import { z } from 'zod';
import { OcrLineSchema } from './lines.ts';

export interface OcrRequest {
  id: number;
  png: Uint8Array;
}

export const OcrReplySchema = z.union([
  z.object({ id: z.number(), lines: z.array(OcrLineSchema) }),
  z.object({ id: z.number(), error: z.string() }),
]);
export type OcrReply = z.infer<typeof OcrReplySchema>;
