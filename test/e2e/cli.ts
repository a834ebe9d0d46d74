import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Drives the built CLI (bin/ner-train.js → dist/) exactly as a user's shell would. */
export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/ner-train.js');

/** Real data for the heavier checks; CI has shared/ beside the clone. */
export const SHARED_DATA = resolve(ROOT, process.env.NER_TRAIN_SHARED_DATA ?? '../shared/data');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, NO_COLOR: '1', CI: '1' };

export function run(args: string[], options: { input?: string; cwd?: string } = {}): RunResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: ENV,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the CLI in the background, for signal tests. */
export function start(args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Folders tempDir made, removed when the test process ends (a failing test's folder is gone too: rerun to look at it). */
const made: string[] = [];

export function tempDir(prefix = 'ner-train-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0 && process.env.NER_TRAIN_KEEP_TEMP !== '1') {
    process.once('exit', () => {
      for (const path of made) rmSync(path, { recursive: true, force: true });
    });
  }
  made.push(dir);
  return dir;
}

/** A stack trace line, which a user error must never show. */
export const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;
