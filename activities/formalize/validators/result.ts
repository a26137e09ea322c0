// The shape every validator returns. `error` is written for a model: what is wrong and where,
// so the formalizer can re-ask with it verbatim.
export type ValidationResult<S> = { ok: true; summary: S } | { ok: false; error: string };

export const ok = <S>(summary: S): ValidationResult<S> => ({ ok: true, summary });

/** Joins the first problems into one message (a model repairs a few things at a time). */
export function fail(problems: string[], max = 8): { ok: false; error: string } {
  const shown = problems.slice(0, max);
  const more = problems.length > max ? `\n(and ${problems.length - max} more problems)` : '';
  return { ok: false, error: shown.join('\n') + more };
}
