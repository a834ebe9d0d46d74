import { kernelThreadsOf } from './threads.js';
import { activeKernels } from './wasm-gemm.js';

/**
 * Whether the helper threads poll for the next job between the jobs of a training step
 * (or between tagging passes) instead of sleeping, learned from the steps' own times.
 *
 * A helper that sleeps in Atomics.wait is woken by the next job some tens of microseconds
 * late, several times per step. Polling for up to HELPER_SPIN_US after each job removes
 * that wait: measured on the bench's model with two threads on a quiet machine, +4 % at
 * B = 256 and +12 % at B = 32. But a polling helper takes its core from anything else
 * that wants it, and with another process busy on the machine the same polling cost 3–12 %.
 * So steps run in blocks of BLOCK_STEPS with one setting, the mean step time of each
 * setting is kept as a moving average, the faster one is used, and every EXPLORE-th block
 * tries the other to keep both current. The setting changes timing only, never results.
 * Tagging a file runs its passes back to back, and polling there gave +4–17 % (bench model,
 * two threads, tables warm).
 */

/** How long a helper polls after a job (longer than the gaps between a step's jobs). */
export const HELPER_SPIN_US = 300;
export const BLOCK_STEPS = 8;
export const EXPLORE = 8;
const RATE = 0.25;
/** A block's mean counts for at most this multiple of the average (one preempted block must not flip the choice). */
const OUTLIER_CAP = 2;

export class SpinPolicy {
  /** Mean seconds per step, [sleep, spin]; 0 until measured. */
  private readonly cost = new Float64Array(2);
  private block = 0;
  private stepInBlock = 0;
  private setting = 1;
  private blockSeconds = 0;
  private t0 = 0;

  /** `now` in milliseconds (tests pass a fake clock). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The setting for the next step: 1 to poll, 0 to sleep. */
  begin(): number {
    if (this.stepInBlock === 0) this.setting = this.choose();
    this.t0 = this.now();
    return this.setting;
  }

  /** Records the step begun with `begin`. */
  end(): void {
    this.blockSeconds += (this.now() - this.t0) / 1000;
    if (++this.stepInBlock < BLOCK_STEPS) return;
    const mean = this.blockSeconds / BLOCK_STEPS;
    const old = this.cost[this.setting];
    this.cost[this.setting] = old === 0 ? mean : old + RATE * (Math.min(mean, OUTLIER_CAP * old) - old);
    this.stepInBlock = 0;
    this.blockSeconds = 0;
    this.block++;
  }

  private choose(): number {
    const [sleep, spin] = this.cost;
    // Measure each once, polling first.
    if (spin === 0) return 1;
    if (sleep === 0) return 0;
    const prefer = spin <= sleep ? 1 : 0;
    return this.block % EXPLORE === EXPLORE - 1 ? 1 - prefer : prefer;
  }
}

/** Begins one training step: the helper threads (if any) poll or sleep between its jobs as `policy` chooses. */
export function beginStep(policy: SpinPolicy): void {
  const active = activeKernels();
  const threads = active ? kernelThreadsOf(active.exports) : null;
  if (!threads || threads.helpers === 0) return;
  threads.setHelperSpin(policy.begin() === 1 ? HELPER_SPIN_US : 0);
  pending = policy;
}

let pending: SpinPolicy | null = null;

/** Ends the step begun with beginStep (nothing when it had no helpers to steer). */
export function endStep(): void {
  pending?.end();
  pending = null;
}
