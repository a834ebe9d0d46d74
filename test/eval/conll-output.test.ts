import { describe, expect, it } from 'vitest';
import { conllevalLines } from '../../src/eval/conll-output.js';

describe('conllevalLines', () => {
  it('writes token gold predicted per line and a blank line after the sentence', () => {
    expect(conllevalLines(['John', 'lives', 'here'], ['B-PER', 'O', 'O'], ['B-PER', 'O', 'B-LOC'])).toBe(
      'John B-PER B-PER\nlives O O\nhere O B-LOC\n\n',
    );
  });

  it('concatenates sentences into one conlleval file', () => {
    const text = conllevalLines(['a'], ['O'], ['O']) + conllevalLines(['b'], ['I-X'], ['I-X']);
    expect(text).toBe('a O O\n\nb I-X I-X\n\n');
  });

  it('keeps each token one space-free field, since conlleval splits on spaces', () => {
    expect(conllevalLines(['New York', ''], ['B-LOC', 'O'], ['B-LOC', 'O'])).toBe('New_York B-LOC B-LOC\n_ O O\n\n');
  });

  it('throws when the three sequences differ in length', () => {
    expect(() => conllevalLines(['a', 'b'], ['O'], ['O', 'O'])).toThrow(Error);
  });
});
