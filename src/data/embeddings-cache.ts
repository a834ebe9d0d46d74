/**
 * A binary copy of a parsed embeddings file, so that loading it again costs a read of
 * its bytes instead of a parse of its text.
 *
 * Layout (little-endian; one file per source path):
 *
 *   0   8  magic "NEREMBC\0"
 *   8   4  format version
 *   12  4  dim
 *   16  4  count (words)
 *   20  4  duplicates (as the text parse counted them)
 *   24  8  source size in bytes (float64)
 *   32  8  source mtimeMs (float64)
 *   40  4  byte length of the source's absolute path (UTF-8)
 *   44  4  byte length of the words (UTF-8, joined by \n)
 *   48  8  reserved (0)
 *   56  8  checksum of bytes 0–55 and of everything after the header
 *   64     path, words, zero padding to a multiple of 8, then count × dim float32 values
 *
 * A cache is used only if every field matches the source's current path, size and mtime
 * and the configured dim, the file has exactly the length the header implies, and the
 * checksum verifies; anything else (truncated, corrupted, stale, another version) means
 * "parse the text", never an error. Words cannot contain \n (it ends a line in the text).
 */
import { createHash } from 'node:crypto';
import { endianness, homedir } from 'node:os';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { EmbeddingTable } from './embeddings.js';

/** Identifies the text a cache was made from. */
export interface CacheKey {
  /** Absolute path of the source file. */
  path: string;
  size: number;
  mtimeMs: number;
}

const MAGIC = Buffer.from('NEREMBC\0', 'latin1');
// 2: the text reader rejects bytes that are not UTF-8 and a word2vec header whose count
// disagrees with the rows; a version-1 cache may hold a table it accepted before that.
export const CACHE_FORMAT_VERSION = 2;
const HEADER_BYTES = 64;
const CHECKSUM_AT = 56;

/**
 * The cache folder: NER_TRAIN_CACHE_DIR (`off` turns the cache off), else
 * $XDG_CACHE_HOME/ner-train (the XDG spec ignores a relative value), else
 * ~/.cache/ner-train; null when there is none.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env.NER_TRAIN_CACHE_DIR;
  if (override !== undefined && override !== '') return override.toLowerCase() === 'off' ? null : resolve(override);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'ner-train');
  const home = env.HOME ?? homedir();
  return home === '' ? null : join(home, '.cache', 'ner-train');
}

/** `<file name>-<hash of the absolute path>.emb`: one cache per source, recognisable by a person listing the folder. */
export function cacheFileFor(dir: string, absolutePath: string): string {
  const name = basename(absolutePath).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(absolutePath).digest('hex').slice(0, 16);
  return join(dir, `${name}-${hash}.emb`);
}

