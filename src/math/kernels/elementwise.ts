import { exportedFunction, KERNEL_NAMES, type Kernel } from './module.js';
import { SplitPolicy } from './split-policy.js';
import { kernelThreadsOf, MAX_CHUNKS, type KernelArgs } from './threads.js';
import { activeKernels, guidedChunks, kernelInt32s } from './wasm-gemm.js';
import type { KernelMemory } from './kernel-memory.js';

/**
 * The element-wise kernels of a training step (wat-elementwise.ts), typed. Each computes
 * exactly what its TypeScript loop computes; callers use them when every array involved
 * lives in the kernels' memory (kernelFloats) and fall back to the loop otherwise.
 */
export interface ElementwiseKernels {
  readonly memory: KernelMemory;
  /** The instance's exports (how its threads are found). */
  readonly exports: Record<string, unknown>;
  /** Float32 Adam; the six constants are rounded to float32 on the way in: β1, 1−β1, β2, 1−β2, the step size, ε̂. */
  adam(pTheta: number, pGrad: number, pM: number, pV: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, epsHat: number): void;
  /** Float32 AdaGrad; α and ε rounded to float32 on the way in. */
  adagrad(pTheta: number, pGrad: number, pG: number, n: number, alpha: number, eps: number): void;
  /** Adds twoL2·θ into the gradient; returns Σθ² (summed as squaresWithGrad sums). */
  l2_grad(pTheta: number, pGrad: number, n: number, twoL2: number): number;
  /** See Rng.fillBernoulli: `last` is the largest word that keeps (as int32 bits), `any` 0 when none does. */
  bernoulli(pOut: number, n: number, last: number, any: number, hit: number, miss: number, pStreams: number): void;
  /** out = tanhFloat32 of in (n values). */
  tanh_f32(pOut: number, pIn: number, n: number): void;
  mul(pOut: number, pA: number, pB: number, n: number): void;
  tanh_backward(pGrad: number, pA: number, n: number): void;
  column_sums(pOut: number, pM: number, rows: number, cols: number): void;
  zero(p: number, n: number): void;
  gather(pX: number, pIds: number, B: number, w: number, T: number, D: number, P: number, pTables: number): void;
  scatter_rows(pdX: number, pIds: number, B: number, w: number, T: number, t: number, D: number, P: number, offset: number, dim: number, pSlotOf: number, pRowIds: number, pGrad: number, count: number): number;
  /** Elements [start, start + count) of an element-wise kernel (wat-elementwise.ts), its arguments at pParams. */
  ew_chunk: Kernel;
}

let cached: { exports: Record<string, unknown>; kernels: ElementwiseKernels } | null = null;

/** The element-wise kernels when the WebAssembly kernels are loaded and enabled, else null. */
export function elementwiseKernels(): ElementwiseKernels | null {
  const active = activeKernels();
  if (!active) return null;
  if (cached?.exports !== active.exports) {
    const e = active.exports;
    cached = {
      exports: e,
      kernels: {
        memory: active.memory,
        exports: e,
        adam: exportedFunction(e, 'adam'),
        adagrad: exportedFunction(e, 'adagrad'),
        l2_grad: exportedFunction(e, 'l2_grad'),
        bernoulli: exportedFunction(e, 'bernoulli'),
        tanh_f32: exportedFunction(e, 'tanh_f32'),
        mul: exportedFunction(e, 'mul'),
        tanh_backward: exportedFunction(e, 'tanh_backward'),
        column_sums: exportedFunction(e, 'column_sums'),
        zero: exportedFunction(e, 'zero'),
        gather: exportedFunction(e, 'gather'),
        ew_chunk: exportedFunction(e, 'ew_chunk'),
        scatter_rows: exportedFunction(e, 'scatter_rows'),
      },
    };
  }
  return cached.kernels;
}

/** a[i] = tanhFloat32(z[i]) for i < n on the kernel when both arrays live in its memory (a may be z); false, having done nothing, otherwise. */
export function tanhInKernels(a: Float32Array, z: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pOut = kernels.memory.pointer(a);
  const pIn = kernels.memory.pointer(z);
  if (pOut < 0 || pIn < 0) return false;
  const args = split.begin(kernels, EW_TANH, n);
  if (args) {
    args.ints[0] = pOut;
    args.ints[1] = pIn;
    split.run();
    return true;
  }
  kernels.tanh_f32(pOut, pIn, n);
  split.end();
  return true;
}

