import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './cli.js';

describe('ner-train gradcheck through the built CLI', () => {
  it('passes for every case with --json: activation × loss × dropout × preprocess × L2, plus the extras', () => {
    const result = run(['gradcheck', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.passed).toBe(true);
    expect(report.max_rel_error).toBeLessThan(1e-6);
    type Check = { activation: string; loss: string | null; dropout: boolean; input_dropout?: boolean; preprocess: string; regularization: string; corruption: string; task: string; o_weight: number };
    const key = (c: Check): string => `${c.activation}/${c.loss}/${c.dropout}/${c.input_dropout === true}/${c.preprocess}/${c.regularization}/${c.corruption}/${c.task}/${c.o_weight}`;
    const cases = new Set(report.checks.map(key));
    // 6 activations × (3 losses × 2 dropout × 2 preprocess × 2 L2 + 7 extra cases + 2 O-weighted + 4 sentence-level cases + 4 with input dropout)
    expect(cases.size).toBe(6 * (24 + 7 + 2 + 4 + 4));
    const learned = report.checks.filter((c: { loss: string | null }) => c.loss === 'sentence-margin' || c.loss === 'sentence-log-likelihood');
    expect(new Set(learned.map((c: { param: string }) => c.param))).toEqual(
      new Set(['W', 'b', 'U', 'c', 'E.word', 'E.caps', 'E.suffix', 'E.prefix', 'A.start', 'A.trans']),
    );
    const params = new Set(report.checks.map((c: { param: string }) => c.param));
    expect([...params].sort()).toEqual(['A.start', 'A.trans', 'E.caps', 'E.prefix', 'E.suffix', 'E.word', 'U', 'W', 'b', 'c']);
    // Every case checks the affix tables, not only some.
    for (const c of report.checks.filter((x: { param: string }) => x.param === 'W')) {
      const mine = report.checks.filter((x: Check) => key(x) === key(c)).map((x: { param: string }) => x.param);
      expect(mine).toEqual(expect.arrayContaining(['E.suffix', 'E.prefix']));
    }
  });

  it('prints a table for people and takes its sizes from a config', () => {
    const result = run(['gradcheck', '--config', 'configs/default.yaml']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('hardtanh / max-margin');
    expect(result.stdout).toContain('passed');
  });
});

describe('init-config', () => {
  it('prints a complete config that trains once data.train is set', () => {
    const printed = run(['init-config']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain('activation:');
    const dir = tempDir();
    const file = join(dir, 'my.yaml');
    writeFileSync(file, printed.stdout);
    const root = join(import.meta.dirname, '../..');
    const result = run([
      'train', '--config', file, '--json',
      '--set', `data.train=${join(root, 'data/train.txt')}`, '--set', `data.dev=${join(root, 'data/dev.txt')}`,
      '--set', 'training.epochs=2', '--set', 'model.hidden=20', '--set', 'optimizer.lr=0.1', '--out', join(dir, 'run'),
    ]);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.epochs).toHaveLength(2);
    expect(summary.best.f1).toBeGreaterThan(0);
  });
});
