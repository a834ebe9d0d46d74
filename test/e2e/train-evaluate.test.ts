import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreEntities } from '../../src/eval/metrics.js';
import { run, start, tempDir } from './cli.js';

/** One training of the shipped default config, shared by the checks below. */
let out = '';
let metrics: Record<string, number | boolean | null>[] = [];

beforeAll(() => {
  out = join(tempDir(), 'run');
  const result = run(['train', '--config', 'configs/default.yaml', '--out', out]);
  expect(result.stderr).not.toContain('internal error');
  expect(result.status).toBe(0);
  metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
});

describe('train on the shipped default data', () => {
  it('writes both checkpoints and one metrics line per epoch', () => {
    for (const dir of ['model-best', 'model-last']) {
      for (const file of ['model.safetensors', 'meta.json', 'vocab.txt']) expect(existsSync(join(out, dir, file))).toBe(true);
    }
    expect(metrics.length).toBeGreaterThan(1);
    for (const [i, m] of metrics.entries()) {
      expect(m.epoch).toBe(i + 1);
      for (const key of ['loss', 'lr', 'dev_precision', 'dev_recall', 'dev_f1', 'tokens_per_s', 'elapsed_s']) expect(typeof m[key]).toBe('number');
    }
  });

  it('learns: the best dev F1 is far above chance', () => {
    const best = Math.max(...metrics.map((m) => Number(m.dev_f1)));
    expect(best).toBeGreaterThan(0.9);
    expect(Number(metrics[metrics.length - 1].loss)).toBeLessThan(Number(metrics[0].loss));
  });

  it('evaluate --json reproduces the best dev F1 of metrics.jsonl', () => {
    const result = run(['evaluate', '--checkpoint', join(out, 'model-best'), '--data', 'data/dev.txt', '--json']);
    expect(result.status).toBe(0);
    const scores = JSON.parse(result.stdout);
    for (const key of ['precision', 'recall', 'f1', 'accuracy']) {
      expect(scores[key]).toBeGreaterThanOrEqual(0);
      expect(scores[key]).toBeLessThanOrEqual(1);
    }
    expect(scores.sentences).toBe(200);
    expect(Object.keys(scores.per_type).sort()).toEqual(['LOC', 'MISC', 'ORG', 'PER']);
    for (const type of Object.values(scores.per_type) as Record<string, number>[]) {
      expect(Object.keys(type).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
    }
    const best = metrics.find((m) => m.best === true && metrics.every((o) => Number(o.dev_f1) <= Number(m.dev_f1)));
    expect(scores.f1).toBe(best?.dev_f1);
  });

  it('--write-predictions writes `token gold predicted` lines that score the same', () => {
    const file = join(tempDir(), 'pred.txt');
    const result = run(['evaluate', '-m', join(out, 'model-best'), '-d', 'data/dev.txt', '--json', '--write-predictions', file]);
    expect(result.status).toBe(0);
    const reported = JSON.parse(result.stdout);
    const blocks = readFileSync(file, 'utf8').split('\n\n').filter((b) => b.trim() !== '');
    expect(blocks.length).toBe(200);
    const gold: string[][] = [];
    const predicted: string[][] = [];
    for (const block of blocks) {
      const rows = block.trim().split('\n').map((line) => line.split(' '));
      for (const row of rows) expect(row.length).toBe(3);
      gold.push(rows.map((r) => r[1]));
      predicted.push(rows.map((r) => r[2]));
    }
    const rescored = scoreEntities(gold, predicted, 'iob2');
    expect(rescored.f1).toBeCloseTo(reported.f1, 12);
    expect(rescored.accuracy).toBeCloseTo(reported.accuracy, 12);
  });

  it('predict tags text from stdin, CoNLL files, and emits JSON', () => {
    const text = run(['predict', '--checkpoint', join(out, 'model-best')], { input: 'Bank of Ostrava said on Monday .\n\nIt rained .\n' });
    expect(text.status).toBe(0);
    const sentences = text.stdout.trim().split('\n\n');
    expect(sentences.length).toBe(2);
    expect(sentences[0].split('\n').map((l) => l.split(' ')[0])).toEqual(['Bank', 'of', 'Ostrava', 'said', 'on', 'Monday', '.']);
    for (const line of text.stdout.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^\S+ (O|[BI]-\S+)$/);

    const json = run(['predict', '-m', join(out, 'model-best'), '--json'], { input: 'Messarko Dirzolov visited Ostrava .\n' });
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout.trim());
    expect(parsed.tokens).toHaveLength(5);
    expect(parsed.tags).toHaveLength(5);
    expect(Array.isArray(parsed.entities)).toBe(true);

    const conll = run(['predict', '-m', join(out, 'model-best'), '--format', 'conll', '--input', 'data/dev.txt']);
    expect(conll.status).toBe(0);
    const lines = conll.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('-DOCSTART-'));
    expect(lines.length).toBe(2422);
    for (const line of lines.slice(0, 50)) expect(line.split(' ')).toHaveLength(3);
  });

  it('predict stops quietly when its reader goes away (`| head`)', async () => {
    const child = start(['predict', '-m', join(out, 'model-best')]);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Like `head -1`: read the first chunk, then close our end of the pipe.
    child.stdout?.once('data', () => child.stdout?.destroy());
    child.stdin?.on('error', () => undefined);
    child.stdin?.write('Ostrava beat Kevish 2 - 1 .\n'.repeat(50_000));
    child.stdin?.end();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('refuses to overwrite a finished run unless --force', () => {
    const again = run(['train', '--config', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=1']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already holds a training run');
    expect(again.stderr).toContain('--force');
  });
});

describe('determinism', () => {
  it('the same config and seed give identical metrics.jsonl apart from timings', () => {
    const dirs = [join(tempDir(), 'a'), join(tempDir(), 'b')];
    for (const dir of dirs) expect(run(['train', '-c', 'configs/default.yaml', '--out', dir, '--set', 'training.epochs=3', '--set', 'model.dropout=0.3']).status).toBe(0);
    const strip = (dir: string): unknown[] =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => {
        const { tokens_per_s: _t, epoch_s: _e, elapsed_s: _s, ...rest } = JSON.parse(line);
        return rest;
      });
    expect(strip(dirs[0])).toEqual(strip(dirs[1]));
    expect(readFileSync(join(dirs[0], 'model-last/model.safetensors'))).toEqual(readFileSync(join(dirs[1], 'model-last/model.safetensors')));
  });
});
