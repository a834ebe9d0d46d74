import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/config/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and transpositions as one edit', () => {
    expect(editDistance('activation', 'activation')).toBe(0);
    expect(editDistance('activaton', 'activation')).toBe(1);
    expect(editDistance('hiden', 'hidden')).toBe(1);
    expect(editDistance('tahn', 'tanh')).toBe(1);
    expect(editDistance('lr', 'rl')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('suggest', () => {
  const modelKeys = ['window', 'hidden', 'activation', 'leaky_slope', 'dropout'];

  it('finds the closest key', () => {
    expect(suggest('activaton', modelKeys)).toBe('activation');
    expect(suggest('hiden', modelKeys)).toBe('hidden');
    expect(suggest('windwo', modelKeys)).toBe('window');
  });

  it('ignores case and - versus _', () => {
    expect(suggest('Leaky-Slope', modelKeys)).toBe('leaky_slope');
    expect(suggest('batchsize', ['batch_size', 'epochs'])).toBe('batch_size');
  });

  it('suggests nothing when nothing is close', () => {
    expect(suggest('optimizer', modelKeys)).toBeUndefined();
    expect(suggest('x', modelKeys)).toBeUndefined();
    expect(suggest('anything', [])).toBeUndefined();
  });
});
