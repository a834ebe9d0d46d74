import { describe, expect, it } from 'vitest';
import { EXPLORE, SplitPolicy } from '../../src/math/kernels/split-policy.js';

describe('SplitPolicy: split a product across threads only when timing shows it pays', () => {
  it('tries splitting first, then the whole call, then keeps the faster way', () => {
    const policy = new SplitPolicy();
    const flops = 1e6;
    expect(policy.split(0, flops)).toBe(true);
    policy.record(0, flops, true, 100e-6);
    expect(policy.split(0, flops)).toBe(false);
    policy.record(0, flops, false, 160e-6);
    // Split (100 µs) beats whole (160 µs): split, apart from the exploring calls.
    const choices = Array.from({ length: 4 * EXPLORE }, () => policy.split(0, flops));
    expect(choices.filter((c) => !c)).toHaveLength(4);
  });

  it('follows the machine: when split calls slow down (a busy machine), it stops splitting', () => {
    const policy = new SplitPolicy();
    const flops = 1e6;
    policy.record(1, flops, true, 100e-6);
    policy.record(1, flops, false, 160e-6);
    expect(policy.split(1, flops)).toBe(true);
    // Helpers descheduled: split calls now take 400 µs.
    for (let i = 0; i < 10; i++) policy.record(1, flops, true, 400e-6);
    const choices = Array.from({ length: 2 * EXPLORE }, () => policy.split(1, flops));
    expect(choices.filter((c) => c)).toHaveLength(2);
  });

  it('is not flipped by one outlier, and keeps splitting when it costs only a little more', () => {
    const policy = new SplitPolicy();
    const flops = 1e6;
    policy.record(0, flops, true, 100e-6);
    policy.record(0, flops, false, 160e-6);
    // One split call preempted for 5 ms: counted as at most twice the average.
    policy.record(0, flops, true, 5e-3);
    policy.split(0, flops);
    expect(policy.split(0, flops)).toBe(true);
    // Split 10% slower than whole: within the tolerance, still split.
    const close = new SplitPolicy();
    close.record(0, flops, true, 110e-6);
    close.record(0, flops, false, 100e-6);
    close.split(0, flops);
    close.split(0, flops);
    expect(close.split(0, flops)).toBe(true);
  });

  it('keeps kernels and size classes apart', () => {
    const policy = new SplitPolicy();
    policy.record(0, 1e6, true, 100e-6);
    policy.record(0, 1e6, false, 50e-6);
    policy.split(0, 1e6);
    expect(policy.split(0, 1e6)).toBe(false);
    // Another kernel, or the same kernel at 8× the size, has measured nothing yet: split first.
    expect(policy.split(2, 1e6)).toBe(true);
    expect(policy.split(0, 8e6)).toBe(true);
  });
});
