import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './cli.js';

describe('optimizer.average', () => {
  it('dev is scored on the averaged weights and those are the ones saved: evaluate reproduces each epoch', () => {
    const out = join(tempDir(), 'run');
    const trained = run(['train', '--config', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=2', '--set', 'optimizer.average=0.995']);
    expect(trained.stderr).not.toContain('internal error');
    expect(trained.status).toBe(0);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dev_f1: number; best: boolean });
    const last = run(['evaluate', '--checkpoint', join(out, 'model-last'), '--data', 'data/dev.txt', '--json']);
    expect(last.status).toBe(0);
    expect(JSON.parse(last.stdout).f1).toBe(metrics[1].dev_f1);
    const plain = run(['train', '--config', 'configs/default.yaml', '--out', join(tempDir(), 'run'), '--json', '--set', 'training.epochs=2']);
    expect(plain.status).toBe(0);
    // Same seed, same steps: only the averaging differs, and it shows in the scores.
    const plainF1 = (JSON.parse(plain.stdout) as { epochs: { dev_f1: number }[] }).epochs.map((e) => e.dev_f1);
    expect(plainF1).not.toEqual(metrics.map((m) => m.dev_f1));
  });
});