/** out[i] = a[i]·b[i] for i < n on the kernel when all three live in its memory (out may be a or b); false, having done nothing, otherwise. */
export function multiplyInKernels(out: Float32Array, a: Float32Array, b: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const { memory } = kernels;
  const pOut = memory.pointer(out);
  const pA = memory.pointer(a);
  const pB = memory.pointer(b);
  if (pOut < 0 || pA < 0 || pB < 0) return false;
  const args = split.begin(kernels, EW_MUL, n);
  if (args) {
    args.ints[0] = pOut;
    args.ints[1] = pA;
    args.ints[2] = pB;
    split.run();
    return true;
  }
  kernels.mul(pOut, pA, pB, n);
  split.end();
  return true;
}

/** grad[i] *= 1 − a[i]² for i < n on the kernel (the TypeScript loop's bits) when both live in its memory; false otherwise. */
export function tanhBackwardInKernels(grad: Float32Array, a: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pGrad = kernels.memory.pointer(grad);
  const pA = kernels.memory.pointer(a);
  if (pGrad < 0 || pA < 0) return false;
  const args = split.begin(kernels, EW_TANH_BACKWARD, n);
  if (args) {
    args.ints[0] = pGrad;
    args.ints[1] = pA;
    split.run();
    return true;
  }
  kernels.tanh_backward(pGrad, pA, n);
  split.end();
  return true;
}

/** out[j] += Σ_r m[r, j] on the kernel (addColumnSums' bits) when both live in its memory; false otherwise. */
export function columnSumsInKernels(out: Float32Array, m: Float32Array, rows: number, cols: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pOut = kernels.memory.pointer(out);
  const pM = kernels.memory.pointer(m);
  if (pOut < 0 || pM < 0) return false;
  kernels.column_sums(pOut, pM, rows, cols);
  return true;
}

/**
 * a.fill(0) for an array of any kind: on the kernel when it lives in the kernels' memory
 * (fill on shared memory stores element by element, 8× slower), else fill itself.
 */
export function fillZero(a: Float32Array | Float64Array): void {
  const kernels = a instanceof Float32Array ? elementwiseKernels() : null;
  const p = kernels ? kernels.memory.pointer(a) : -1;
  if (kernels && p >= 0) kernels.zero(p, a.length);
  else a.fill(0);
}

/** ew_chunk's kinds (wat-elementwise.ts). */
const EW_ADAM = 0;
const EW_TANH = 1;
const EW_MUL = 2;
const EW_TANH_BACKWARD = 3;
const EW_ADAGRAD = 4;
/** ew_chunk's op: its index in KERNEL_NAMES, how a helper thread finds it. */
const OP_EW = KERNEL_NAMES.indexOf('ew_chunk');
/** Kernel ids of the kinds in the SplitPolicy (after the products'). */
const POLICY_BASE = 8;
/**
 * Elements below which a kernel runs whole on the calling thread: a hand-off costs some
 * microseconds, what a few thousand elements take (at B = 256 the activations have 76,800,
 * the bench's W 75,000; at B = 32, 9,600 activations stay whole).
 */
const SPLIT_MIN_ELEMENTS = 16_384;
/** Chunk boundaries on whole cache lines. */
const ALIGN = 16;

/**
 * Splits the element-wise kernels of a step across the kernels' threads, when there are
 * helpers, the array is large, and timing shows that it pays (SplitPolicy, as for the
 * products). Each element is computed by the same instructions whoever runs it, so the
 * result is bitwise the same for any thread count.
 */
