import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Prompt templates are files: `prompts/<stage>/<name>.md`, versioned by the sha256 of their bytes (docs/ARCHITECTURE.md hard rule 6).
 * Placeholders are `{{var}}` (identifier names, optional inner spaces); `\{{` writes a literal `{{`.
 * See prompts/README.md.
 */
export interface Prompt {
  /** `stage/name` */
  id: string;
  /** sha256 hex of the file's bytes, first 12 characters. */
  hash: string;
  text: string;
  /** Placeholder names used by the template, in order of first use. */
  vars: string[];
  /** Fill every placeholder; a placeholder with no value is an error naming the template and the variables. */
  render(vars: Record<string, string | number>): string;
}

export class PromptError extends Error {
  override name = 'PromptError';
}

const SEGMENT_RE = /^[a-z0-9][a-z0-9_-]*$/i;
const PLACEHOLDER_RE = /\\\{\{|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The prompts folder: `$R1OV_PROMPTS_DIR`, else `<repo>/prompts`. */
export function promptsDir(): string {
  return process.env.R1OV_PROMPTS_DIR ?? fileURLToPath(new URL('../prompts/', import.meta.url));
}

const cache = new Map<string, { mtimeMs: number; size: number; prompt: Prompt }>();

/** Forget loaded templates (tests). */
export function clearPromptCache(): void {
  cache.clear();
}

export function promptHash(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Build a Prompt from template text (used by loadPrompt; handy for tests and ad-hoc templates). */
export function makePrompt(id: string, text: string): Prompt {
  const vars: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER_RE)) if (m[1] && !vars.includes(m[1])) vars.push(m[1]);
  return {
    id,
    hash: promptHash(text),
    text,
    vars,
    render(values) {
      const missing = vars.filter((v) => values[v] === undefined || values[v] === null);
      if (missing.length > 0)
        throw new PromptError(`prompt ${id}: missing variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
      // One pass: values containing `{{x}}` are not expanded again.
      return text.replace(PLACEHOLDER_RE, (whole, name: string | undefined) =>
        name === undefined ? '{{' : String(values[name]),
      );
    },
  };
}

/** Load `prompts/<stage>/<name>.md` (cached; reloaded when the file changes). */
export function loadPrompt(stage: string, name: string, opts: { dir?: string } = {}): Prompt {
  if (!SEGMENT_RE.test(stage) || !SEGMENT_RE.test(name))
    throw new PromptError(`prompt ${stage}/${name}: stage and name must match ${SEGMENT_RE}`);
  const file = join(opts.dir ?? promptsDir(), stage, `${name}.md`);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new PromptError(`prompt ${stage}/${name}: no template file ${file}`);
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.prompt;
  const bytes = readFileSync(file);
  const prompt = makePrompt(`${stage}/${name}`, bytes.toString('utf8'));
  prompt.hash = promptHash(bytes);
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, prompt });
  return prompt;
}
