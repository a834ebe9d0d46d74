import type { Activation } from '../math/activations.js';
import { elementwiseKernels, fillZero, multiplyInKernels } from '../math/kernels/elementwise.js';
import { StepChunks } from '../math/kernels/step-kernels.js';
import { kernelInt32s } from '../math/kernels/wasm-gemm.js';
import { addColumnSums, affine, gemm } from '../math/gemm.js';
import type { KernelMemory } from '../math/kernels/kernel-memory.js';
import { allocateForKernels, type DTypeName, type FloatArray } from '../math/matrix.js';
import type { Rng } from '../math/random.js';
import { SparseRowGrad, type EmbeddingTable } from './embedding.js';
import { DenseParams } from './params.js';
import { preprocessBackward, preprocessForward, preprocessKernel, type PreprocessKernel, type Preprocessor } from './preprocess.js';

/**
 * The window scorer s = U·f(W·x' + b) + c, where x' = A(x − μ) is the fixed input
 * preprocessing (identity unless a preprocessor is set).
 *
 * Shapes: B windows in a batch, w positions per window, T feature tables (words, caps)
 * whose rows are concatenated per position (P = Σ table dims), D = w·P inputs, H hidden
 * units, K scores (one per label).
 *
 * Forward and backward sit next to each other. Backward adds into the gradient buffers;
 * `zeroGrad` clears them once per step. Buffers are sized once per batch size and
 * reused, so a training step allocates nothing.
 */
export interface ScorerSpec {
  positions: number;
  tables: EmbeddingTable[];
  hidden: number;
  labels: number;
  activation: Activation;
  /** Probability of dropping a hidden unit in training (inverted dropout). */
  dropout: number;
  /** Probability of dropping each input x_i (an embedding component) in training; 0 when absent. */
  inputDropout?: number;
  dtype: DTypeName;
}

interface Workspace {
  capacity: number;
  X: FloatArray; // B×D gathered inputs
  Xp: FloatArray; // B×D preprocessed inputs (unused without preprocessing)
  scratch: FloatArray; // B×D, for the preprocessing kernels
  Z: FloatArray; // B×H pre-activations
  A: FloatArray; // B×H activations f(Z)
  Ad: FloatArray; // B×H activations after dropout (aliases A when dropout is off)
  mask: FloatArray; // B×H dropout mask: 0 or 1/(1−p)
  inputMask: FloatArray; // B×D input dropout mask: 0 or 1/(1−p_in)
  S: FloatArray; // B×K scores
  dA: FloatArray; // B×H, then ∂J/∂Z in place
  dX: FloatArray; // B×D
}

export class WindowScorer {
  readonly positions: number;
  readonly tables: EmbeddingTable[];
  readonly activation: Activation;
  readonly dropout: number;
  readonly inputDropout: number;
  readonly dtype: DTypeName;
  /** Width of one window position: Σ table dims. */
  readonly P: number;
  readonly D: number;
  readonly H: number;
  readonly K: number;
  readonly params: DenseParams;
  readonly grads: DenseParams;
  /** One sparse row gradient per table (also for frozen tables, whose gradient is simply never filled). */
  readonly tableGrads: SparseRowGrad[];
  private readonly tableOffsets: number[];
  private ws: Workspace;
  /** Each table's (data address, dim, offset) for the gather kernel; built on first use. */
  private tableDescriptors: Int32Array | null = null;
  private preprocessing: PreprocessKernel | null = null;
  private preprocessor: Preprocessor | null = null;
  /** Whether the last forward pass applied the dropout mask (backward must mirror it). */
  private droppedOut = false;
  /** Whether the last forward pass applied the input dropout mask. */
  private inputDroppedOut = false;
  /** The fused step's chunks (null: not available; undefined: not yet asked for). */
  private stepChunks: StepChunks | null | undefined;
  /** The workspace whose addresses the chunks' parameter block holds. */
  private chunksBoundTo: Workspace | null = null;
  /** Whether the last forward pass ran as fused chunks (backward then does too). */
  private forwardFused = false;

