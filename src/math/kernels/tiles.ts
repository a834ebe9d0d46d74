/**
 * Shapes shared by the kernel generator (wat.ts) and the code that calls the kernels:
 * register tile sizes (thread splits fall on whole tiles) and the memory's size limit.
 */

/** NT tile: rows of A × rows of B (columns of C). 8 accumulators: see the register budget in wat.ts. */
export const NT_ROWS = 2;
export const NT_COLS = 4;
/** NT walks C in column blocks this wide, so the block's rows of B stay in L1 while every row of A passes. */
export const NT_COL_BLOCK = 16;
/** Broadcast (NN, TN) tile: rows of C × f32x4 vectors of columns. */
export const BC_ROWS = 4;
export const BC_VECS = 2;

/** Pages of 64 KiB the shared memory may grow to (1 GiB); a larger product uses the plain kernel. */
export const MAX_PAGES = 16384;
