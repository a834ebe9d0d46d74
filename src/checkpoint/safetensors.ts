/**
 * The safetensors file format (https://github.com/huggingface/safetensors), for the
 * three dtypes ner-train stores:
 *
 *   bytes 0..8        N, the header length, a little-endian u64
 *   bytes 8..8+N      a UTF-8 JSON object {name: {dtype, shape, data_offsets: [begin, end]},
 *                     "__metadata__": {string: string}} padded with spaces to a multiple of 8
 *   bytes 8+N..       the data buffer: every tensor's bytes, little-endian, row-major;
 *                     data_offsets are relative to the start of this buffer
 *
 * The reader follows the reference implementation's rules (safetensors/src/tensor.rs):
 * a header of at most 100,000,000 bytes, tensors laid out back to back from offset 0
 * with no gaps or overlaps and ending exactly at the end of the file, and
 * end - begin == product(shape) * itemsize. Tensors need not be listed in offset order.
 */
import { UserError } from '../errors.js';

export type DType = 'F32' | 'F64' | 'I32';
export type TensorData = Float32Array | Float64Array | Int32Array;
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** The reference reader refuses larger headers (a guard against header bombs); so do we. */
export const MAX_HEADER_SIZE = 100_000_000;

const METADATA_KEY = '__metadata__';
const PREFIX_BYTES = 8;
const HEADER_ALIGNMENT = 8;

interface DTypeInfo {
  itemsize: number;
  create(buffer: ArrayBuffer): TensorData;
  matches(data: TensorData): boolean;
}

const DTYPES: Record<DType, DTypeInfo> = {
  F32: { itemsize: 4, create: (b) => new Float32Array(b), matches: (d) => d instanceof Float32Array },
  F64: { itemsize: 8, create: (b) => new Float64Array(b), matches: (d) => d instanceof Float64Array },
  I32: { itemsize: 4, create: (b) => new Int32Array(b), matches: (d) => d instanceof Int32Array },
};

/** Dtypes the format defines but ner-train never writes: named so the error can say "unsupported", not "unknown". */
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2',
  'I16', 'U16', 'F16', 'BF16', 'U32', 'I64', 'U64', 'C64',
]);

function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** The file format is little-endian; typed arrays use the host's byte order. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `itemsize`-byte group in place (only ever needed on a big-endian host). */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  for (let i = 0; i < bytes.length; i += itemsize) {
    bytes.subarray(i, i + itemsize).reverse();
  }
}

/** Element count of a shape; the scalar shape [] holds one element. */
function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, dim) => count * dim, 1);
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

