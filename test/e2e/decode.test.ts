import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { run, STACK_LINE, tempDir } from './cli.js';

const evaluateJson = (args: string[]): { f1: number; decode: string } => {
  const result = run(['evaluate', '-d', 'data/dev.txt', '--json', ...args]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

describe('learned transitions and Viterbi decoding through the CLI', () => {
  let learned: string;
  let greedy: string;
  let learnedSummary: { best: { f1: number } };
  beforeAll(() => {
    learned = join(tempDir(), 'learned');
    greedy = join(tempDir(), 'greedy');
    const a = run(['train', '-c', 'configs/default.yaml', '--out', learned, '--json', '--set', 'training.epochs=3', '--set', 'decode.mode=learned']);
    expect(a.status, a.stderr).toBe(0);
    learnedSummary = JSON.parse(a.stdout);
    const b = run(['train', '-c', 'configs/default.yaml', '--out', greedy, '--set', 'training.epochs=3']);
    expect(b.status, b.stderr).toBe(0);
  });

  it('stores the K×K transition scores and the start scores in the checkpoint', () => {
    const meta = JSON.parse(readFileSync(join(learned, 'model-best/meta.json'), 'utf8'));
    expect(meta.decode).toBe('learned');
    const weightsPath = join(learned, 'model-best/model.safetensors');
    const { tensors } = decodeSafetensors(readFileSync(weightsPath), weightsPath);
    const K = meta.labels.length;
    expect(tensors.get('transitions.matrix')?.shape).toEqual([K, K]);
    expect(tensors.get('transitions.start')?.shape).toEqual([K]);
    // Trained, not left at zero: O → I-X must have learned to score below O → O.
    const matrix = tensors.get('transitions.matrix')?.data ?? new Float32Array();
    const iLoc = meta.labels.indexOf('I-LOC');
    expect(matrix[0 * K + iLoc]).toBeLessThan(matrix[0]);
  });

  it('evaluate decodes as trained and reproduces the dev F1 of training', () => {
    const scores = evaluateJson(['-m', join(learned, 'model-best')]);
    expect(scores.decode).toBe('learned');
    expect(scores.f1).toBe(learnedSummary.best.f1);
  });

  it('constrained decoding of a greedy checkpoint never predicts an I-X that opens a chunk', () => {
    const out = join(tempDir(), 'pred.txt');
    const scores = evaluateJson(['-m', join(greedy, 'model-best'), '--decode', 'constrained', '--write-predictions', out]);
    expect(scores.decode).toBe('constrained');
    const sentences = readFileSync(out, 'utf8').trim().split(/\n\n/);
    expect(sentences.length).toBe(200);
    for (const sentence of sentences) {
      const predicted = sentence.split('\n').map((line) => line.split(' ')[2]);
      predicted.forEach((tag, i) => {
        if (!tag.startsWith('I-')) return;
        const previous = i === 0 ? 'O' : predicted[i - 1];
        expect(previous === `B-${tag.slice(2)}` || previous === tag, `${previous} → ${tag}`).toBe(true);
      });
    }
  });

  it('--decode learned on a checkpoint without transitions is a clear error, exit 2', () => {
    const result = run(['evaluate', '-m', join(greedy, 'model-best'), '-d', 'data/dev.txt', '--decode', 'learned']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('decode learned needs a checkpoint trained with decode.mode: learned');
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('predict uses the learned transitions', () => {
    const result = run(['predict', '-m', join(learned, 'model-best')], { input: 'Ada Lovelace visited the Bank of Ostrava on Monday .\n' });
    expect(result.status, result.stderr).toBe(0);
    const tags = result.stdout.trim().split('\n').map((l) => l.split(' ')[1]);
    expect(tags).toHaveLength(10);
  });
});