  constructor(spec: ScorerSpec, params?: DenseParams) {
    this.positions = spec.positions;
    this.tables = spec.tables;
    this.activation = spec.activation;
    this.dropout = spec.dropout;
    this.inputDropout = spec.inputDropout ?? 0;
    this.dtype = spec.dtype;
    this.tableOffsets = [];
    let P = 0;
    for (const table of spec.tables) {
      this.tableOffsets.push(P);
      P += table.dim;
    }
    this.P = P;
    this.D = spec.positions * P;
    this.H = spec.hidden;
    this.K = spec.labels;
    const shape = { D: this.D, H: this.H, K: this.K };
    this.params = params ?? new DenseParams(shape, spec.dtype);
    this.grads = new DenseParams(shape, spec.dtype);
    this.tableGrads = spec.tables.map((table) => new SparseRowGrad(table, 64 * spec.positions));
    this.ws = this.allocateWorkspace(1);
  }

  /** The dropout mask the next training forward pass uses, B×H; tests and gradcheck may fill it by hand. */
  dropoutMask(B: number): FloatArray {
    this.ensureCapacity(B);
    return this.ws.mask.subarray(0, B * this.H);
  }

  /** The input dropout mask the next training forward pass uses, B×D; tests and gradcheck may fill it by hand. */
  inputDropoutMask(B: number): FloatArray {
    this.ensureCapacity(B);
    return this.ws.inputMask.subarray(0, B * this.D);
  }

  /**
   * Draws fresh inverted-dropout masks: each hidden unit kept with probability 1−p and
   * scaled by 1/(1−p), then (with input dropout) each input likewise. The hidden mask is
   * drawn first, so turning input dropout on does not move the hidden mask's draws. Without
   * dropout of either kind it draws nothing, so callers need not check.
   */
  sampleDropoutMask(B: number, rng: Rng): void {
    if (this.dropout > 0) fillDropoutMask(this.dropoutMask(B), this.dropout, rng);
    if (this.inputDropout > 0) fillDropoutMask(this.inputDropoutMask(B), this.inputDropout, rng);
  }

  /** Puts the fixed map x' = A(x − μ) in front of W (mode 'none' removes it). */
  setPreprocessor(p: Preprocessor): void {
    if (p.D !== this.D) throw new RangeError(`setPreprocessor: fitted for D = ${p.D}, the scorer has D = ${this.D}`);
    this.preprocessor = p;
    this.preprocessing = p.mode === 'none' ? null : preprocessKernel(p, this.dtype);
  }

  /** The preprocessing in front of W, or null. */
  get inputPreprocessor(): Preprocessor | null {
    return this.preprocessor;
  }

  /** The raw window vectors x of B windows (B×D, before preprocessing): what a preprocessor is fitted on. Valid until the next forward. */
  gatherInputs(ids: Int32Array, B: number): FloatArray {
    this.ensureCapacity(B);
    this.gather(this.ws.X, ids, B);
    return this.ws.X.subarray(0, B * this.D);
  }

  /** z = W·x + b of the last forward pass (B×H); valid until the next forward. */
  preActivations(B: number): FloatArray {
    return this.ws.Z.subarray(0, B * this.H);
  }

  /**
   * Scores of B windows. ids: B·w·T table rows (see EncodedWindows). With `train` and
   * dropout > 0 the current dropout mask is applied. Returns a B×K view that stays
   * valid until the next forward.
   */
  forward(ids: Int32Array, B: number, train: boolean): FloatArray {
    this.ensureCapacity(B);
    const { X, Z, A, mask, S } = this.ws;
    const { D, H, K } = this;
    if (this.forwardInChunks(ids, B, train)) return S.subarray(0, B * K);
    const { W, b, U, c } = this.params;
    this.gather(X, ids, B);
    // Input dropout acts on x itself, before the fixed preprocessing map: the dropped x is
    // the layer's input, so ∂W = ∂zᵀ·x below sees it too.
    this.inputDroppedOut = train && this.inputDropout > 0;
    if (this.inputDroppedOut) {
      const inputMask = this.ws.inputMask;
      multiply(X, X, inputMask, B * D);
    }
    const input = this.preprocessing ? this.ws.Xp : X;
    if (this.preprocessing) preprocessForward(this.preprocessing, X, input, B, this.ws.scratch);
    // z = W·x + b for every window at once: Z = X·Wᵀ + 1·bᵀ, the bias added as Z is written.
    affine(B, H, D, input, W, b, Z);
    this.activation.forward(A, Z, B * H);
    this.droppedOut = train && this.dropout > 0;
    let Ad = A;
    if (this.droppedOut) {
      Ad = this.ws.Ad;
      multiply(Ad, A, mask, B * H);
    }
    affine(B, K, H, Ad, U, c, S);
    return S.subarray(0, B * K);
  }

