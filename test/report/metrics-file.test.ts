import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { bestEpoch, parseMetrics, readMetrics } from '../../src/report/metrics-file.js';

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ epoch: 1, step: 10, loss: 0.5, penalty: 0, lr: 0.1, dev_precision: 0.8, dev_recall: 0.7, dev_f1: 0.75, dev_accuracy: 0.9, best: true, tokens_per_s: 1000, epoch_s: 1, elapsed_s: 1, ...fields });

/** The message of the UserError `fn` throws (and that it is one). */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected a UserError');
}

describe('parseMetrics', () => {
  it('reads what the trainer writes, skipping blank lines', () => {
    const text = `${line({})}\n\n${line({ epoch: 2, loss: 0.25, best: false, dev_f1: 0.7 })}\n`;
    const lines = parseMetrics(text, 'm.jsonl');
    expect(lines.map((l) => [l.epoch, l.loss, l.dev_f1, l.best])).toEqual([
      [1, 0.5, 0.75, true],
      [2, 0.25, 0.7, false],
    ]);
    expect(bestEpoch(lines)?.epoch).toBe(1);
  });

  it('accepts runs without dev data and older lines without penalty or timings', () => {
    const text = JSON.stringify({ epoch: 1, loss: 0.3, lr: 0.05, dev_precision: null, dev_recall: null, dev_f1: null }) + '\n';
    const [l] = parseMetrics(text, 'm.jsonl');
    expect(l).toMatchObject({ epoch: 1, penalty: null, dev_f1: null, tokens_per_s: null, elapsed_s: null, best: false });
  });

  it('names file and line of a damaged line', () => {
    expect(userError(() => parseMetrics(`${line({})}\n{"epoch": 2, "loss": 0.1,`, 'run/metrics.jsonl'))).toMatch(/^run\/metrics\.jsonl:2: not a JSON object \(/);
    expect(userError(() => parseMetrics(`${line({})}\n[1, 2]\n`, 'm'))).toBe('m:2: expected a JSON object, got a list');
    expect(userError(() => parseMetrics(line({ loss: 'high' }), 'm'))).toBe('m:1: "loss" must be a number, got "high"');
    expect(userError(() => parseMetrics(JSON.stringify({ epoch: 1, loss: 1 }), 'm'))).toBe('m:1: "lr" must be a number, got nothing');
    expect(userError(() => parseMetrics(line({ dev_f1: '0.9' }), 'm'))).toBe('m:1: "dev_f1" must be a number or null, got "0.9"');
    expect(userError(() => parseMetrics(line({ best: 'yes' }), 'm'))).toBe('m:1: "best" must be true or false, got "yes"');
    expect(userError(() => parseMetrics(line({ epoch: 0 }), 'm'))).toBe('m:1: "epoch" must be a whole number from 1, got 0');
    expect(userError(() => parseMetrics(`${line({ epoch: 2 })}\n${line({ epoch: 2 })}`, 'm'))).toBe('m:2: epoch 2 after epoch 2: epochs must increase');
    expect(userError(() => parseMetrics('\n\n', 'm'))).toMatch(/^m: no epochs recorded/);
  });

  it('a missing file is a UserError that says what the folder lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ner-train-metrics-'));
    await expect(readMetrics(join(dir, 'metrics.jsonl'))).rejects.toThrow(/metrics\.jsonl: no such file; not a training run folder/);
    writeFileSync(join(dir, 'metrics.jsonl'), line({}));
    expect((await readMetrics(join(dir, 'metrics.jsonl'))).length).toBe(1);
  });
});
