import { KERNELS_WASM_BASE64 } from './ner-kernels.generated.js';
import { MAX_PAGES } from './tiles.js';
import { wasmApi, type WasmMemory, type WasmModule } from './wasm-api.js';

/**
 * Loads the SIMD kernels synchronously, into a shared memory that worker threads can
 * instantiate the same module over. The bytes come from ner-kernels.generated.ts, which
 * the build (and the test setup) assembles from wat.ts. A runtime that cannot compile
 * them → null, and gemm keeps the plain TypeScript kernels.
 */

/** gemm_nt, gemm_nn, gemm_tn (M, N, K, pA, lda, pB, ldb, pC, ldc, alpha, beta, pBias): see wat.ts. */
export type Kernel = (M: number, N: number, K: number, pA: number, lda: number, pB: number, ldb: number, pC: number, ldc: number, alpha: number, beta: number, pBias: number) => void;

/** The kernels' export names, indexed by op (OP_NT, OP_NN, OP_TN in threads.ts; tag_windows's op is its index, tagging.ts). */
export const KERNEL_NAMES = ['gemm_nt', 'gemm_nn', 'gemm_tn', 'tag_windows', 'ew_chunk', 'step_chunk'] as const;

export interface LoadedKernels {
  module: WasmModule;
  memory: WasmMemory;
  /** By op: NT, NN, TN (threads.ts), then tag_windows (tagging.ts). */
  kernels: Kernel[];
  /** Every export of the instance, by name (the element-wise and tagging kernels are looked up here). */
  exports: Record<string, unknown>;
}


export function exportedFunction<F>(exports: Record<string, unknown>, name: string): F {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`kernels: no export ${name}`);
  return f as F;
}

/** Why the kernels are not in use, when they are not (for kernelInfo). */
export let unavailableReason: string | null = null;

export function loadKernels(): LoadedKernels | null {
  if (!wasmApi) {
    unavailableReason = 'this runtime has no WebAssembly';
    return null;
  }
  try {
    const module = new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    const memory = new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const { exports } = new wasmApi.Instance(module, { env: { memory } });
    return { module, memory, kernels: KERNEL_NAMES.map((name) => exportedFunction<Kernel>(exports, name)), exports };
  } catch (error) {
    unavailableReason = `the WebAssembly kernels did not load: ${(error as Error).message}`;
    return null;
  }
}