/** The table in `file` if it is a valid cache of `key` with `dim` values per word, else null. */
export async function loadCachedTable(file: string, key: CacheKey, dim: number): Promise<EmbeddingTable | null> {
  // Float32 values are stored as this machine lays them out; the format is little-endian.
  if (endianness() !== 'LE') return null;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await handle.stat()).size;
    if (size < HEADER_BYTES) return null;
    // The header alone settles a stale cache (the usual case after the file changed) without reading the rest.
    const header = new Uint8Array(HEADER_BYTES);
    await readFully(handle, header, 0);
    const h = parseHeader(header);
    if (h === null || h.dim !== dim || h.sourceSize !== key.size || h.sourceMtimeMs !== key.mtimeMs) return null;
    const vectorsAt = align8(HEADER_BYTES + h.pathBytes + h.wordsBytes);
    if (size !== vectorsAt + 4 * h.count * h.dim) return null;

    // An ArrayBuffer of our own: offset 0, so the vectors can be a Float32Array view on it without a copy.
    const bytes = new Uint8Array(new ArrayBuffer(size));
    bytes.set(header, 0);
    await readFully(handle, bytes.subarray(HEADER_BYTES, vectorsAt), HEADER_BYTES);
    const text = (at: number, length: number): string => Buffer.from(bytes.buffer, at, length).toString('utf8');
    if (text(HEADER_BYTES, h.pathBytes) !== key.path) return null;
    // The vectors stream in (on libuv's threads) while this thread builds the index, the other half of the time.
    const vectorsRead = readFully(handle, bytes.subarray(vectorsAt), vectorsAt).then(
      () => true,
      () => false,
    );
    const words = text(HEADER_BYTES + h.pathBytes, h.wordsBytes).split('\n');
    const index = new Map<string, number>();
    for (let i = 0; i < words.length; i++) index.set(words[i], i);
    if (!(await vectorsRead)) return null;
    // Nothing read is used unless the checksum over all of it agrees.
    const stored = new DataView(bytes.buffer).getBigUint64(CHECKSUM_AT, true);
    if (stored !== checksumOf(bytes.subarray(0, HEADER_BYTES), bytes.subarray(HEADER_BYTES, vectorsAt), bytes.subarray(vectorsAt))) return null;
    if (words.length !== h.count || index.size !== words.length) return null;
    const vectors = new Float32Array(bytes.buffer, vectorsAt, h.count * h.dim);
    return { dim: h.dim, words, index, vectors, duplicates: h.duplicates };
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Writes the cache of `table` for `key` atomically (a reader sees the old file or the new one). Throws on failure. */
export async function saveCachedTable(file: string, key: CacheKey, table: EmbeddingTable): Promise<void> {
  if (endianness() !== 'LE') return;
  const pathBytes = Buffer.from(key.path, 'utf8');
  const wordsBytes = Buffer.from(table.words.join('\n'), 'utf8');
  const vectorsAt = align8(HEADER_BYTES + pathBytes.length + wordsBytes.length);
  const front = new Uint8Array(vectorsAt);
  front.set(MAGIC, 0);
  const view = new DataView(front.buffer);
  view.setUint32(8, CACHE_FORMAT_VERSION, true);
  view.setUint32(12, table.dim, true);
  view.setUint32(16, table.words.length, true);
  view.setUint32(20, table.duplicates, true);
  view.setFloat64(24, key.size, true);
  view.setFloat64(32, key.mtimeMs, true);
  view.setUint32(40, pathBytes.length, true);
  view.setUint32(44, wordsBytes.length, true);
  front.set(pathBytes, HEADER_BYTES);
  front.set(wordsBytes, HEADER_BYTES + pathBytes.length);
  const vectors = new Uint8Array(table.vectors.buffer, table.vectors.byteOffset, table.vectors.byteLength);
  view.setBigUint64(CHECKSUM_AT, checksumOf(front.subarray(0, HEADER_BYTES), front.subarray(HEADER_BYTES), vectors), true);
  await mkdir(dirname(file), { recursive: true });
  // Two parts, so the table is never copied into one big buffer (that would double the memory of a large file).
  await writeFileAtomic(file, [front, vectors]);
}

interface Header {
  dim: number;
  count: number;
  duplicates: number;
  sourceSize: number;
  sourceMtimeMs: number;
  pathBytes: number;
  wordsBytes: number;
}

function parseHeader(header: Uint8Array): Header | null {
  for (let i = 0; i < MAGIC.length; i++) if (header[i] !== MAGIC[i]) return null;
  const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
  if (view.getUint32(8, true) !== CACHE_FORMAT_VERSION) return null;
  return {
    dim: view.getUint32(12, true),
    count: view.getUint32(16, true),
    duplicates: view.getUint32(20, true),
    sourceSize: view.getFloat64(24, true),
    sourceMtimeMs: view.getFloat64(32, true),
    pathBytes: view.getUint32(40, true),
    wordsBytes: view.getUint32(44, true),
  };
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Fills `into` from the file at `position` (a read may return fewer bytes than asked). */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    done += bytesRead;
  }
}

/**
 * A 64-bit checksum of the header (minus its checksum field) and the payload: two
 * interleaved lanes of FNV-1a over 32-bit words. The cache guards against accidents
 * (a truncated or damaged file), not against tampering, so what matters is speed — a
 * 160 MB table hashes in about 30 ms, three times faster than SHA-256 with SHA-NI — and
 * that any single changed word changes the result, which holds because every step is a
 * bijection of the lane's state. Each part's length is a multiple of 4 and its offset too.
 */
export function checksumOf(header: Uint8Array, ...parts: Uint8Array[]): bigint {
  let a = 0x811c9dc5 | 0;
  let b = 0x050c5d1f | 0;
  for (const part of [header.subarray(0, CHECKSUM_AT), ...parts]) {
    const words = new Uint32Array(part.buffer, part.byteOffset, part.byteLength >>> 2);
    const n = words.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      a = Math.imul(a ^ words[i], 0x01000193);
      b = Math.imul(b ^ words[i + 1], 0x01000193);
    }
    if (i < n) a = Math.imul(a ^ words[i], 0x01000193);
    // Each part's length enters the state, so moving bytes between parts changes the sum.
    b = Math.imul(b ^ n, 0x01000193);
  }
  return (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0);
}
