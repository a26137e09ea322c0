import { ingestPage, type IngestPageInput } from './ingest/ingest-page.ts';
import { classifyModality, routeSample } from './route/route.ts';
import { formalize, formalizeExact } from './formalize/formalize.ts';
import { reason, reasonExact } from './reason/reason.ts';
import { revisitRound } from './reason/revisit.ts';
import { scoreRevisitFidelity } from './reason/revisit-fidelity.ts';
import { checkFormal } from './formalize/validators/formal-checks.ts';
import { qaJudge, qaRules } from './qa/qa.ts';
import { stageRecord } from './record/stage-record.ts';
import { writeRunManifest } from './record/run-manifest.ts';
import { awaitSamples } from './record/await-samples.ts';
import { commitShard } from './shards/commit.ts';
import { scoreFidelity } from './fidelity/index.ts';
import { createEvalActivities } from './eval/index.ts';
import { runTrainerStage } from './train/run-trainer.ts';
import { serveCheckpoint } from './train/serve-checkpoint.ts';
import { describeBuild } from './ingest/build-setup.ts';
import { probeEndpoint } from './llm/probe.ts';

type Bound<F> = F extends (home: string, input: infer I) => infer R ? (input: I) => R : never;
const bind = <F extends (home: string, input: never) => unknown>(home: string, f: F) =>
  ((input: never) => f(home, input)) as Bound<F>;

/**
 * Every activity, bound to the worker's home (the home is the worker's, never carried in workflow history).
 * Each takes one small typed input and returns a small typed result plus blob keys.
 */
export function createActivities(home: string) {
  return {
    ingestPage: bind(home, ingestPage as (h: string, i: IngestPageInput) => ReturnType<typeof ingestPage>),
    routeSample: bind(home, routeSample),
    classifyModality: bind(home, classifyModality),
    formalize: bind(home, formalize),
    formalizeExact: bind(home, formalizeExact),
    reason: bind(home, reason),
    reasonExact: bind(home, reasonExact),
    revisitRound: bind(home, revisitRound),
    scoreRevisitFidelity: bind(home, scoreRevisitFidelity),
    checkFormal: bind(home, checkFormal),
    qaRules: bind(home, qaRules),
    qaJudge: bind(home, qaJudge),
    stageRecord: bind(home, stageRecord),
    writeRunManifest: bind(home, writeRunManifest),
    awaitSamples, // needs no home: it only reads sample workflows' results
    commitShard: bind(home, commitShard),
    scoreFidelity: bind(home, scoreFidelity),
    ...createEvalActivities(home),
    runTrainerStage: bind(home, runTrainerStage),
    serveCheckpoint: bind(home, serveCheckpoint),
    describeBuild: bind(home, describeBuild),
    probeEndpoint: (endpoint: Parameters<typeof probeEndpoint>[0]) => probeEndpoint(endpoint),
  };
}

export type Activities = ReturnType<typeof createActivities>;
