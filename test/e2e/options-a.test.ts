import { beforeAll, describe, expect, it } from 'vitest';
import { chanceF1, OPTION_RUNS, trainWith } from './options.js';

// The first half of the options; options-b.test.ts has the rest, so the two run in parallel.
const names = Object.keys(OPTION_RUNS);
const mine = names.slice(0, Math.ceil(names.length / 2));

describe('every training option trains configs/default.yaml through --set (part 1)', () => {
  let chance: number;
  beforeAll(() => {
    chance = chanceF1();
  });

  it('chance F1 is what guessing from the label frequencies gets', () => {
    expect(chance).toBeGreaterThan(0);
    expect(chance).toBeLessThan(0.1);
  });

  it.each(mine)('%s', (name) => {
    const summary = trainWith(OPTION_RUNS[name]);
    expect(summary.best.f1).toBeGreaterThan(chance + 0.1);
  });
});
