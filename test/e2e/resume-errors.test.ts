import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, STACK_LINE, tempDir } from './cli.js';

/** Every refusal of --resume is one clear line (and a hint), exit 2, no stack, nothing written. */
function expectRefused(args: string[], message: string | RegExp): void {
  const result = run(args);
  expect(result.status, result.stderr).toBe(2);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

describe('ner-train train --resume: what it refuses', () => {
  let finished = '';
  beforeAll(() => {
    finished = join(tempDir(), 'run');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', finished, '--set', 'training.epochs=1']);
    expect(result.status, result.stderr).toBe(0);
  });

  /** A copy of the finished run to damage. */
  function copyOfRun(): string {
    const copy = join(tempDir(), 'run');
    cpSync(finished, copy, { recursive: true });
    return copy;
  }

  it('a folder that does not exist, or holds no model-last', () => {
    expectRefused(['train', '--resume', join(tempDir(), 'nothing-here')], /nothing-here: no such folder/);
    const empty = tempDir();
    expectRefused(['train', '--resume', empty], `${join(empty, 'model-last')}: no checkpoint to resume from`);
  });

  it('a model-last without training state (written before --resume existed)', () => {
    const run = copyOfRun();
    rmSync(join(run, 'model-last/training-state.json'));
    expectRefused(['train', '--resume', run], 'has no training state, so the run cannot be resumed');
  });

  it('a damaged training state: bad JSON, changed tensors, tensors that belong to other weights', () => {
    const badJson = copyOfRun();
    writeFileSync(join(badJson, 'model-last/training-state.json'), '{"format": "ner-train-training-state", ');
    expectRefused(['train', '--resume', badJson, '--set', 'training.epochs=2'], 'training-state.json: not valid JSON (the training state is damaged)');

    const flipped = copyOfRun();
    const tensors = join(flipped, 'model-last/training-state.safetensors');
    const bytes = readFileSync(tensors);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(tensors, bytes);
    expectRefused(['train', '--resume', flipped, '--set', 'training.epochs=2'], 'training-state.safetensors: does not match the sha256 recorded in training-state.json');

    // Another run's model-last with this run's training state beside it: the state names other weights.
    const other = join(tempDir(), 'other');
    expect(run(['train', '-c', 'configs/default.yaml', '--out', other, '--set', 'training.epochs=1', '--set', 'seed=2']).status).toBe(0);
    for (const name of ['training-state.json', 'training-state.safetensors']) cpSync(join(finished, 'model-last', name), join(other, 'model-last', name));
    expectRefused(['train', '--resume', other, '--set', 'training.epochs=2'], 'belongs to other weights than the model.safetensors beside it');

    const fields = copyOfRun();
    const statePath = join(fields, 'model-last/training-state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    state.rng = [1, 2, 3];
    writeFileSync(statePath, JSON.stringify(state));
    expectRefused(['train', '--resume', fields, '--set', 'training.epochs=2'], "'rng' needs 4 unsigned 32-bit words");
  });

  it('damaged weights are caught by the checkpoint check before anything is restored', () => {
    const damaged = copyOfRun();
    const weights = join(damaged, 'model-last/model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 5] ^= 0x01;
    writeFileSync(weights, bytes);
    expectRefused(['train', '--resume', damaged, '--set', 'training.epochs=2'], 'the weights do not match the sha256 recorded in meta.json');
  });

  it('flags that would make it another run: --config, --out, --force, and --set of other keys', () => {
    expectRefused(['train', '--resume', finished, '--config', 'configs/default.yaml'], '--resume cannot be combined with --config');
    expectRefused(['train', '--resume', finished, '--out', tempDir(), '--force'], '--resume cannot be combined with --out, --force');
    expectRefused(['train', '--resume', finished, '--set', 'model.hidden=7', '--set', 'training.epochs=3'], '--set model.hidden: cannot be changed when resuming a run');
    expectRefused(['train', '--resume', finished, '--set', 'training.epochs=0'], /--set training\.epochs/);
    expectRefused(['train'], 'train needs --config FILE (or --resume RUN-DIR)');
  });

  it('training data that changed since the run started', () => {
    const folder = tempDir();
    const data = join(folder, 'train.txt');
    const lines = readFileSync(join(ROOT, 'data/train.txt'), 'utf8').split('\n');
    writeFileSync(data, lines.join('\n'));
    const changed = join(folder, 'run');
    expect(run(['train', '-c', 'configs/default.yaml', '--out', changed, '--set', 'training.epochs=1', '--set', `data.train=${data}`]).status).toBe(0);
    const metrics = readFileSync(join(changed, 'metrics.jsonl'), 'utf8');
    writeFileSync(data, lines.slice(0, Math.floor(lines.length / 2)).join('\n'));
    expectRefused(['train', '--resume', changed, '--set', 'training.epochs=2'], /changed since the run started, so it cannot be continued/);
    // Refusing wrote nothing: the metrics are those of the original run, and the lock is gone.
    expect(readFileSync(join(changed, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    expect(existsSync(join(changed, '.lock'))).toBe(false);
  });

  it('a run folder that was moved resumes into its new place', () => {
    const moved = join(tempDir(), 'moved');
    mkdirSync(moved);
    cpSync(finished, join(moved, 'run'), { recursive: true });
    const result = run(['train', '--resume', join(moved, 'run'), '--set', 'training.epochs=2', '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).out_dir).toBe(join(moved, 'run'));
    expect(readFileSync(join(moved, 'run/metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // The original is untouched.
    expect(readFileSync(join(finished, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
