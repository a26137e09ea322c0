import { commitEval, describeBench, evalBatch, judgeBatch, writeEvalManifest } from './evaluate.ts';

/** The evaluation activities bound to the worker's home (spread into createActivities). */
export function createEvalActivities(home: string) {
  return {
    describeBench: (i: Parameters<typeof describeBench>[1]) => describeBench(home, i),
    evalBatch: (i: Parameters<typeof evalBatch>[1]) => evalBatch(home, i),
    judgeBatch: (i: Parameters<typeof judgeBatch>[1]) => judgeBatch(home, i),
    commitEval: (i: Parameters<typeof commitEval>[1]) => commitEval(home, i),
    writeEvalManifest: (i: Parameters<typeof writeEvalManifest>[1]) => writeEvalManifest(home, i),
  };
}
