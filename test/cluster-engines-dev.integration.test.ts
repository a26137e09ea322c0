/**
 * The durability and scale suite (test/support/engine-suite.ts) on the embedded dev server (SQLite): cluster init,
 * three workers on one build, worker SIGKILL, server restart, pause / resume / cancel, eval and training workflows.
 * Its twin on a Temporal server on PostgreSQL is cluster-engines-cluster.integration.test.ts; the two files run side
 * by side.
 */
import { engineSuite } from './support/engine-suite.ts';

engineSuite('dev');
