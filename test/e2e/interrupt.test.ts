import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, STACK_LINE, start, tempDir } from './cli.js';

/**
 * Stopping a real training process and continuing it: the continued run must end with the
 * same bytes of weights and the same metrics (timings aside) as a run never stopped.
 */

/** Everything that carries state across steps: Adam's moments, the weight average, dropout and word-dropout draws. */
const STATEFUL = [
  '--set', 'training.epochs=5', '--set', 'training.batch_size=4', '--set', 'optimizer.name=adam', '--set', 'optimizer.lr=0.001',
  '--set', 'optimizer.average=0.999', '--set', 'model.dropout=0.2', '--set', 'features.word_dropout=0.1',
];

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** Starts a training and sends each signal once its condition on stderr holds, in order; resolves at its exit. */
function stopTraining(args: string[], when: (stderr: string) => boolean, signals: NodeJS.Signals[], then: (stderr: string) => boolean = () => true): Promise<Stopped> {
  const child = start(args);
  let stderr = '';
  let stdout = '';
  let sent = 0;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    while (sent < signals.length && (sent === 0 ? when(stderr) : then(stderr))) child.kill(signals[sent++]);
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 })));
}

/** `epoch N ` at the start of a line: the end-of-epoch line of epoch N. */
const afterEpoch = (n: number) => (stderr: string) => new RegExp(`^epoch ${n} `, 'm').test(stderr);

const position = (run: string): { epoch: number; step: number; global_step: number } =>
  JSON.parse(readFileSync(join(run, 'model-last/training-state.json'), 'utf8')).position;

const TIMINGS = ['tokens_per_s', 'epoch_s', 'elapsed_s'];
/** metrics.jsonl without its timing fields: everything else is deterministic. */
function metricsWithoutTimings(run: string): object[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    for (const key of TIMINGS) {
      expect(record[key]).toEqual(expect.any(Number));
      delete record[key];
    }
    return record;
  });
}

const bytes = (path: string): Buffer => readFileSync(path);

/** The resume command the CLI printed, as arguments (the temp paths have no spaces). */
function resumeArgs(stderr: string): string[] {
  const match = /^resume with: ner-train (train --resume \S+)$/m.exec(stderr);
  expect(match, stderr).not.toBeNull();
  return (match as RegExpExecArray)[1].split(' ');
}

function expectSameRun(resumed: string, reference: string): void {
  expect(bytes(join(resumed, 'model-last/model.safetensors')).equals(bytes(join(reference, 'model-last/model.safetensors')))).toBe(true);
  expect(bytes(join(resumed, 'model-best/model.safetensors')).equals(bytes(join(reference, 'model-best/model.safetensors')))).toBe(true);
  expect(bytes(join(resumed, 'model-last/training-state.safetensors')).equals(bytes(join(reference, 'model-last/training-state.safetensors')))).toBe(true);
  expect(metricsWithoutTimings(resumed)).toEqual(metricsWithoutTimings(reference));
}

