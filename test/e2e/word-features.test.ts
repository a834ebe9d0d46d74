import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './cli.js';

/** The default config with both affix features and word dropout, trained once for the checks below. */
const SETS = ['--set', 'features.suffix.length=3', '--set', 'features.prefix.length=2', '--set', 'features.word_dropout=0.1'];
let out = '';
let stderr = '';
let metrics: Record<string, number | boolean | null>[] = [];

beforeAll(() => {
  out = join(tempDir(), 'run');
  const result = run(['train', '-c', 'configs/default.yaml', ...SETS, '--out', out]);
  stderr = result.stderr;
  expect(result.stderr).not.toContain('internal error');
  expect(result.status).toBe(0);
  metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
});

describe('train with suffix and prefix features and word dropout', () => {
  it('learns: dev F1 well above 0.5', () => {
    expect(metrics).toHaveLength(15);
    expect(Math.max(...metrics.map((m) => Number(m.dev_f1)))).toBeGreaterThan(0.5);
  });

  it('writes the affix vocabularies into both checkpoints and records them in meta.json', () => {
    for (const dir of ['model-best', 'model-last']) {
      for (const file of ['suffix.txt', 'prefix.txt', 'vocab.txt']) expect(existsSync(join(out, dir, file)), `${dir}/${file}`).toBe(true);
      const meta = JSON.parse(readFileSync(join(out, dir, 'meta.json'), 'utf8'));
      expect(meta.affixes.suffix).toMatchObject({ length: 3, file: 'suffix.txt' });
      expect(meta.affixes.prefix).toMatchObject({ length: 2, file: 'prefix.txt' });
      expect(meta.model.suffixRows).toBe(meta.affixes.suffix.size);
      expect(meta.model.prefixRows).toBe(meta.affixes.prefix.size);
      expect([meta.model.suffixDim, meta.model.prefixDim]).toEqual([10, 10]);
      const suffixes = readFileSync(join(out, dir, 'suffix.txt'), 'utf8').split('\n');
      expect(suffixes.slice(0, 2)).toEqual(['<UNK>', '<PAD>']);
      expect(suffixes.length - 1).toBe(meta.affixes.suffix.size);
    }
  });

  it('evaluate reproduces the best dev F1 of metrics.jsonl', () => {
    const result = run(['evaluate', '--checkpoint', join(out, 'model-best'), '--data', 'data/dev.txt', '--json']);
    expect(result.status).toBe(0);
    const scores = JSON.parse(result.stdout);
    const best = metrics.find((m) => m.best === true && metrics.every((o) => Number(o.dev_f1) <= Number(m.dev_f1)));
    expect(scores.f1).toBe(best?.dev_f1);
  });

  it('predict tags words it never saw, with the checkpoint\'s affix vocabularies', () => {
    const result = run(['predict', '-m', join(out, 'model-best'), '--json'], { input: 'Quarnovsky flew to Vestrabourg on Monday .\n' });
    expect(result.status).toBe(0);
    const parsed = JSON.parse(result.stdout.trim());
    expect(parsed.tags).toHaveLength(7);
  });

  it('reports at load time how train and dev tokens found their pretrained vectors', () => {
    expect(stderr).toMatch(/pretrained vectors, train tokens: \d+\.\d\d% exact, \d+\.\d\d% lowercased, \d+\.\d\d% digits→0, \d+\.\d\d% none/);
    expect(stderr).toMatch(/pretrained vectors, dev tokens: /);
  });
});

describe('word dropout with learned transitions (whole sentences per step)', () => {
  it('trains and evaluates to the dev F1 it reported', () => {
    const dir = join(tempDir(), 'run');
    const result = run(['train', '-c', 'configs/default.yaml', ...SETS, '--set', 'decode.mode=learned', '--set', 'training.epochs=4', '--out', dir, '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.best.f1).toBeGreaterThan(0.5);
    const evaluated = JSON.parse(run(['evaluate', '-m', join(dir, 'model-best'), '-d', 'data/dev.txt', '--json']).stdout);
    expect(evaluated.f1).toBe(summary.best.f1);
  });
});

describe('the lookup chain in train --json', () => {
  it('puts token and distinct-word shares of every step into the data summary', () => {
    const result = run(['train', '-c', 'configs/default.yaml', '--set', 'training.epochs=1', '--out', join(tempDir(), 'run'), '--json']);
    expect(result.status).toBe(0);
    const { coverage } = JSON.parse(result.stdout).data.embeddings;
    for (const split of [coverage.train, coverage.dev]) {
      const { exact, lowercase, digits, unknown, tokens, words } = split;
      expect(exact + lowercase + digits + unknown).toBeCloseTo(1, 12);
      expect(tokens).toBeCloseTo(1 - unknown, 12);
      expect(words.exact + words.lowercase + words.digits + words.unknown).toBeCloseTo(1, 12);
      // The shipped corpus has capitalised words and numbers: every step is used.
      for (const share of [exact, lowercase, digits]) expect(share).toBeGreaterThan(0);
    }
  });
});
