import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Python trainer's folder (trainer/): the GPU training, checkpoint and perception servers run from it. */
export const trainerDir = fileURLToPath(new URL('../trainer/', import.meta.url));

/** The trainer's Python: $R1OV_TRAINER_PYTHON, else trainer/.venv (made by `bash trainer/install.sh`). */
export function trainerPython(): string {
  return process.env.R1OV_TRAINER_PYTHON ?? join(trainerDir, '.venv', 'bin', 'python');
}
