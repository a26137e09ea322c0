/**
 * The durability and scale suite (test/support/engine-suite.ts) on a Temporal server on PostgreSQL
 * (test/support/temporal-cluster.ts; the server is built from its Go module once per machine): cluster init, three
 * workers on one build, worker SIGKILL, server restart, PostgreSQL down 20 s, pause / resume / cancel, eval and
 * training workflows. Without Go this file fails rather than skips; R1OV_TEST_ENGINES=dev leaves it out.
 */
import { engineSuite } from './support/engine-suite.ts';

engineSuite('cluster');