  /**
   * Adds ∂J/∂θ for the last forward pass into `grads` and the tables' sparse gradients,
   * given dS = ∂J/∂S (B×K). `ids` must be the ids of that forward pass.
   */
  backward(dS: FloatArray, ids: Int32Array, B: number): void {
    const { Z, A, mask, dA, dX } = this.ws;
    const input = this.preprocessing ? this.ws.Xp : this.ws.X;
    const { D, H, K } = this;
    const Ad = this.droppedOut ? this.ws.Ad : A;
    const g = this.grads;
    // s = U·a + c:  ∂U = dSᵀ·a (K×H), ∂c = Σ_b dS, ∂a = dS·U (B×H)
    gemm(true, false, K, H, B, 1, dS, Ad, 1, g.U);
    addColumnSums(g.c, dS, B, K);
    if (this.backwardInChunks(dS, ids, B)) return;
    gemm(false, false, B, H, K, 1, dS, this.params.U, 0, dA);
    // Dropped units pass no gradient; kept ones carry the same 1/(1−p) scale as forward.
    if (this.droppedOut) multiply(dA, dA, mask, B * H);
    // a = f(z):  ∂z = ∂a ⊙ f′(z)
    this.activation.backward(dA, Z, A, B * H);
    // z = W·x + b:  ∂W = ∂zᵀ·x (H×D), ∂b = Σ_b ∂z, ∂x = ∂z·W (B×D)
    gemm(true, false, H, D, B, 1, dA, input, 1, g.W);
    addColumnSums(g.b, dA, B, H);
    if (!this.tables.some((t) => t.trainable)) return;
    if (this.preprocessing) {
      // x' = A(x − μ):  ∂x = ∂x'·A, so the embeddings still learn through the fixed map.
      const dXp = this.ws.scratch;
      gemm(false, false, B, D, H, 1, dA, this.params.W, 0, dXp);
      preprocessBackward(this.preprocessing, dXp, dX, B);
    } else {
      gemm(false, false, B, D, H, 1, dA, this.params.W, 0, dX);
    }
    if (this.inputDroppedOut) {
      multiply(dX, dX, this.ws.inputMask, B * D);
    }
    this.scatter(dX, ids, B);
  }

  /**
   * The forward pass as fused chunks (wat-step.ts), when the kernels can run it: float32,
   * tanh, no preprocessing or input dropout, everything in the kernels' memory. The same
   * bits as the kernel-by-kernel pass below; false, having done nothing, otherwise.
   */
  private forwardInChunks(ids: Int32Array, B: number, train: boolean): boolean {
    this.forwardFused = false;
    if (train && this.inputDropout > 0) return false;
    const chunks = this.boundChunks();
    const pIds = chunks ? chunks.memory.pointer(ids) : -1;
    if (!chunks || pIds < 0) return false;
    const { D, H, K } = this;
    this.droppedOut = train && this.dropout > 0;
    this.inputDroppedOut = false;
    chunks.set('pIds', pIds);
    chunks.set('B', B);
    chunks.set('pMask', this.droppedOut ? chunks.memory.pointer(this.ws.mask) : 0);
    chunks.forward(B, 2 * B * H * (D + K));
    this.forwardFused = true;
    return true;
  }

