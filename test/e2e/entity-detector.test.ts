import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './cli.js';

describe('configs/entity-detector.yaml: the notes\' single-score detector, end to end', () => {
  let out: string;
  let summary: { best_epoch: number; best: { f1: number; ranking_accuracy: number; threshold: number } };
  beforeAll(() => {
    out = join(tempDir(), 'run');
    const result = run(['train', '--config', 'configs/entity-detector.yaml', '--json', '--out', out, '--set', 'training.epochs=4']);
    expect(result.status, result.stderr).toBe(0);
    summary = JSON.parse(result.stdout);
  });

  it('trains one score that ranks entity windows above non-entity windows', () => {
    const meta = JSON.parse(readFileSync(join(out, 'model-best/meta.json'), 'utf8'));
    expect(meta.task).toBe('entity-detector');
    expect(meta.model.labels).toBe(1);
    expect(meta.labels).toEqual(['ENTITY']);
    expect(meta.detector.threshold).toBe(summary.best.threshold);
    expect(summary.best.ranking_accuracy).toBeGreaterThan(0.95);
    // Calling every word an entity scores 2p/(1+p) with p the share of entity words (about 0.25 here): far below.
    expect(summary.best.f1).toBeGreaterThan(0.9);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.every((m) => typeof m.dev_ranking_accuracy === 'number' && typeof m.dev_threshold === 'number' && m.dev_accuracy === null)).toBe(true);
  });

  it('evaluate --json reproduces the dev scores of training at the stored threshold', () => {
    const result = run(['evaluate', '-m', join(out, 'model-best'), '-d', 'data/dev.txt', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const scores = JSON.parse(result.stdout);
    expect(scores.task).toBe('entity-detector');
    expect(scores.threshold).toBe(summary.best.threshold);
    expect(scores.f1).toBeCloseTo(summary.best.f1, 12);
    expect(scores.ranking_accuracy).toBeCloseTo(summary.best.ranking_accuracy, 12);
    expect(scores.best_threshold_here).toBe(summary.best.threshold);
    expect(scores.entity_words).toBe(
      readFileSync('data/dev.txt', 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.endsWith(' O') && !l.startsWith('-DOCSTART-')).length,
    );
  });

  it('predict tags words above the threshold as ENTITY chunks, and --json carries the scores', () => {
    const input = 'Ada Lovelace visited the Bank of Ostrava on Monday .\n';
    const text = run(['predict', '-m', join(out, 'model-best')], { input });
    expect(text.status, text.stderr).toBe(0);
    const tags = text.stdout.trim().split('\n').map((l) => l.split(' ')[1]);
    expect(tags).toHaveLength(10);
    expect(tags.every((t) => t === 'O' || t === 'B-ENTITY' || t === 'I-ENTITY')).toBe(true);
    const json = run(['predict', '-m', join(out, 'model-best'), '--json'], { input });
    const sentence = JSON.parse(json.stdout);
    expect(sentence.scores).toHaveLength(10);
    sentence.scores.forEach((s: number, i: number) => expect(sentence.tags[i] !== 'O').toBe(s > summary.best.threshold));
  });
});
