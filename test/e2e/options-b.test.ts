import { beforeAll, describe, expect, it } from 'vitest';
import { chanceF1, OPTION_RUNS, trainWith } from './options.js';

// The second half of the options; options-a.test.ts has the first.
const names = Object.keys(OPTION_RUNS);
const mine = names.slice(Math.ceil(names.length / 2));

describe('every training option trains configs/default.yaml through --set (part 2)', () => {
  let chance: number;
  beforeAll(() => {
    chance = chanceF1();
  });

  it.each(mine)('%s', (name) => {
    const summary = trainWith(OPTION_RUNS[name]);
    expect(summary.best.f1).toBeGreaterThan(chance + 0.1);
  });
});
