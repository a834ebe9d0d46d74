import { Worker } from 'node:worker_threads';
import { KERNEL_NAMES, type LoadedKernels } from './module.js';

/**
 * Helper threads for the kernels. Each worker instantiates the same compiled module over
 * the same shared memory. A GEMM is cut into chunks of output rows or columns; the
 * calling thread publishes them in a control block at the start of that memory, and
 * every thread, the caller included, claims chunks one at a time with a compare-and-swap
 * on a ticket until none is left. The caller then waits only for chunks that a helper has
 * already started, and returns when all are done, so callers stay synchronous.
 *
 * Why claiming instead of handing each thread its part: on a shared 2-core machine a
 * helper may be descheduled, or (as seen under tsx) not even started yet; with claims the
 * caller simply does the work itself instead of waiting for it. Every chunk computes its
 * elements with the same instructions whoever runs it (see the bitwise contract in
 * wat.ts), so results do not depend on the thread count or on who claimed what.
 *
 * Helpers sleep in Atomics.wait between jobs (see CALLER_SPIN_US for why they do not
 * poll); a helper woken late just finds fewer chunks left. They are unref'd, so they never
 * keep the process alive; with one thread none exists.
 */

/** Bytes reserved at the start of the memory for the control block. */
export const CONTROL_BYTES = 4096;
export const MAX_THREADS = 16;
/** Chunks one job can be cut into (at most 255: the count is a byte of the ticket). */
export const MAX_CHUNKS = 64;

// Int32 slots of the control block; the ticket, the done counter and the rest sit on
// separate cache lines so that claiming does not slow down the threads reading the rest.
// The ticket is one word, so that a claim (a compare-and-swap of it) always sees the job,
// its chunk count and the next chunk together: (job << 16) | (chunks << 8) | next.
const TICKET = 0;
const DONE = 16; // chunks of the current job finished
const OP = 33;
const FAILED = 35; // set when a helper's kernel call threw
const HELPED = 36; // chunks run by helpers so far (statistics, for tests)
const SPIN = 40; // microseconds a helper polls for the next job before it sleeps
const ALIVE = 48; // ALIVE + id: the generation of the helper that should run as id; anything else tells it to leave
const STARTED = 64; // STARTED + id: the generation of helper id once it has started
const ARGS = 96; // chunk c's 12 arguments at ARGS + 12·c

/** Which kernel a chunk runs: the index into LoadedKernels.kernels and KERNEL_NAMES. */
export const OP_NT = 0;
export const OP_NN = 1;
export const OP_TN = 2;

/**
 * Microseconds the caller polls for helpers' chunks before it sleeps. Helpers never poll:
 * they sleep in Atomics.wait as soon as there is nothing to claim. Polling helpers were
 * measured to hurt on a busy machine (this is a VM: a polling vCPU takes host time the
 * caller's vCPU needs): training on two threads ran at 0.65× one thread's speed with helpers
 * polling 20 µs after each job and 0.3–0.5× with 200 µs, against 1.0× without.
 */
const CALLER_SPIN_US = 20;

/**
 * The helper's source, run with `eval` so it needs no file path (the same from src/, from
 * the bundle and from an installed package). CommonJS, as eval workers are.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, id, gen } = workerData;
const ctl = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
const flt = new Float32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
const { exports } = new WebAssembly.Instance(module, { env: { memory } });
const kernels = ${JSON.stringify(KERNEL_NAMES)}.map((name) => exports[name]);
Atomics.store(ctl, ${STARTED} + id, gen);
Atomics.notify(ctl, ${STARTED} + id);
const alive = () => Atomics.load(ctl, ${ALIVE} + id) === gen;
let lastJob = -1;
while (alive()) {
  const t = Atomics.load(ctl, ${TICKET});
  const job = t >>> 16;
  const next = t & 255;
  if (job !== lastJob && next < ((t >>> 8) & 255)) {
    if (Atomics.compareExchange(ctl, ${TICKET}, t, t + 1) !== t) continue;
    const a = ${ARGS} + 12 * next;
    try {
      kernels[ctl[${OP}]](ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7], ctl[a + 8], flt[a + 9], flt[a + 10], ctl[a + 11]);
    } catch (error) {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${HELPED}, 1);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
    continue;
  }
  lastJob = job;
  const spin = Atomics.load(ctl, ${SPIN});
  if (spin > 0) {
    const until = performance.now() + spin / 1000;
    while (Atomics.load(ctl, ${TICKET}) === t && performance.now() < until);
    if (Atomics.load(ctl, ${TICKET}) !== t) continue;
  }
  // Nothing to claim: sleep until the ticket changes (returns at once if it already has).
  Atomics.wait(ctl, ${TICKET}, t);
}
`;

/**
 * The 12 arguments of a kernel call, in the order of the kernels' common signature
 * (M, N, K, pA, lda, pB, ldb, pC, ldc, alpha, beta, pBias); alpha and beta, at 9 and 10,
 * are f32 and travel through the control block's Float32Array view.
 */
export type KernelArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

/** Generations tell a helper that has been asked to leave from its successor under the same id. */
let generation = 0;

