/**
 * Whether splitting a product across threads pays, learned from the calls themselves.
 *
 * On a quiet machine a second thread nearly halves a large product's time; on a busy one
 * (other processes on the cores) a helper gets descheduled while it holds a chunk, and the
 * caller waits for it: measured here, splitting then took twice as long as not. So the
 * policy times both ways and picks the faster. It keeps a moving average of the time per
 * floating-point operation for split and for whole calls, per kernel and per size class
 * (a power of two of flops), and every EXPLORE-th call takes the other way to keep both
 * averages current. Either way gives bitwise the same result, so this changes speed only.
 */

/** One call in this many takes the way the averages do not prefer. */
export const EXPLORE = 32;
/** Weight of the newest timing in a moving average. */
const RATE = 0.25;
/**
 * Splitting stays the choice until it is this much slower than the whole call: the two
 * averages are close when splitting barely pays, and noise would otherwise flip the choice
 * back and forth, each flip to the whole call lasting until exploration corrects it.
 */
const SPLIT_TOLERANCE = 1.15;
/**
 * A timing counts for at most this multiple of the average: one call that a preempted
 * helper (or anything else) made ten times slower must not flip the choice on its own;
 * a machine that really got busy moves the average within a few calls anyway.
 */
const OUTLIER_CAP = 2;
/** Kernel ids: the three products (ops 0–2) and the element-wise kinds (elementwise.ts, from 8). */
const KERNELS = 16;
const SIZE_CLASSES = 32;

export class SplitPolicy {
  /** Seconds per flop, [kernel][size class][0: whole, 1: split]; 0 until measured. */
  private readonly cost = new Float64Array(KERNELS * SIZE_CLASSES * 2);
  private readonly calls = new Uint32Array(KERNELS * SIZE_CLASSES);

  /** Whether to split the next call of `kernel` with `flops` operations. */
  split(kernel: number, flops: number): boolean {
    const k = this.slot(kernel, flops);
    const n = this.calls[k]++;
    const whole = this.cost[2 * k];
    const split = this.cost[2 * k + 1];
    // Measure each way once before comparing; until then try splitting first.
    if (split === 0) return true;
    if (whole === 0) return false;
    const prefer = split <= SPLIT_TOLERANCE * whole;
    return n % EXPLORE === EXPLORE - 1 ? !prefer : prefer;
  }

  /** Records that a call of `kernel` with `flops` operations took `seconds`, split or not. */
  record(kernel: number, flops: number, split: boolean, seconds: number): void {
    const i = 2 * this.slot(kernel, flops) + (split ? 1 : 0);
    const perFlop = seconds / flops;
    const old = this.cost[i];
    this.cost[i] = old === 0 ? perFlop : old + RATE * (Math.min(perFlop, OUTLIER_CAP * old) - old);
  }

  private slot(kernel: number, flops: number): number {
    return kernel * SIZE_CLASSES + Math.min(SIZE_CLASSES - 1, Math.floor(Math.log2(flops)));
  }
}
