/**
 * The part of the WebAssembly JS API the kernels use, typed here because the project
 * compiles against lib ES2022 + @types/node 20, which declare no `WebAssembly` global.
 * Typing it locally (instead of adding lib "dom") keeps browser globals out of the rest
 * of the code.
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module: opaque here; it is handed to instances and to worker threads. */
export interface WasmModule {
  readonly compiledModule: true;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmGlobal {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => WasmInstance;
}

/** The runtime's WebAssembly object, or null where there is none. */
export const wasmApi: WasmGlobal | null = (globalThis as unknown as { WebAssembly?: WasmGlobal }).WebAssembly ?? null;

/** Bytes per WebAssembly page. */
export const PAGE = 65536;
