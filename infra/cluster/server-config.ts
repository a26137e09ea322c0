/**
 * The Temporal server configuration for one PostgreSQL-backed server process, rendered from
 * infra/cluster/temporal-postgres.yaml with the ports and database address of this start.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));
export const SERVER_CONFIG_TEMPLATE = join(here, 'temporal-postgres.yaml');

const Port = z.number().int().min(1).max(65535);
export const ServerPortsSchema = z.object({
  frontend: Port,
  frontendHttp: Port,
  frontendMembership: Port,
  history: Port,
  historyMembership: Port,
  matching: Port,
  matchingMembership: Port,
  worker: Port,
  workerMembership: Port,
});
export type ServerPorts = z.infer<typeof ServerPortsSchema>;
export const SERVER_PORT_NAMES = Object.keys(ServerPortsSchema.shape) as Array<keyof ServerPorts>;

export interface ServerConfigInput {
  ports: ServerPorts;
  postgres: { host: string; port: number; user: string; password: string };
  /** Dynamic config file; the template's own (relative to infra/cluster/) when absent. */
  dynamicConfigFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

type Rpc = { grpcPort: number; membershipPort: number; httpPort?: number };
type ServerConfig = {
  log: { level: string };
  persistence: { datastores: Record<string, { sql: { connectAddr: string; user: string; password: string } }> };
  services: Record<'frontend' | 'history' | 'matching' | 'worker', { rpc: Rpc }>;
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  dynamicConfigClient: { filepath: string };
};

export function renderServerConfig(input: ServerConfigInput): string {
  const ports = ServerPortsSchema.parse(input.ports);
  const cfg = parse(readFileSync(SERVER_CONFIG_TEMPLATE, 'utf8')) as ServerConfig;
  cfg.log.level = input.logLevel ?? cfg.log.level;
  for (const store of Object.values(cfg.persistence.datastores)) {
    store.sql.connectAddr = `${input.postgres.host}:${input.postgres.port}`;
    store.sql.user = input.postgres.user;
    store.sql.password = input.postgres.password;
  }
  const s = cfg.services;
  Object.assign(s.frontend.rpc, {
    grpcPort: ports.frontend,
    membershipPort: ports.frontendMembership,
    httpPort: ports.frontendHttp,
  });
  Object.assign(s.history.rpc, { grpcPort: ports.history, membershipPort: ports.historyMembership });
  Object.assign(s.matching.rpc, { grpcPort: ports.matching, membershipPort: ports.matchingMembership });
  Object.assign(s.worker.rpc, { grpcPort: ports.worker, membershipPort: ports.workerMembership });
  cfg.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${ports.frontend}`;
  const dyn = input.dynamicConfigFile ?? cfg.dynamicConfigClient.filepath;
  cfg.dynamicConfigClient.filepath = isAbsolute(dyn) ? dyn : resolve(here, dyn);
  return stringify(cfg);
}
