import type { ActivationName } from '../activations.js';
import type { KernelMemory } from './kernel-memory.js';
import { exportedFunction, KERNEL_NAMES, type Kernel } from './module.js';
import { kernelThreadsOf, MAX_CHUNKS, type KernelArgs, type KernelThreads } from './threads.js';
import { activeKernels, guidedChunks } from './wasm-gemm.js';

/**
 * The tagging kernels (wat-tagging.ts), typed, for PrecomputedScorer, and the split of a
 * pass's windows over the kernels' threads. Pointers are byte addresses in `memory`;
 * callers use them only when every array lives there.
 */
export interface TaggingKernels {
  readonly memory: KernelMemory;
  /**
   * A[i·lda ..] = f(Σ_j row(i, j) + bias) for n windows: see wat-tagging.ts. The 12-argument
   * shape of the kernels; pass 0 for the unused arguments.
   */
  tag_hidden: Kernel;
  /** tag_hidden, then S = A·Uᵀ + c, the sizes in a parameter block (TAG_PARAMS ints): see wat-tagging.ts. */
  tag_windows: Kernel;
  /** The threads the kernels run on (setKernelThreads), or null with one thread. */
  readonly threads: KernelThreads | null;
}

/** tag_hidden's `act` argument for each activation. */
export const ACTIVATION_CODES: Record<ActivationName, number> = {
  tanh: 0,
  sigmoid: 1,
  hardtanh: 2,
  softsign: 3,
  relu: 4,
  'leaky-relu': 5,
};

/** tag_windows' op: its index in KERNEL_NAMES, which is how a helper thread finds it. */
const OP_TAG = KERNEL_NAMES.indexOf('tag_windows');

/** Ints in tag_windows' parameter block: w, Hp, H, K, pBias, pU, pc, act, slope bits. */
export const TAG_PARAMS = 9;

let cached: { exports: Record<string, unknown>; kernels: TaggingKernels } | null = null;

/** The tagging kernels when the WebAssembly kernels are loaded and enabled (setKernelBackend), else null. */
export function taggingKernels(): TaggingKernels | null {
  const active = activeKernels();
  if (!active) return null;
  const e = active.exports;
  if (cached?.exports !== e) {
    cached = {
      exports: e,
      kernels: {
        memory: active.memory,
        tag_hidden: exportedFunction(e, 'tag_hidden'),
        tag_windows: exportedFunction(e, 'tag_windows'),
        // Looked up on every use: threads start when setKernelThreads asks for more than one.
        get threads() {
          return kernelThreadsOf(e);
        },
      },
    };
  }
  return cached.kernels;
}

/**
 * Windows per unit of a chunk: a chunk should take well over the microsecond or so a claim
 * costs (a window takes about a microsecond on the bench's shape).
 */
const UNIT_WINDOWS = 8;

/** One pass in this many takes the way the averages do not prefer, to keep both current. */
const EXPLORE = 16;
/** Weight of the newest timing in a moving average. */
const RATE = 0.25;
/** Split passes not timed at first: a helper's first chunks run before V8 has optimised its code. */
const SPLIT_WARMUP = 8;
/** Splitting stays the choice until it is this much slower than not splitting, per window. */
const SPLIT_TOLERANCE = 1.3;

/**
 * Whether to split the next pass over the threads, learned from the passes themselves, as
 * wasm-gemm.ts's SplitPolicy does for products: on a quiet machine a second thread makes a
 * pass about 1.5× as fast, on a busy one a helper descheduled while it holds a chunk makes
 * the caller wait. Passes are timed per window; splitting is preferred unless it is clearly
 * slower, because the noise of passes that also fill rows (first sight of their tokens)
 * otherwise makes it flip to the slower way for long stretches.
 */
class TagSplitPolicy {
  private split = 0;
  private whole = 0;
  private calls = 0;
  private splitsSeen = 0;

  choose(): boolean {
    const n = this.calls++;
    if (this.split === 0) return true;
    if (this.whole === 0) return false;
    const prefer = this.split <= SPLIT_TOLERANCE * this.whole;
    return n % EXPLORE === EXPLORE - 1 ? !prefer : prefer;
  }

  record(split: boolean, secondsPerWindow: number): void {
    if (split) {
      if (this.splitsSeen++ < SPLIT_WARMUP) return;
      this.split = this.split === 0 ? secondsPerWindow : this.split + RATE * (secondsPerWindow - this.split);
    } else {
      this.whole = this.whole === 0 ? secondsPerWindow : this.whole + RATE * (secondsPerWindow - this.whole);
    }
  }
}

/**
 * Runs tag_windows over n windows, split into chunks of windows over the kernels' threads
 * when there are helpers and timing shows that it pays (TagSplitPolicy). Every window is
 * computed by the same instructions whoever runs it, so the result is bitwise the same
 * either way.
 */
export class TagWindowsRunner {
  private readonly parts: KernelArgs[] = Array.from({ length: MAX_CHUNKS }, (): KernelArgs => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  private readonly policy = new TagSplitPolicy();
  private readonly sizes = new Int32Array(MAX_CHUNKS);
  private kernels: TaggingKernels | null = null;
  private readonly runChunk = (c: number): void => {
    const a = this.parts[c];
    this.kernels?.tag_windows(a[0], a[1], a[2], a[3], a[4], 0, 0, 0, 0, 0, 0, 0);
  };
  /** Passes split across threads so far (tests). */
  splits = 0;

  /**
   * Windows [0, n) with their row addresses at pRows (w per window), A rows of Hp floats at
   * pA and score rows of K floats at pS; pParams as tag_windows takes it.
   */
  run(kernels: TaggingKernels, n: number, pRows: number, pA: number, pS: number, pParams: number, w: number, Hp: number, K: number): void {
    const threads = kernels.threads;
    const units = Math.floor(n / UNIT_WINDOWS);
    if (!threads || threads.helpers === 0 || units < 2) {
      kernels.tag_windows(n, pRows, pA, pS, pParams, 0, 0, 0, 0, 0, 0, 0);
      return;
    }
    const split = this.policy.choose();
    const t0 = performance.now();
    if (split) {
      // Chunks shrinking as they go (guidedChunks), the last taking the remainder.
      const chunks = guidedChunks(units, threads.helpers + 1, this.sizes);
      let lo = 0;
      for (let c = 0; c < chunks; c++) {
        const hi = c === chunks - 1 ? n : lo + this.sizes[c] * UNIT_WINDOWS;
        const a = this.parts[c];
        a[0] = hi - lo;
        a[1] = pRows + 4 * lo * w;
        a[2] = pA + 4 * lo * Hp;
        a[3] = pS + 4 * lo * K;
        a[4] = pParams;
        threads.setChunk(c, a);
        lo = hi;
      }
      this.kernels = kernels;
      this.splits++;
      // A helper that failed may have left its chunk half written: the whole pass again, here.
      if (!threads.run(OP_TAG, chunks, this.runChunk)) kernels.tag_windows(n, pRows, pA, pS, pParams, 0, 0, 0, 0, 0, 0, 0);
    } else {
      kernels.tag_windows(n, pRows, pA, pS, pParams, 0, 0, 0, 0, 0, 0, 0);
    }
    this.policy.record(split, (performance.now() - t0) / 1000 / n);
  }
}