  /** ∂Z, ∂W, ∂b and ∂X of a fused forward pass as fused chunks; false, having done nothing, when it cannot. */
  private backwardInChunks(dS: FloatArray, ids: Int32Array, B: number): boolean {
    const chunks = this.forwardFused ? this.boundChunks() : null;
    const pdS = chunks && dS instanceof Float32Array ? chunks.memory.pointer(dS) : -1;
    if (!chunks || pdS < 0) return false;
    const { D, H, K } = this;
    const trainable = this.tables.some((t) => t.trainable);
    chunks.set('pdS', pdS);
    chunks.set('pdX', trainable ? chunks.memory.pointer(this.ws.dX) : 0);
    chunks.set('B', B);
    chunks.backwardRows(B, 2 * B * H * (K + (trainable ? D : 0)));
    chunks.weightGradients(D, 2 * H * D * B);
    if (trainable) this.scatter(this.ws.dX, ids, B);
    return true;
  }

  /** The fused chunks with this workspace's and these parameters' addresses set, or null when they cannot run this model. */
  private boundChunks(): StepChunks | null {
    if (this.dtype !== 'float32' || this.activation.name !== 'tanh' || this.preprocessing) return null;
    if (this.stepChunks === undefined) this.stepChunks = StepChunks.create();
    const chunks = this.stepChunks;
    if (!chunks || !chunks.current) return null;
    if (this.chunksBoundTo === this.ws) return chunks;
    const { memory } = chunks;
    const descriptors = this.gatherDescriptors(memory);
    const { X, Z, A, Ad, S, dA, dX, mask } = this.ws;
    const { W, b, U, c } = this.params;
    const addresses = { pX: X, pW: W, pb: b, pZ: Z, pA: A, pAd: Ad, pU: U, pc: c, pS: S, pdA: dA, pgW: this.grads.W, pgb: this.grads.b } as const;
    for (const array of [...Object.values(addresses), dX, mask]) if (memory.pointer(array) < 0) return null;
    if (!descriptors) return null;
    for (const [slot, array] of Object.entries(addresses) as [keyof typeof addresses, FloatArray][]) chunks.set(slot, memory.pointer(array));
    chunks.set('pTables', memory.pointer(descriptors));
    chunks.set('w', this.positions);
    chunks.set('T', this.tables.length);
    chunks.set('D', this.D);
    chunks.set('P', this.P);
    chunks.set('H', this.H);
    chunks.set('K', this.K);
    this.chunksBoundTo = this.ws;
    return chunks;
  }

  zeroGrad(): void {
    fillZero(this.grads.data);
    for (const tg of this.tableGrads) tg.clear();
  }