/** The threads of each loaded instance (by its exports), so that ops other than gemm's can share them. */
const threadsByExports = new WeakMap<Record<string, unknown>, KernelThreads>();

/**
 * The helper threads working on this instance's memory (setKernelThreads starts them), or
 * null when none were ever asked for. Ops other than the GEMMs (tagging.ts) run chunks on them.
 */
export function kernelThreadsOf(exports: Record<string, unknown>): KernelThreads | null {
  return threadsByExports.get(exports) ?? null;
}

export class KernelThreads {
  private readonly ctl: Int32Array;
  private readonly flt: Float32Array;
  /** Generation of each running helper, by id. */
  private readonly workers: number[] = [];
  private job = 0;

  constructor(private readonly kernels: LoadedKernels) {
    this.ctl = new Int32Array(kernels.memory.buffer, 0, CONTROL_BYTES / 4);
    this.flt = new Float32Array(kernels.memory.buffer, 0, CONTROL_BYTES / 4);
    threadsByExports.set(kernels.exports, this);
  }

  /** Helper threads (the caller not included). */
  get helpers(): number {
    return this.workers.length;
  }

  /** Chunks run by helpers so far. */
  get helped(): number {
    return Atomics.load(this.ctl, HELPED);
  }

  /** Starts or stops helpers so that `threads` threads (the caller included) share the work. */
  resize(threads: number): void {
    const wanted = Math.max(0, Math.min(threads, MAX_THREADS) - 1);
    while (this.workers.length > wanted) {
      // Asked to leave rather than terminated, so it finishes a chunk it may hold, then exits.
      this.workers.pop();
      Atomics.store(this.ctl, ALIVE + this.workers.length, 0);
      Atomics.notify(this.ctl, TICKET);
    }
    if (this.workers.length < wanted) Atomics.store(this.ctl, FAILED, 0);
    while (this.workers.length < wanted) this.workers.push(this.start(this.workers.length));
  }

  /** Blocks until every helper has started or `timeoutMs` passes; true if they all have. */
  waitUntilReady(timeoutMs: number): boolean {
    const until = performance.now() + timeoutMs;
    for (let id = 0; id < this.workers.length; id++) {
      for (;;) {
        const started = Atomics.load(this.ctl, STARTED + id);
        if (started === this.workers[id]) break;
        const left = until - performance.now();
        if (left <= 0) return false;
        // Helpers start on their own threads; blocking here does not hold them up.
        Atomics.wait(this.ctl, STARTED + id, started, Math.min(left, 10));
      }
    }
    return true;
  }

  /** Microseconds helpers poll for the next job before sleeping (0: they sleep at once). */
  setHelperSpin(us: number): void {
    Atomics.store(this.ctl, SPIN, Math.max(0, Math.round(us)));
  }

  /** Argument slots of chunk c, to be filled before `run`. */
  setChunk(c: number, args: KernelArgs): void {
    const a = ARGS + 12 * c;
    for (let i = 0; i < 12; i++) {
      if (i === 9 || i === 10) this.flt[a + i] = args[i];
      else this.ctl[a + i] = args[i];
    }
  }

  /**
   * Runs chunks 0..chunks−1 (set with setChunk) on this thread and any helper that claims
   * some; returns when all are done. `call` runs one chunk on this thread. Returns false
   * if a helper's call failed (the caller must then redo the whole product).
   */
  run(op: number, chunks: number, call: (c: number) => void): boolean {
    const { ctl } = this;
    ctl[OP] = op;
    Atomics.store(ctl, DONE, 0);
    this.job = (this.job + 1) & 0x7fff;
    const ticket = (this.job << 16) | (chunks << 8);
    Atomics.store(ctl, TICKET, ticket);
    Atomics.notify(ctl, TICKET);
    for (let t = ticket; (t & 255) < chunks; t = Atomics.load(ctl, TICKET)) {
      if (Atomics.compareExchange(ctl, TICKET, t, t + 1) !== t) continue;
      call(t & 255);
      Atomics.add(ctl, DONE, 1);
    }
    // Every chunk is claimed; wait for those still running on helpers.
    let until = 0;
    for (let n = 1, done = Atomics.load(ctl, DONE); done < chunks; n++, done = Atomics.load(ctl, DONE)) {
      if ((n & 255) !== 0) continue;
      const now = performance.now();
      if (until === 0) until = now + CALLER_SPIN_US;
      else if (now > until) Atomics.wait(ctl, DONE, done, 10);
    }
    return Atomics.load(ctl, FAILED) === 0;
  }

  private start(id: number): number {
    const gen = ++generation;
    Atomics.store(this.ctl, ALIVE + id, gen);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Plain CommonJS needs none of the parent's flags (a loader such as tsx's would
      // only slow its start).
      execArgv: [],
      workerData: { module: this.kernels.module, memory: this.kernels.memory, id, gen },
    });
    // A helper that dies (it cannot start, say) only leaves its chunks to the others;
    // the listener keeps its error from becoming an uncaught exception of the process.
    worker.on('error', () => undefined);
    worker.unref();
    return gen;
  }
}
