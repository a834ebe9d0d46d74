import { describe, expect, it } from 'vitest';
import { BLOCK_STEPS, EXPLORE, SpinPolicy } from '../../src/math/kernels/spin-policy.js';

/** Runs `blocks` blocks of steps whose duration (ms) depends on the setting; returns the setting of each block. */
function drive(policy: SpinPolicy, clock: { t: number }, blocks: number, msOf: (setting: number, block: number) => number): number[] {
  const settings: number[] = [];
  for (let b = 0; b < blocks; b++) {
    let setting = -1;
    for (let s = 0; s < BLOCK_STEPS; s++) {
      setting = policy.begin();
      clock.t += msOf(setting, b);
      policy.end();
    }
    settings.push(setting);
  }
  return settings;
}

describe('SpinPolicy', () => {
  it('measures polling, then sleeping, then keeps the faster and tries the other every EXPLORE-th block', () => {
    const clock = { t: 0 };
    const policy = new SpinPolicy(() => clock.t);
    const settings = drive(policy, clock, 4 * EXPLORE, (setting) => (setting === 1 ? 1 : 2));
    expect(settings.slice(0, 2)).toEqual([1, 0]);
    for (let b = 2; b < settings.length; b++) expect(settings[b]).toBe(b % EXPLORE === EXPLORE - 1 ? 0 : 1);
  });

  it('prefers sleeping when polling is slower (another process wants the core)', () => {
    const clock = { t: 0 };
    const policy = new SpinPolicy(() => clock.t);
    const settings = drive(policy, clock, 3 * EXPLORE, (setting) => (setting === 1 ? 3 : 2));
    for (let b = 2; b < settings.length; b++) expect(settings[b]).toBe(b % EXPLORE === EXPLORE - 1 ? 1 : 0);
  });

  it('follows a machine that changes, and one slow block does not flip the choice', () => {
    const clock = { t: 0 };
    const policy = new SpinPolicy(() => clock.t);
    // Polling faster at first; block 20 of polling is 100× slower (a preempted helper): still polling after it.
    const first = drive(policy, clock, 24, (setting, b) => (setting === 1 ? (b === 20 ? 100 : 1) : 2));
    expect(first[21]).toBe(1);
    // Then polling becomes slower for good: within a few explorations sleeping wins.
    const later = drive(policy, clock, 12 * EXPLORE, (setting) => (setting === 1 ? 4 : 2));
    const tail = later.map((setting, i) => ({ setting, block: first.length + i })).slice(-2 * EXPLORE);
    for (const { setting, block } of tail) expect(setting).toBe(block % EXPLORE === EXPLORE - 1 ? 1 : 0);
  });
});
