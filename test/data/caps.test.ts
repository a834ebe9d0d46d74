import { describe, expect, it } from 'vitest';
import { CAPS_CLASSES, CAPS_PAD, capsClass } from '../../src/data/caps.js';

const name = (token: string): string => CAPS_CLASSES[capsClass(token)];

describe('capsClass', () => {
  it('has the pad class 0 and six classes in all', () => {
    expect(CAPS_PAD).toBe(0);
    expect(CAPS_CLASSES).toEqual(['<pad>', 'lower', 'initial', 'upper', 'mixed', 'noletters']);
  });

  it.each([
    ['the', 'lower'],
    ['The', 'initial'],
    ['THE', 'upper'],
    ['iPhone', 'mixed'],
    ['McDonald', 'mixed'],
    ['A', 'initial'],
    ['a', 'lower'],
    ['1996', 'noletters'],
    ['-', 'noletters'],
    ['U.S.', 'upper'],
    ['É', 'initial'],
    ['éclair', 'lower'],
    ['Éclair', 'initial'],
    ['ÉCLAIR', 'upper'],
    ['1990s', 'lower'],
    ['F-16', 'initial'],
    ['B-52s', 'initial'],
    ['O\'Neill', 'mixed'],
    ['""', 'noletters'],
    ['東京', 'noletters'],
    ['straße', 'lower'],
  ])('%s is %s', (token, expected) => {
    expect(name(token)).toBe(expected);
  });

  it('never gives a token the pad class', () => {
    for (const token of ['', 'x', 'X', '.', 'Ab', 'aB', 'AB']) expect(capsClass(token)).not.toBe(CAPS_PAD);
  });
});