function tensorEntries(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

/** Encoding bad tensors is a bug in the caller, not the user's fault: plain Errors. */
function checkTensorForEncoding(name: string, tensor: Tensor): void {
  if (name === METADATA_KEY) {
    throw new Error(`safetensors: a tensor cannot be named ${METADATA_KEY}`);
  }
  if (!isDType(tensor.dtype) || !DTYPES[tensor.dtype].matches(tensor.data)) {
    throw new Error(`safetensors: tensor ${name} has dtype ${String(tensor.dtype)} but data ${tensor.data.constructor.name}`);
  }
  if (!tensor.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new Error(`safetensors: tensor ${name} has an invalid shape [${tensor.shape.join(', ')}]`);
  }
  if (elementCount(tensor.shape) !== tensor.data.length) {
    throw new Error(
      `safetensors: tensor ${name} has shape [${tensor.shape.join(', ')}] but ${tensor.data.length} values`,
    );
  }
}

/** A tensor's bytes in little-endian order (a view when the host is little-endian, else a swapped copy). */
function littleEndianBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return view;
  const copy = Uint8Array.from(view);
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/**
 * The JSON header, written key by key rather than with JSON.stringify(object) because
 * JS objects move integer-like keys ("0", "12") to the front: building the text by hand
 * keeps the tensors in the order given, with __metadata__ first as the reference writer does.
 */
function headerJson(entries: [string, Tensor][], offsets: [number, number][], metadata?: Record<string, string>): string {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const fields = Object.entries(metadata).map(([key, value]) => {
      if (typeof value !== 'string') throw new Error(`safetensors: metadata ${key} is not a string`);
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(',')}}`);
  }
  entries.forEach(([name, tensor], i) => {
    const info = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: offsets[i] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  });
  return `{${parts.join(',')}}`;
}

/** Encode in the safetensors format (https://github.com/huggingface/safetensors): 8-byte little-endian u64 header size N, then N bytes of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}} padded with spaces so the data starts 8-byte aligned, then the tensor bytes little-endian, in the order given. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Buffer {
  return Buffer.concat(encodeSafetensorsParts(tensors, metadata));
}

/**
 * The bytes of encodeSafetensors as consecutive parts: the header, then each tensor's
 * data as a view of the tensor itself (on a little-endian host), so a large file can be
 * hashed and written without a second copy of every tensor in memory. The views are only
 * valid while the tensors are left unchanged.
 */
export function encodeSafetensorsParts(
  tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const entries = tensorEntries(tensors);
  const offsets: [number, number][] = [];
  let dataLength = 0;
  for (const [name, tensor] of entries) {
    checkTensorForEncoding(name, tensor);
    offsets.push([dataLength, dataLength + tensor.data.byteLength]);
    dataLength += tensor.data.byteLength;
  }

  const json = Buffer.from(headerJson(entries, offsets, metadata), 'utf8');
  // Spaces are JSON whitespace, so the padded header still parses; the reference writer pads the same way.
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const header = Buffer.alloc(PREFIX_BYTES + headerLength);
  header.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(header, PREFIX_BYTES);
  header.fill(0x20, PREFIX_BYTES + json.length);
  return [header, ...entries.map(([, tensor]) => littleEndianBytes(tensor.data))];
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Reads N and checks that the header fits in the file; returns N. */
function readHeaderLength(bytes: Uint8Array, source: string): number {
  if (bytes.length < PREFIX_BYTES) {
    throw new UserError(
      `${source}: not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`,
      { hint: 'the file is truncated or empty' },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new UserError(`${source}: header length ${n} is larger than the safetensors limit of ${MAX_HEADER_SIZE} bytes`, {
      hint: 'the file is not a safetensors file or is corrupt',
    });
  }
  const length = Number(n);
  if (PREFIX_BYTES + length > bytes.length) {
    throw new UserError(`${source}: header length ${length} is larger than the file (${bytes.length} bytes)`, {
      hint: 'the file is truncated or not a safetensors file',
    });
  }
  return length;
}

/** Decodes the header text (strict UTF-8) and parses it as a JSON object. */
function parseHeaderObject(bytes: Uint8Array, headerLength: number, source: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch {
    throw new UserError(`${source}: safetensors header is not valid UTF-8`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`${source}: safetensors header is not valid JSON (${reason})`, {
      hint: 'the file is corrupt or not a safetensors file',
    });
  }
  if (!isPlainObject(parsed)) {
    throw new UserError(`${source}: safetensors header is ${describe(parsed)}, expected a JSON object`);
  }
  return parsed;
}

function parseMetadata(value: unknown, source: string): Record<string, string> {
  // The reference reader models __metadata__ as Option<map>, so null means "none".
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    throw new UserError(`${source}: ${METADATA_KEY} is ${describe(value)}, expected an object of strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new UserError(`${source}: ${METADATA_KEY}.${key} is ${describe(item)}, expected a string`);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseDType(name: string, value: unknown, source: string): DType {
  if (isDType(value)) return value;
  if (typeof value === 'string' && OTHER_SAFETENSORS_DTYPES.has(value)) {
    throw new UserError(`${source}: tensor ${name} has dtype ${value}, which ner-train does not read (it reads F32, F64, I32)`);
  }
  throw new UserError(`${source}: tensor ${name} has unknown dtype ${describe(value)} (expected F32, F64 or I32)`);
}

/** Validates one tensor's header entry on its own (the layout of all of them is checked later). */
function parseEntry(name: string, value: unknown, source: string): HeaderEntry {
  if (!isPlainObject(value)) {
    throw new UserError(`${source}: tensor ${name} is ${describe(value)}, expected {dtype, shape, data_offsets}`);
  }
  const dtype = parseDType(name, value.dtype, source);
  const { shape, data_offsets: offsets } = value;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new UserError(`${source}: tensor ${name} has shape ${describe(shape)}, expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new UserError(`${source}: tensor ${name} has data_offsets ${describe(offsets)}, expected [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new UserError(`${source}: tensor ${name} has data_offsets [${begin}, ${end}] that end before they begin`);
  }
  const count = elementCount(shape as number[]);
  const expected = count * DTYPES[dtype].itemsize;
  if (!Number.isSafeInteger(expected) || end - begin !== expected) {
    throw new UserError(
      `${source}: tensor ${name} has ${end - begin} bytes of data but ${dtype} shape [${shape.join(', ')}] needs ${expected}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Checks that the tensors tile the data buffer exactly: sorted by offset, each begins
 * where the previous ended, and the last ends at the end of the file. This rules out
 * gaps, overlaps, offsets past the end (a truncated file) and trailing bytes.
 */
function checkLayout(entries: HeaderEntry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of sorted) {
    if (entry.end > dataLength) {
      throw new UserError(
        `${source}: tensor ${entry.name} has data_offsets [${entry.begin}, ${entry.end}] past the end of the data (${dataLength} bytes)`,
        { hint: 'the file is truncated' },
      );
    }
    if (entry.begin < cursor) {
      throw new UserError(
        `${source}: tensor ${entry.name} (bytes ${entry.begin}..${entry.end}) overlaps tensor ${previous?.name} (bytes ${previous?.begin}..${previous?.end})`,
      );
    }
    if (entry.begin > cursor) {
      throw new UserError(`${source}: data bytes ${cursor}..${entry.begin} belong to no tensor (before tensor ${entry.name})`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw new UserError(
      `${source}: ${dataLength - cursor} bytes after the last tensor belong to no tensor (data is ${dataLength} bytes, tensors end at ${cursor})`,
      { hint: 'the file has trailing garbage or its header is wrong' },
    );
  }
}

/** Copies a tensor's bytes into a fresh buffer, so the typed array is aligned whatever the file's layout. */
function copyTensor(entry: HeaderEntry, data: Uint8Array): Tensor {
  // Not data.slice(): on a Node Buffer that returns a view into the file's memory, not a copy.
  const bytes = new Uint8Array(entry.end - entry.begin);
  bytes.set(data.subarray(entry.begin, entry.end));
  const info = DTYPES[entry.dtype];
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, info.itemsize);
  return { dtype: entry.dtype, shape: entry.shape, data: info.create(bytes.buffer) };
}

/** Decode and validate: header size within the file, valid JSON object, known dtypes, integer non-negative shapes, data_offsets in bounds, non-overlapping, and covering the data exactly, byte length == product(shape) * itemsize. Returns copies in properly aligned typed arrays. `source` (a file path) prefixes every error message. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const headerLength = readHeaderLength(bytes, source);
  const header = parseHeaderObject(bytes, headerLength, source);
  const metadata = parseMetadata(header[METADATA_KEY], source);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => parseEntry(name, value, source));

  const data = bytes.subarray(PREFIX_BYTES + headerLength);
  checkLayout(entries, data.length, source);

  const tensors = new Map<string, Tensor>();
  for (const entry of entries) tensors.set(entry.name, copyTensor(entry, data));
  return { tensors, metadata };
}
