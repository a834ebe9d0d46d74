import { describe, expect, it } from 'vitest';
import { iob2Constraints } from '../../src/decode/constraints.js';
import { LabelSet } from '../../src/data/labels.js';

describe('iob2Constraints', () => {
  it('allows I-X only after B-X or I-X and never first', () => {
    const mask = iob2Constraints(['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']);
    expect(mask.K).toBe(5);
    expect(Array.from(mask.start)).toEqual([1, 1, 0, 1, 0]);
    const rows = Array.from({ length: 5 }, (_, i) => Array.from(mask.trans.subarray(i * 5, i * 5 + 5)));
    expect(rows).toEqual([
      // to: O  B-LOC I-LOC B-PER I-PER
      [1, 1, 0, 1, 0], // from O
      [1, 1, 1, 1, 0], // from B-LOC
      [1, 1, 1, 1, 0], // from I-LOC
      [1, 1, 0, 1, 1], // from B-PER
      [1, 1, 0, 1, 1], // from I-PER
    ]);
  });

  it('matches the layout of LabelSet.fromTypes', () => {
    const labels = LabelSet.fromTypes(['PER', 'LOC']).labels;
    const mask = iob2Constraints(labels);
    const loc = labels.indexOf('B-LOC');
    const iLoc = labels.indexOf('I-LOC');
    const iPer = labels.indexOf('I-PER');
    expect(mask.trans[loc * mask.K + iLoc]).toBe(1);
    expect(mask.trans[loc * mask.K + iPer]).toBe(0);
    expect(mask.start[0]).toBe(1);
  });

  it('does not confuse types that share a prefix, and allows non-IOB labels everywhere', () => {
    const mask = iob2Constraints(['X', 'B-LOC', 'I-LOCATION']);
    expect(Array.from(mask.start)).toEqual([1, 1, 0]);
    expect(mask.trans[1 * 3 + 2]).toBe(0);
    expect(mask.trans[2 * 3 + 2]).toBe(1);
    expect(mask.trans[2 * 3 + 0]).toBe(1);
  });
});
