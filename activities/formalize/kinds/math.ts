// Math figures as a description, the givens and up to three ways to solve the question (validators/structured.ts).
// The strategies answer one question, so a math formalization is never shared between questions on one image.
import { z } from 'zod';
import { validateMath } from '../validators/structured.ts';
import { defineKind, unchanged } from './kind.ts';

export const MathFormalSchema = z.object({
  figure: z.string().min(1),
  givens: z.array(z.string()),
  strategies: z.array(z.string().min(1)).min(1).max(3),
});

export const math = defineKind({
  name: 'math',
  formats: ['math'],
  schema: MathFormalSchema,
  prompt: 'math',
  routes: [{ kind: 'math' }],
  perQuestion: true,
  validate: async (out) => unchanged(out, validateMath(out)),
  render: (o) => ({
    text: [
      `Figure: ${o.figure.trim()}`,
      o.givens.length ? `Given:\n${o.givens.map((g) => `- ${g}`).join('\n')}` : 'Given: nothing beyond the figure.',
      `Ways to solve it:\n${o.strategies.map((s, i) => `${i + 1}. ${s}`).join('\n')}`,
    ].join('\n\n'),
    data: { givens: o.givens, strategies: o.strategies },
  }),
});
