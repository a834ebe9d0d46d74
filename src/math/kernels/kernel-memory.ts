import { MAX_PAGES } from './tiles.js';
import { PAGE, type WasmMemory } from './wasm-api.js';

/**
 * Float32 arrays that live in the kernels' shared memory, so that a kernel reads and
 * writes them where they are instead of through copies: the model's parameters, their
 * gradients, the optimiser's state and the step's work buffers. To JavaScript they are
 * ordinary Float32Arrays (views of the memory's SharedArrayBuffer).
 *
 * Blocks are multiples of 64 bytes (a cache line, so no two arrays share one), placed
 * first-fit by a FreeList. A block returns to the list when its view is garbage-collected
 * (FinalizationRegistry), so a long-lived process (a test run, a program training many
 * models) reuses the memory of the models it dropped.
 *
 * The one rule that comes with it: keep the view that `alloc` returned alive for as long
 * as a subarray of it is in use. A subarray references the memory, not its parent view,
 * so it does not keep the block allocated. Every owner here (parameters, workspaces,
 * optimiser state) holds its parent views for its lifetime.
 */

const BLOCK = 64;

export class KernelMemory {
  private readonly buffers = new Set<SharedArrayBuffer>();
  private readonly blocks: FreeList;
  private readonly registry = new FinalizationRegistry<{ start: number; end: number }>((block) => this.blocks.release(block.start, block.end));

  constructor(private readonly memory: WasmMemory, reservedBytes: number) {
    this.blocks = new FreeList(Math.ceil(reservedBytes / BLOCK) * BLOCK, (end) => this.ensure(end));
    this.buffers.add(memory.buffer);
  }

  /** A zero-filled Float32Array of n elements in the memory, or null when the memory cannot grow that far. */
  alloc(n: number): Float32Array | null {
    return this.allocView(n, Float32Array);
  }

  /** The same for int32 values (the block is held by the Int32Array itself). */
  allocInt32(n: number): Int32Array | null {
    return this.allocView(n, Int32Array);
  }

  private allocView<V extends Float32Array | Int32Array>(n: number, Kind: new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => V): V | null {
    const bytes = Math.max(BLOCK, Math.ceil((4 * n) / BLOCK) * BLOCK);
    const start = this.blocks.take(bytes);
    if (start < 0) return null;
    const view = new Kind(this.memory.buffer, start, n);
    // A reused block holds an old array's values. (fill on shared memory is slow, but
    // allocation is rare.)
    view.fill(0);
    this.registry.register(view, { start, end: start + bytes }, view);
    return view;
  }

  /**
   * Returns the block of a view `alloc` gave out, now instead of when the view is
   * collected: for owners of large temporary arrays (the tagging tables), since the garbage
   * collector does not see this memory and may take long to collect their views. The view
   * and every subarray of it must not be used afterwards. False (nothing done) for a view
   * that is not such a block or was freed already.
   */
  free(view: Float32Array | Int32Array): boolean {
    if (!this.registry.unregister(view)) return false;
    const bytes = Math.max(BLOCK, Math.ceil((4 * view.length) / BLOCK) * BLOCK);
    this.blocks.release(view.byteOffset, view.byteOffset + bytes);
    return true;
  }

  /** The byte address of `a` in the memory, or −1 when it is not a view of it. */
  pointer(a: ArrayBufferView): number {
    return this.buffers.has(a.buffer as SharedArrayBuffer) ? a.byteOffset : -1;
  }

  /** Bytes handed out and not yet collected. */
  get bytesInUse(): number {
    return this.blocks.inUse;
  }

  /** Grows the memory to at least `bytes`; false when that passes its maximum. */
  private ensure(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return false;
    this.memory.grow(pages);
    // A shared memory never detaches old views; the grown one comes as a new buffer object.
    this.buffers.add(this.memory.buffer);
    return true;
  }
}

/**
 * First-fit placement of blocks in [base, ∞): free ranges sorted by start and merged with
 * their neighbours on release; a range that reaches the top goes back to never-used space.
 * `grow(end)` is asked before space up to `end` is first used, and may refuse.
 */
export class FreeList {
  private readonly free: { start: number; end: number }[] = [];
  private top: number;
  inUse = 0;

  constructor(base: number, private readonly grow: (end: number) => boolean) {
    this.top = base;
  }

  /** The start of a free block of `bytes`, or −1 when there is none and growing was refused. */
  take(bytes: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      const range = free[i];
      if (range.end - range.start < bytes) continue;
      const start = range.start;
      range.start += bytes;
      if (range.start === range.end) free.splice(i, 1);
      this.inUse += bytes;
      return start;
    }
    const start = this.top;
    if (!this.grow(start + bytes)) return -1;
    this.top = start + bytes;
    this.inUse += bytes;
    return start;
  }

  release(start: number, end: number): void {
    this.inUse -= end - start;
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i].start < start) i++;
    const before = i > 0 ? free[i - 1] : null;
    const after = i < free.length ? free[i] : null;
    if (before && before.end === start) {
      before.end = end;
      if (after && after.start === end) {
        before.end = after.end;
        free.splice(i, 1);
      }
    } else if (after && after.start === end) {
      after.start = start;
    } else {
      free.splice(i, 0, { start, end });
    }
    const last = free[free.length - 1];
    if (last && last.end === this.top) {
      this.top = last.start;
      free.pop();
    }
  }

  /** The end of the space ever used and still reachable (tests). */
  get used(): number {
    return this.top;
  }

  /** Free ranges below the top, for tests. */
  get ranges(): readonly { start: number; end: number }[] {
    return this.free;
  }
}
