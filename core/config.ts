import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.ts';
import { RunConfigSchema, type Role, type RunConfig } from '../schemas/config.ts';
import type { Endpoints } from '../schemas/workflow.ts';
import { resolveEndpoint } from './endpoints.ts';

/** Read a run config (JSON or YAML) and validate it; no file → defaults. Errors name the file and the field. */
export function loadRunConfig(file?: string): RunConfig {
  if (!file) return RunConfigSchema.parse({});
  if (!existsSync(file)) throw new UsageError(`--config ${file}: no such file`);
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${file}: cannot parse (${(err as Error).message.split('\n')[0]})`);
  }
  const r = RunConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`--config ${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

/**
 * Resolve the endpoints a build needs. Required roles without an endpoint are a usage error naming the role
 * (exit 2); optional roles are simply left out.
 */
export function resolveEndpoints(config: RunConfig, required: Role[], optional: Role[]): Endpoints {
  const out: Endpoints = {};
  for (const role of [...required, ...optional]) {
    const e = resolveEndpoint(role, config);
    if (e) out[role] = e;
    else if (required.includes(role)) {
      const R = role.toUpperCase();
      throw new UsageError(
        `no endpoint for the ${role} role: set roles.${role}.baseUrl/model in --config, or R1OV_${R}_BASE_URL and R1OV_${R}_MODEL, or OPENAI_BASE_URL and R1OV_MODEL`,
      );
    }
  }
  return out;
}
