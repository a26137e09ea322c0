import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { connectionSecurityFromEnv, temporalTarget } from '../core/temporal.ts';
import { ClusterInitResultSchema, initCluster } from '../infra/cluster/init.ts';
import { emit, globals, log, positiveInt } from './context.ts';

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('a Temporal cluster (self-hosted or Temporal Cloud) for r1ov');
  cluster
    .command('init')
    .description(
      "register the namespace (when absent) and r1ov's search attributes; idempotent; checks the server version",
    )
    .option(
      '--address <host:port>',
      'frontend address (default $TEMPORAL_ADDRESS, else the embedded server of the home)',
    )
    .option('--namespace <name>', 'namespace (default $TEMPORAL_NAMESPACE, else default)')
    .option(
      '--retention-days <n>',
      'retention of closed workflows when the namespace is registered',
      positiveInt('--retention-days'),
      7,
    )
    .option('--wait <seconds>', 'keep trying to reach a server that is still starting', positiveInt('--wait'), 10)
    .action(async (o: { address?: string; namespace?: string; retentionDays: number; wait: number }, cmd: Command) => {
      const { home, json } = globals(cmd);
      const target = o.address ? undefined : temporalTarget(home);
      const address = o.address ?? target!.address;
      const namespace = o.namespace ?? process.env.TEMPORAL_NAMESPACE ?? target?.namespace ?? 'default';
      const security = connectionSecurityFromEnv();
      const deadline = Date.now() + o.wait * 1000;
      let connection: Connection;
      for (;;) {
        let c: Connection | undefined;
        try {
          c = await Connection.connect({ address, connectTimeout: 5_000, ...security });
          await c.workflowService.getSystemInfo({});
          connection = c;
          break;
        } catch (err) {
          await c?.close();
          if (Date.now() > deadline)
            throw new Error(`cannot reach Temporal at ${address} within ${o.wait} s: ${(err as Error).message}`);
        }
        await sleep(1_000); // a server still starting: polled, it announces nothing
      }
      try {
        const r = await initCluster({
          connection,
          address,
          namespace,
          retentionDays: o.retentionDays,
          log: json ? undefined : log,
        });
        const changed = r.namespaceRegistered || r.searchAttributesAdded.length > 0;
        emit(
          json,
          ClusterInitResultSchema,
          r,
          () =>
            `${address} (server ${r.serverVersion}), namespace ${namespace}: ${changed ? 'ready' : 'already ready, nothing changed'}`,
        );
      } finally {
        await connection.close();
      }
    });
}
