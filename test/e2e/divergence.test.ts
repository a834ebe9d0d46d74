import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STACK_LINE, tempDir } from './cli.js';

describe('a loss that leaves the reals', () => {
  it('stops with the epoch and step, keeps the last good checkpoints loadable, and a resume meets the same step again', () => {
    const out = join(tempDir(), 'run');
    // Epoch 1 trains normally; the step schedule then multiplies the rate by 1e30.
    const args = ['--set', 'training.epochs=3', '--set', 'model.activation=relu', '--set', 'schedule.name=step', '--set', 'schedule.every=1', '--set', 'schedule.factor=1e30'];
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, ...args]);
    expect(result.status).toBe(1);
    const where = /training diverged at epoch 2, step (\d+) \(global step (\d+)\): the loss is (NaN|Infinity|-Infinity)/.exec(result.stderr);
    expect(where, result.stderr).not.toBeNull();
    expect(result.stderr).toContain(`${join(out, 'model-last')} (end of epoch 1) and ${join(out, 'model-best')} are the last good checkpoints`);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(join(out, '.lock'))).toBe(false);

    // Both checkpoints load and verify, and hold the weights of epoch 1.
    const lastBytes = readFileSync(join(out, 'model-last/model.safetensors'));
    for (const dir of ['model-last', 'model-best']) {
      const evaluated = run(['evaluate', '-m', join(out, dir), '-d', 'data/dev.txt', '--json']);
      expect(evaluated.status, evaluated.stderr).toBe(0);
      expect(JSON.parse(evaluated.stdout).f1).toBeGreaterThan(0.5);
    }
    expect(JSON.parse(readFileSync(join(out, 'model-last/meta.json'), 'utf8')).epoch).toBe(1);

    // The run is deterministic: continuing from model-last diverges at the very same step,
    // and leaves model-last as it was.
    const again = run(['train', '--resume', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('resuming');
    expect(again.stderr).toContain(`training diverged at epoch 2, step ${where?.[1]} (global step ${where?.[2]})`);
    expect(again.stderr).toContain(`${join(out, 'model-last')} (end of epoch 1)`);
    expect(readFileSync(join(out, 'model-last/model.safetensors')).equals(lastBytes)).toBe(true);
  });
});