class ElementwiseSplit {
  private readonly parts: KernelArgs[] = Array.from({ length: MAX_CHUNKS }, (): KernelArgs => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  private readonly policy = new SplitPolicy();
  private readonly sizes = new Int32Array(MAX_CHUNKS);
  private kernels: ElementwiseKernels | null = null;
  /** The arguments block (ints and floats share it; the Int32Array holds its memory). */
  private params: { memory: KernelMemory; ints: Int32Array; floats: Float32Array; pointer: number } | null = null;
  private readonly runChunk = (c: number): void => {
    const a = this.parts[c];
    this.kernels?.ew_chunk(a[0], a[1], a[2], a[3], 0, 0, 0, 0, 0, 0, 0, 0);
  };

  /**
   * The argument block to fill for a split call of `kind` over n elements (then call run),
   * or null when the call should run whole on this thread (then call end after it, so that
   * the policy learns how long whole calls take).
   */
  begin(kernels: ElementwiseKernels, kind: number, n: number): { ints: Int32Array; floats: Float32Array } | null {
    if (n < SPLIT_MIN_ELEMENTS) return null;
    const threads = kernelThreadsOf(kernels.exports);
    if (!threads || threads.helpers === 0) return null;
    if (!this.policy.split(POLICY_BASE + kind, n)) {
      this.hold(kind, n, false);
      return null;
    }
    if (this.params?.memory !== kernels.memory) {
      const block = kernelInt32s(16);
      const pointer = kernels.memory.pointer(block);
      if (pointer < 0) return null;
      this.params = { memory: kernels.memory, ints: block, floats: new Float32Array(block.buffer, block.byteOffset, 16), pointer };
    }
    this.kernels = kernels;
    this.hold(kind, n, true);
    return this.params;
  }

  // The call begun and not yet recorded (fields, not an object: this runs every step).
  private pending = false;
  private pendingKind = 0;
  private pendingN = 0;
  private pendingSplit = false;
  private pendingT0 = 0;

  private hold(kind: number, n: number, split: boolean): void {
    this.pending = true;
    this.pendingKind = kind;
    this.pendingN = n;
    this.pendingSplit = split;
    this.pendingT0 = performance.now();
  }

  /** Runs the split call begun with `begin`. */
  run(): void {
    const threads = this.kernels ? kernelThreadsOf(this.kernels.exports) : null;
    if (!this.pending || !this.params || !threads) return;
    const kind = this.pendingKind;
    const n = this.pendingN;
    // Chunks of whole cache lines, shrinking (guidedChunks); the last takes the remainder.
    const chunks = guidedChunks(Math.floor(n / ALIGN), threads.helpers + 1, this.sizes);
    let lo = 0;
    for (let c = 0; c < chunks; c++) {
      const hi = c === chunks - 1 ? n : lo + this.sizes[c] * ALIGN;
      const a = this.parts[c];
      a[0] = kind;
      a[1] = lo;
      a[2] = hi - lo;
      a[3] = this.params.pointer;
      threads.setChunk(c, a);
      lo = hi;
    }
    // A kernel updates in place (Adam, mul), so a chunk half written by a failed helper
    // cannot be redone: that is a bug, not a condition to recover from.
    if (!threads.run(OP_EW, chunks, this.runChunk)) throw new Error('kernels: a helper thread failed in an element-wise kernel');
    this.end();
  }

  /** Records how long the call begun with `begin` took (split, or whole after begin returned null). */
  end(): void {
    if (!this.pending) return;
    this.policy.record(POLICY_BASE + this.pendingKind, this.pendingN, this.pendingSplit, (performance.now() - this.pendingT0) / 1000);
    this.pending = false;
  }
}

const split = new ElementwiseSplit();

/** kernels.adam over n elements, split across the threads when that pays (the same bits either way). */
export function adamInKernels(kernels: ElementwiseKernels, pTheta: number, pGrad: number, pM: number, pV: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, epsHat: number): void {
  const args = split.begin(kernels, EW_ADAM, n);
  if (args) {
    const { ints, floats } = args;
    ints[0] = pTheta;
    ints[1] = pGrad;
    ints[2] = pM;
    ints[3] = pV;
    floats[4] = beta1;
    floats[5] = oneMinusBeta1;
    floats[6] = beta2;
    floats[7] = oneMinusBeta2;
    floats[8] = stepSize;
    floats[9] = epsHat;
    split.run();
    return;
  }
  kernels.adam(pTheta, pGrad, pM, pV, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, epsHat);
  split.end();
}

/** kernels.adagrad over n elements, split across the threads when that pays (the same bits either way). */
export function adagradInKernels(kernels: ElementwiseKernels, pTheta: number, pGrad: number, pG: number, n: number, alpha: number, eps: number): void {
  const args = split.begin(kernels, EW_ADAGRAD, n);
  if (args) {
    const { ints, floats } = args;
    ints[0] = pTheta;
    ints[1] = pGrad;
    ints[2] = pG;
    floats[3] = alpha;
    floats[4] = eps;
    split.run();
    return;
  }
  kernels.adagrad(pTheta, pGrad, pG, n, alpha, eps);
  split.end();
}
