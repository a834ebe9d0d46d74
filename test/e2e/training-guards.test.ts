import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STACK_LINE, tempDir } from './cli.js';

const readMetrics = (dir: string): { epoch: number; lr: number; dev_f1: number; penalty: number }[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('schedules, penalties and the divergence guard through the CLI', () => {
  it('metrics.jsonl logs the scheduled learning rate of each epoch', () => {
    const out = join(tempDir(), 'run');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=3',
      '--set', 'schedule.name=step', '--set', 'schedule.every=1', '--set', 'schedule.factor=0.5']);
    expect(result.status, result.stderr).toBe(0);
    expect(readMetrics(out).map((m) => m.lr)).toEqual([0.05, 0.025, 0.0125]);
  });

  it('metrics.jsonl logs the mean weight penalty, 0 without regularisation', () => {
    const out = join(tempDir(), 'run');
    expect(run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=1', '--set', 'regularization.l2=0.001']).status).toBe(0);
    const [withL2] = readMetrics(out);
    expect(withL2.penalty).toBeGreaterThan(0);
    const plain = join(tempDir(), 'run');
    expect(run(['train', '-c', 'configs/default.yaml', '--out', plain, '--set', 'training.epochs=1']).status).toBe(0);
    expect(readMetrics(plain)[0].penalty).toBe(0);
  });

  it('a loss that leaves the reals stops the run with the step, exit 1, and the last good checkpoints intact', () => {
    const out = join(tempDir(), 'run');
    // Epoch 1 trains normally; the step schedule then multiplies the rate by 1e30.
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=3', '--set', 'model.activation=relu',
      '--set', 'schedule.name=step', '--set', 'schedule.every=1', '--set', 'schedule.factor=1e30']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/training diverged at epoch 2, step \d+ \(global step \d+\): the loss is (NaN|Infinity)/);
    expect(result.stderr).toContain('model-last (end of epoch 1)');
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(readMetrics(out)).toHaveLength(1);
    const meta = JSON.parse(readFileSync(join(out, 'model-last/meta.json'), 'utf8'));
    expect(meta.epoch).toBe(1);
    expect(existsSync(join(out, 'model-best/model.safetensors'))).toBe(true);
    const evaluated = run(['evaluate', '-m', join(out, 'model-best'), '-d', 'data/dev.txt', '--json']);
    expect(evaluated.status).toBe(0);
    expect(JSON.parse(evaluated.stdout).f1).toBeCloseTo(readMetrics(out)[0].dev_f1, 12);
  });

  it('a whitened model is evaluated with the map fitted in training: evaluate reproduces the dev F1', () => {
    const out = join(tempDir(), 'run');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=2', '--set', 'preprocess.mode=whiten', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'model-best/meta.json'), 'utf8'));
    expect(meta.preprocess).toEqual({ mode: 'whiten', eps: 0.01 });
    const evaluated = JSON.parse(run(['evaluate', '-m', join(out, 'model-best'), '-d', 'data/dev.txt', '--json']).stdout);
    expect(evaluated.f1).toBe(JSON.parse(result.stdout).best.f1);
  });

  it('combinations without meaning are config errors naming the key', () => {
    const softmax = run(['train', '-c', 'configs/default.yaml', '--set', 'objective.loss=softmax', '--set', 'objective.corruption=both']);
    expect(softmax.status).toBe(2);
    expect(softmax.stderr).toContain('objective.corruption');
    expect(softmax.stderr).toContain('needs objective.loss: max-margin');
    const detector = run(['train', '-c', 'configs/entity-detector.yaml', '--set', 'objective.loss=softmax']);
    expect(detector.status).toBe(2);
    expect(detector.stderr).toContain('objective.loss');
    expect(detector.stderr).not.toMatch(STACK_LINE);
  });
});