describe('stopping a training and resuming it', () => {
  let reference = '';
  beforeAll(() => {
    reference = join(tempDir(), 'reference');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', reference, ...STATEFUL]);
    expect(result.status, result.stderr).toBe(0);
  });

  it('Ctrl-C mid-epoch: exit 130, the resume command printed; resuming gives bitwise the uninterrupted run', async () => {
    // The stop lands where the run is when the signal arrives; on a starved machine that can be
    // an epoch boundary, so try a few times for a stop inside an epoch.
    let out = '';
    let stopped: Stopped | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      out = join(tempDir(), 'run');
      stopped = await stopTraining(['train', '-c', 'configs/default.yaml', '--out', out, ...STATEFUL], afterEpoch(2), ['SIGINT']);
      expect(stopped.code, stopped.stderr).toBe(130);
      if (position(out).step > 0) break;
    }
    const s = stopped as Stopped;
    expect(s.stderr).toContain('Ctrl-C: finishing this step and saving model-last');
    const at = position(out);
    expect(at.epoch).toBe(3);
    expect(at.step).toBeGreaterThan(0);
    // A mid-epoch model-last is a complete checkpoint too: it evaluates.
    const evaluated = run(['evaluate', '-m', join(out, 'model-last'), '-d', 'data/dev.txt', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(existsSync(join(out, '.lock'))).toBe(false);

    const resumed = run(resumeArgs(s.stderr));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`in epoch 3 after step ${at.step} (global step ${at.global_step})`);
    expectSameRun(out, reference);
  });

  it('SIGTERM: exit 143; with --json stdout is one JSON object naming the resume command', async () => {
    const out = join(tempDir(), 'run');
    const stopped = await stopTraining(['train', '-c', 'configs/default.yaml', '--out', out, ...STATEFUL, '--json'], afterEpoch(1), ['SIGTERM']);
    expect(stopped.code, stopped.stderr).toBe(143);
    const result = JSON.parse(stopped.stdout);
    expect(result.interrupted).toBe(true);
    expect(result.resume_command).toBe(`ner-train train --resume ${out}`);
    expect(stopped.stderr).toContain(`resume with: ${result.resume_command}`);

    const resumed = run([...resumeArgs(stopped.stderr), '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const final = JSON.parse(resumed.stdout);
    expect(final.interrupted).toBe(false);
    expect(final.resumed_from.epoch).toBeGreaterThanOrEqual(2);
    // The result covers the whole run, the epochs before the stop included.
    expect(final.epochs.map((r: { epoch: number }) => r.epoch)).toEqual([1, 2, 3, 4, 5]);
    expectSameRun(out, reference);
  });

  it('a finished run trains longer with --set training.epochs=N, as if it had been started with N', () => {
    const out = join(tempDir(), 'run');
    const short = STATEFUL.map((a) => (a === 'training.epochs=5' ? 'training.epochs=2' : a));
    expect(run(['train', '-c', 'configs/default.yaml', '--out', out, ...short]).status).toBe(0);

    const finished = run(['train', '--resume', out]);
    expect(finished.status).toBe(2);
    expect(finished.stderr).toContain('the run already finished its 2 epochs');
    expect(finished.stderr).toContain('--set training.epochs=N');
    expect(finished.stderr).not.toMatch(STACK_LINE);

    const longer = run(['train', '--resume', out, '--set', 'training.epochs=5']);
    expect(longer.status, longer.stderr).toBe(0);
    expect(longer.stderr).toContain('at the start of epoch 3');
    expectSameRun(out, reference);
  });

  it('a training killed with SIGKILL resumes from its last model-last, taking over the dead lock', async () => {
    const out = join(tempDir(), 'run');
    const killed = await stopTraining(['train', '-c', 'configs/default.yaml', '--out', out, ...STATEFUL], afterEpoch(2), ['SIGKILL']);
    expect(killed.signal).toBe('SIGKILL');
    // Nothing ran after the kill: its lock is still there, naming a pid that is gone.
    expect(JSON.parse(readFileSync(join(out, '.lock'), 'utf8')).pid).toBe(killed.pid);

    const resumed = run(['train', '--resume', out]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`took over the lock of a training that is no longer running (pid ${killed.pid}`);
    expect(existsSync(join(out, '.lock'))).toBe(false);
    expectSameRun(out, reference);
  });

  it('a second Ctrl-C quits at once, and what was already written stays loadable and resumable', async () => {
    const out = join(tempDir(), 'run');
    // The second signal once the first is handled (two signals sent at once may merge into one).
    // A large batch makes the steps slow, so the run is still finishing its step when it comes.
    const stopped = await stopTraining(
      ['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=500', '--set', 'training.batch_size=1024', '--set', 'model.hidden=400'],
      afterEpoch(1),
      ['SIGINT', 'SIGINT'],
      (stderr) => stderr.includes('finishing this step'),
    );
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain('stopping now');
    expect(stopped.stderr).toMatch(/^resume with: ner-train train --resume /m);
    expect(existsSync(join(out, '.lock'))).toBe(false);
    const evaluated = run(['evaluate', '-m', join(out, 'model-last'), '-d', 'data/dev.txt', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).f1).toBeGreaterThan(0.5);
    const done = JSON.parse(readFileSync(join(out, 'model-last/meta.json'), 'utf8')).epoch as number;
    const resumed = run(['train', '--resume', out, '--set', `training.epochs=${done + 1}`]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(done + 1);
  });
});
