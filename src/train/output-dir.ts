import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError, UserError } from '../errors.js';

export const METRICS_FILE = 'metrics.jsonl';
export const BEST_DIR = 'model-best';
export const LAST_DIR = 'model-last';

/**
 * A run folder may hold a previous run's checkpoints: those are never replaced unless
 * the user says so (`--force`), because a finished training is work that cannot be undone.
 * Checks the folder and creates it; returns what a previous run left there, which
 * `clearPreviousRun` removes once the new run has read its data (so a mistake in the
 * data does not cost the old run).
 */
export async function prepareOutputDir(dir: string, force: boolean): Promise<string[]> {
  const previous = [METRICS_FILE, BEST_DIR, LAST_DIR].filter((name) => existsSync(join(dir, name)));
  if (previous.length > 0 && !force) {
    throw new UserError(`${dir}: already holds a training run (${previous.join(', ')})`, {
      hint: 'choose another folder with --out DIR, or pass --force to replace that run',
    });
  }
  try {
    await mkdir(dir, { recursive: true });
    await readdir(dir);
  } catch (error) {
    throw fileError(dir, error, 'cannot create the output folder');
  }
  return previous;
}

/** Removes the previous run's entries that prepareOutputDir found (with --force). */
export async function clearPreviousRun(dir: string, previous: readonly string[]): Promise<void> {
  for (const name of previous) await rm(join(dir, name), { recursive: true, force: true });
}
