import { exportedFunction, KERNEL_NAMES, type Kernel } from './module.js';
import { SplitPolicy } from './split-policy.js';
import { kernelThreadsOf, MAX_CHUNKS, type KernelArgs } from './threads.js';
import { BC_ROWS, BC_VECS, NT_ROWS } from './tiles.js';
import { activeKernels, guidedChunks, kernelInt32s, kernelSplitting } from './wasm-gemm.js';
import type { KernelMemory } from './kernel-memory.js';
import { STEP_SLOTS } from './wat-step.js';

/**
 * The fused training-step chunks (wat-step.ts), and how a step's passes are cut into them
 * and shared with the kernels' threads. One StepChunks belongs to one scorer: its
 * parameter block holds that scorer's addresses.
 */

export type StepSlot = (typeof STEP_SLOTS)[number];

const FORWARD = 0;
const BACKWARD_ROWS = 1;
const WEIGHT_COLUMNS = 2;
const BIAS = 3;

/** step_chunk's op: its index in KERNEL_NAMES, how a helper thread finds it. */
const OP_STEP = KERNEL_NAMES.indexOf('step_chunk');

/** Row blocks hold whole register tiles of both the NT (forward) and the broadcast (backward) kernels. */
const ROW_ALIGN = Math.max(NT_ROWS, BC_ROWS);
/** Column blocks of ∂W hold whole broadcast tiles. */
const COLUMN_ALIGN = 4 * BC_VECS;
/**
 * Passes below this many floating-point operations run whole on the calling thread (as
 * products below gemm's SPLIT_MIN_FLOPS do): a hand-off costs a few microseconds.
 */
const SPLIT_MIN_FLOPS = 1 << 18;

export class StepChunks {
  /** The parameter block, STEP_SLOTS order; the scorer fills it (see `set`). */
  private readonly params: Int32Array;
  private readonly pParams: number;
  private readonly call: Kernel;
  private readonly policy = new SplitPolicy();
  private readonly sizes = new Int32Array(MAX_CHUNKS);
  private readonly parts: KernelArgs[] = Array.from({ length: MAX_CHUNKS }, (): KernelArgs => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  private readonly runChunk = (c: number): void => {
    const a = this.parts[c];
    this.call(a[0], a[1], a[2], a[3], 0, 0, 0, 0, 0, 0, 0, 0);
  };

  private constructor(
    readonly memory: KernelMemory,
    private readonly exports: Record<string, unknown>,
    params: Int32Array,
  ) {
    this.params = params;
    this.pParams = memory.pointer(params);
    this.call = exportedFunction<Kernel>(exports, 'step_chunk');
  }

  /** Chunks for a new scorer, when the WebAssembly kernels are loaded and enabled; else null. */
  static create(): StepChunks | null {
    const active = activeKernels();
    if (!active) return null;
    const params = kernelInt32s(STEP_SLOTS.length);
    if (active.memory.pointer(params) < 0) return null;
    return new StepChunks(active.memory, active.exports, params);
  }

  /** Whether these chunks run on the kernels in use now (setKernelBackend may have switched them off). */
  get current(): boolean {
    return activeKernels()?.exports === this.exports;
  }

  set(slot: StepSlot, value: number): void {
    this.params[SLOT_INDEX[slot]] = value;
  }

  /** Forward windows [0, B): X, Z, A, Ad (with a mask), S. */
  forward(B: number, flops: number): void {
    this.run(FORWARD, B, ROW_ALIGN, flops, false);
  }

  /** Backward windows [0, B): ∂A, then ∂Z in its place, then ∂X (when pdX is set). */
  backwardRows(B: number, flops: number): void {
    this.run(BACKWARD_ROWS, B, ROW_ALIGN, flops, false);
  }

  /** gW += ∂Zᵀ·X over its D columns, and gb += Σ ∂Z. */
  weightGradients(D: number, flops: number): void {
    this.run(WEIGHT_COLUMNS, D, COLUMN_ALIGN, flops, true);
  }

  /**
   * Runs `kind` over [0, extent), cut into blocks of `align` that every thread claims
   * from when splitting pays (SplitPolicy); with `bias`, the ∂b chunk runs too.
   */
  private run(kind: number, extent: number, align: number, flops: number, bias: boolean): void {
    stats.passes++;
    const threads = kernelThreadsOf(this.exports);
    const units = Math.floor(extent / align);
    if (!threads || threads.helpers === 0 || flops < SPLIT_MIN_FLOPS || units < 2) {
      this.runWhole(kind, extent, bias);
      return;
    }
    const split = kernelSplitting() === 'always' || this.policy.split(kind, flops);
    const t0 = performance.now();
    if (!split) {
      this.runWhole(kind, extent, bias);
    } else {
      // The ∂b chunk goes first, while there is room for it among the chunks; the blocks
      // then shrink (guidedChunks), the last one taking the fringe.
      let chunks = 0;
      if (bias) chunks = this.setPart(chunks, BIAS, 0, 0);
      const blocks = guidedChunks(units, threads.helpers + 1, this.sizes);
      if (chunks + blocks > MAX_CHUNKS) {
        this.call(BIAS, 0, 0, this.pParams, 0, 0, 0, 0, 0, 0, 0, 0);
        chunks = 0;
      }
      let lo = 0;
      for (let b = 0; b < blocks; b++) {
        const hi = b === blocks - 1 ? extent : lo + this.sizes[b] * align;
        chunks = this.setPart(chunks, kind, lo, hi);
        lo = hi;
      }
      for (let c = 0; c < chunks; c++) threads.setChunk(c, this.parts[c]);
      stats.splits++;
      // ∂W accumulates in place, so a chunk half done by a failed helper cannot be redone:
      // that is a bug, not a condition to recover from.
      if (!threads.run(OP_STEP, chunks, this.runChunk)) throw new Error('kernels: a helper thread failed in a training step');
    }
    this.policy.record(kind, flops, split, (performance.now() - t0) / 1000);
  }

  private runWhole(kind: number, extent: number, bias: boolean): void {
    this.call(kind, 0, extent, this.pParams, 0, 0, 0, 0, 0, 0, 0, 0);
    if (bias) this.call(BIAS, 0, 0, this.pParams, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  private setPart(c: number, kind: number, lo: number, hi: number): number {
    const a = this.parts[c];
    a[0] = kind;
    a[1] = lo;
    a[2] = hi;
    a[3] = this.pParams;
    return c + 1;
  }
}

const SLOT_INDEX = Object.fromEntries(STEP_SLOTS.map((name, i) => [name, i])) as Record<StepSlot, number>;

const stats = { passes: 0, splits: 0 };

/** Passes run as fused chunks so far, and how many of them were split across threads (tests check that both happen). */
export function stepChunkStats(): { passes: number; splits: number } {
  return { ...stats };
}