  /** x for each window: the rows of every table at every position, concatenated. */
  private gather(X: FloatArray, ids: Int32Array, B: number): void {
    const { positions: w, P, D, tables, tableOffsets } = this;
    const T = tables.length;
    if (this.gatherOnKernels(X, ids, B)) return;
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < w; j++) {
        const base = (n * w + j) * T;
        const out = n * D + j * P;
        for (let t = 0; t < T; t++) {
          const table = tables[t];
          const dim = table.dim;
          const src = ids[base + t] * dim;
          const dst = out + tableOffsets[t];
          const data = table.data;
          for (let e = 0; e < dim; e++) X[dst + e] = data[src + e];
        }
      }
    }
  }

  /**
   * gather on the kernel, when X, the ids and every table live in the kernels' memory;
   * false, having done nothing, otherwise. Ids were checked against their tables when the
   * windows were encoded; the kernel reads them as they are.
   */
  private gatherOnKernels(X: FloatArray, ids: Int32Array, B: number): boolean {
    const kernels = X instanceof Float32Array ? elementwiseKernels() : null;
    if (!kernels) return false;
    const { memory } = kernels;
    const pX = memory.pointer(X);
    const pIds = memory.pointer(ids);
    if (pX < 0 || pIds < 0) return false;
    const descriptors = this.gatherDescriptors(memory);
    if (!descriptors) return false;
    kernels.gather(pX, pIds, B, this.positions, this.tables.length, this.D, this.P, memory.pointer(descriptors));
    return true;
  }

  /** Each table's (data address, dim, offset) for the gather kernel, in its memory; null when a table lives elsewhere. */
  private gatherDescriptors(memory: KernelMemory): Int32Array | null {
    if (this.tableDescriptors) return this.tableDescriptors;
    const T = this.tables.length;
    const descriptors = kernelInt32s(3 * T);
    for (let t = 0; t < T; t++) {
      const pData = memory.pointer(this.tables[t].data);
      if (pData < 0) return null;
      descriptors[3 * t] = pData;
      descriptors[3 * t + 1] = this.tables[t].dim;
      descriptors[3 * t + 2] = this.tableOffsets[t];
    }
    if (memory.pointer(descriptors) < 0) return null;
    this.tableDescriptors = descriptors;
    return descriptors;
  }

  /** ∂x back into the rows it was gathered from (a row used twice gets both gradients). */
  private scatter(dX: FloatArray, ids: Int32Array, B: number): void {
    const { positions: w, P, D, tables, tableOffsets, tableGrads } = this;
    const T = tables.length;
    if (this.scatterOnKernels(dX, ids, B)) return;
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < w; j++) {
        const base = (n * w + j) * T;
        for (let t = 0; t < T; t++) {
          if (!tables[t].trainable) continue;
          tableGrads[t].add(ids[base + t], dX, n * D + j * P + tableOffsets[t]);
        }
      }
    }
  }

  /**
   * scatter on the kernel, table by table (each table's rows get their slots in the same
   * order as the loop gives them), when ∂x, the ids and every trainable table's sparse
   * gradient live in the kernels' memory; false, having done nothing, otherwise.
   */
  private scatterOnKernels(dX: FloatArray, ids: Int32Array, B: number): boolean {
    const kernels = dX instanceof Float32Array ? elementwiseKernels() : null;
    if (!kernels) return false;
    const { memory } = kernels;
    const pdX = memory.pointer(dX);
    const pIds = memory.pointer(ids);
    if (pdX < 0 || pIds < 0) return false;
    const { positions: w, P, D, tables, tableOffsets, tableGrads } = this;
    const T = tables.length;
    for (let t = 0; t < T; t++) {
      if (!tables[t].trainable) continue;
      const tg = tableGrads[t];
      tg.reserve(B * w);
      if (memory.pointer(tg.slotOf) < 0 || memory.pointer(tg.rowIds) < 0 || memory.pointer(tg.grad) < 0) return false;
    }
    for (let t = 0; t < T; t++) {
      if (!tables[t].trainable) continue;
      const tg = tableGrads[t];
      tg.count = kernels.scatter_rows(pdX, pIds, B, w, T, t, D, P, tableOffsets[t], tables[t].dim, memory.pointer(tg.slotOf), memory.pointer(tg.rowIds), memory.pointer(tg.grad), tg.count);
    }
    return true;
  }

  private ensureCapacity(B: number): void {
    if (B > this.ws.capacity) this.ws = this.allocateWorkspace(B);
  }

  private allocateWorkspace(B: number): Workspace {
    const { D, H, K, dtype } = this;
    const A = allocateForKernels(dtype, B * H);
    return {
      capacity: B,
      X: allocateForKernels(dtype, B * D),
      Xp: allocateForKernels(dtype, B * D),
      scratch: allocateForKernels(dtype, B * D),
      Z: allocateForKernels(dtype, B * H),
      A,
      Ad: allocateForKernels(dtype, B * H),
      mask: allocateForKernels(dtype, B * H).fill(1),
      inputMask: allocateForKernels(dtype, B * D).fill(1),
      S: allocateForKernels(dtype, B * K),
      dA: allocateForKernels(dtype, B * H),
      dX: allocateForKernels(dtype, B * D),
    };
  }
}

/** out[i] = a[i]·b[i] for i < n (out may be a or b): on the kernel when the arrays live in its memory. */
function multiply(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
  if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && multiplyInKernels(out, a, b, n)) return;
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/** Inverted dropout: each entry kept with probability 1−p and then scaled by 1/(1−p), else 0. */
function fillDropoutMask(mask: FloatArray, p: number, rng: Rng): void {
  const keep = 1 - p;
  const scale = 1 / keep;
  rng.fillBernoulli(mask, mask.length, keep, scale, 0);
}
