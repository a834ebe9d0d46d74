import { describe, expect, it } from 'vitest';
import { evaluationScheme } from '../../src/api/evaluate.js';

describe('evaluationScheme: the scheme predictions are written in, beside the gold tags', () => {
  it('follows the file when it shows its scheme', () => {
    expect(evaluationScheme([['I-PER', 'O']], 'iob2')).toBe('iob1');
    expect(evaluationScheme([['S-PER', 'O']], 'iob1')).toBe('iobes');
    // B- after O exists only in IOB2, whatever the checkpoint was trained on.
    expect(evaluationScheme([['O', 'B-PER', 'I-PER']], 'iob1')).toBe('iob2');
  });

  it('falls back to the checkpoint scheme when the file fits IOB1 and IOB2 alike', () => {
    expect(evaluationScheme([['O', 'O'], []], 'iob1')).toBe('iob1');
    expect(evaluationScheme([['O', 'O']], 'iob2')).toBe('iob2');
    // B-X right after a chunk of type X: written that way in both schemes.
    expect(evaluationScheme([['I-PER', 'B-PER']], 'iob1')).toBe('iob1');
  });
});
