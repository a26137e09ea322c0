// User interfaces as HTML (validators/html.ts). Viewer: the HTML in a sandboxed iframe (viewer/render.ts).
import { z } from 'zod';
import { validateHtml } from '../validators/html.ts';
import { defineKind, unchanged } from './kind.ts';

export const UiFormalSchema = z.object({ format: z.literal('html'), html: z.string().min(1) });

export const ui = defineKind({
  name: 'ui',
  formats: ['html'],
  schema: UiFormalSchema,
  prompt: 'ui',
  routes: [{ kind: 'diagram', subkind: 'ui' }],
  validate: async (out) => unchanged(out, validateHtml(out.html)),
  render: (o) => ({ text: o.html.trim(), data: null }),
});
