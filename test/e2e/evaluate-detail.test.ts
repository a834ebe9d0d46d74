import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GroupScore } from '../../src/eval/oov.js';
import { run, tempDir } from './cli.js';


interface TaggerScores {
  task: string;
  accuracy: number;
  tokens: number;
  gold_entities: number;
  predicted_entities: number;
  correct_entities: number;
  confusion: { labels: string[]; matrix: number[][] };
  oov: { in_vocabulary: GroupScore; out_of_vocabulary: GroupScore };
}

/** A short training of the shipped default config: the checks below are about bookkeeping, not quality. */
let checkpoint = '';
let scores: TaggerScores;

beforeAll(() => {
  const out = join(tempDir(), 'run');
  const trained = run(['train', '--config', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=2']);
  expect(trained.stderr).not.toContain('internal error');
  expect(trained.status).toBe(0);
  checkpoint = join(out, 'model-best');
  const result = run(['evaluate', '--checkpoint', checkpoint, '--data', 'data/dev.txt', '--json']);
  expect(result.status).toBe(0);
  scores = JSON.parse(result.stdout) as TaggerScores;
});

describe('evaluate: confusion matrix and OOV / IV split', () => {
  it('the confusion matrix counts every token once, and its diagonal is the token accuracy', () => {
    expect(scores.task).toBe('tagger');
    const { labels, matrix } = scores.confusion;
    expect(labels[0]).toBe('O');
    expect(matrix).toHaveLength(labels.length);
    for (const row of matrix) expect(row).toHaveLength(labels.length);
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    const diagonal = matrix.reduce((sum, row, i) => sum + row[i], 0);
    expect(total).toBe(scores.tokens);
    expect(total).toBe(2422);
    expect(diagonal / total).toBeCloseTo(scores.accuracy, 12);
  });

  it('in- and out-of-vocabulary entity counts add up to the overall ones', () => {
    const { in_vocabulary: iv, out_of_vocabulary: oov } = scores.oov;
    expect(iv.gold_entities + oov.gold_entities).toBe(scores.gold_entities);
    expect(iv.predicted_entities + oov.predicted_entities).toBe(scores.predicted_entities);
    expect(iv.correct_entities + oov.correct_entities).toBe(scores.correct_entities);
    for (const g of [iv, oov]) {
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expect(g[key]).toBeGreaterThanOrEqual(0);
        expect(g[key]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the human output shows the OOV table and the confusion matrix', () => {
    const result = run(['evaluate', '--checkpoint', checkpoint, '--data', 'data/dev.txt']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^group\s+precision\s+recall\s+F1\s+support$/m);
    expect(result.stdout).toMatch(/^in vocabulary\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+$/m);
    expect(result.stdout).toMatch(/^out of vocabulary\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+$/m);
    expect(result.stdout).toContain('rows: gold tag, columns: predicted tag');
    expect(result.stdout).toMatch(/^gold \\ predicted\s+O\s+B-/m);
  });

  it('--help describes the new JSON fields', () => {
    const help = run(['evaluate', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('"confusion"');
    expect(help.stdout).toContain('"out_of_vocabulary"');
  });
});
