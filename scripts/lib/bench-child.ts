/**
 * Our cases each run in a fresh Node process (this script again, with --child), so that
 * peak_rss_mb is that case's own and no JIT state or heap carries over from the last one.
 * The parent waits for quiet CPUs first and runs a disturbed case again, as the peers do.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import type { BenchCase, BenchOptions, TimingOptions } from './bench-args.js';
import { waitForQuiet } from './bench-cpu.js';
import { ROOT } from './bench-peers.js';
import { parseRecord, type BenchRecord } from './bench-report.js';

export const BENCH_SCRIPT = join(ROOT, 'scripts/bench.ts');

export const ChildSpecSchema = z.strictObject({
  case: z.strictObject({
    threads: z.number().int().min(1),
    mode: z.enum(['train', 'predict']),
    batch: z.number().int().min(1),
    loss: z.enum(['hinge', 'softmax']).nullable(),
    optim: z.enum(['adam', 'adagrad']).nullable(),
    act: z.enum(['tanh', 'hardtanh', 'relu']),
  }),
  timing: z.strictObject({
    reps: z.number().int().min(1),
    warmupSteps: z.number().int().min(1),
    maxSeconds: z.number().positive(),
    tokens: z.number().int().min(1),
    seed: z.number().int().min(0),
  }),
  options: z.strictObject({ plainForward: z.boolean() }),
});
export type ChildSpec = z.infer<typeof ChildSpecSchema>;

export function describeCase(c: BenchCase): string {
  const training = c.mode === 'train' ? ` ${c.loss} ${c.optim}` : '';
  return `ner-train ${c.mode} B=${c.batch} T=${c.threads}${training} ${c.act}`;
}

/**
 * Runs one case in a child process: up to 1 + retries attempts while other processes took
 * more than `busy` of the CPUs during a timed repetition. Returns the last attempt's record
 * (with `attempts`), or null when the case failed (its stderr says why).
 */
export async function runOurCase(c: BenchCase, options: BenchOptions, log: (line: string) => void): Promise<BenchRecord | null> {
  const timing: TimingOptions = { reps: options.reps, warmupSteps: options.warmupSteps, maxSeconds: options.maxSeconds, tokens: options.tokens, seed: options.seed };
  const spec: ChildSpec = { case: c, timing, options: { plainForward: options.plainForward } };
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (options.quietWait > 0) await waitForQuiet(options.quietWait, options.busy, log);
    const record = await spawnChild(spec, options.childTimeout, log);
    if (record === null) return null;
    const withAttempts = { ...record, attempts: attempt };
    const worst = Math.max(0, ...(record.other_load_reps ?? []).filter((x): x is number => x !== null));
    if (worst <= options.busy || attempt === options.retries + 1) return withAttempts;
    log(`  disturbed (other load ${JSON.stringify(record.other_load_reps)}), running again`);
  }
  return null;
}

async function spawnChild(spec: ChildSpec, timeoutS: number, log: (line: string) => void): Promise<BenchRecord | null> {
  // process.execArgv carries tsx's loader, so the child runs the TypeScript sources as this process does.
  // NER_TRAIN_THREADS is how `predict` and `evaluate` take a thread count; training takes
  // it from the config. Both say T, so whichever the library reads agrees.
  const env = { ...process.env, NER_TRAIN_THREADS: String(spec.case.threads) };
  const child = spawn(process.execPath, [...process.execArgv, BENCH_SCRIPT, '--child', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, timeoutS * 1000);
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  }).finally(() => clearTimeout(timer));
  if (timedOut) {
    log(`  stopped after ${timeoutS} s`);
    return null;
  }
  const line = stdout.split('\n').filter((l) => l.trim().startsWith('{')).pop();
  if (code !== 0 || line === undefined) {
    log(`  the case failed (exit code ${code})`);
    return null;
  }
  return parseRecord(JSON.parse(line));
}
