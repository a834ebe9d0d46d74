import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, run, tempDir } from './cli.js';

/**
 * training.threads and NER_TRAIN_THREADS: the math core's second thread changes nothing
 * but the speed. Two trainings that differ only in training.threads write the same
 * metrics and bitwise the same weights; evaluating with NER_TRAIN_THREADS=2 gives the
 * same scores as with one thread.
 */

const strip = (dir: string): unknown[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => {
    const { tokens_per_s: _t, epoch_s: _e, elapsed_s: _s, ...rest } = JSON.parse(line);
    return rest;
  });

function evaluate(checkpoint: string, threads: string): Record<string, unknown> {
  const result = spawnSync(process.execPath, [BIN, 'evaluate', '--checkpoint', checkpoint, '--data', 'data/dev.txt', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1', NER_TRAIN_THREADS: threads },
  });
  expect(result.stderr).not.toContain('internal error');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
}

describe('threads', () => {
  it('training.threads = 2 trains bitwise like 1 thread, and evaluate scores the same with NER_TRAIN_THREADS = 1 or 2', () => {
    const dirs = [join(tempDir(), 'one'), join(tempDir(), 'two')];
    for (const [i, threads] of [1, 2].entries()) {
      const result = run([
        'train', '-c', 'configs/default.yaml', '--out', dirs[i],
        // Products large enough to be split across the threads; dropout to cover the mask.
        '--set', 'training.epochs=2', '--set', 'training.batch_size=64', '--set', 'model.hidden=200', '--set', 'model.dropout=0.3',
        '--set', `training.threads=${threads}`,
      ]);
      expect(result.stderr).not.toContain('internal error');
      expect(result.status).toBe(0);
    }
    expect(strip(dirs[1])).toEqual(strip(dirs[0]));
    expect(readFileSync(join(dirs[1], 'model-last/model.safetensors'))).toEqual(readFileSync(join(dirs[0], 'model-last/model.safetensors')));
    const checkpoint = join(dirs[0], 'model-last');
    expect(evaluate(checkpoint, '2')).toEqual(evaluate(checkpoint, '1'));
  });
});
