import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cacheFileFor, defaultCacheDir, loadCachedTable, saveCachedTable, type CacheKey } from './embeddings-cache.js';
import { readEmbeddingsText } from './embeddings-text.js';

/** Pretrained vectors as read from a text file: `vectors` is n×dim, row i belongs to words[i]. */
export interface PretrainedEmbeddings {
  path: string;
  dim: number;
  words: string[];
  index: Map<string, number>;
  vectors: Float32Array;
  duplicates: number;
}

/** What a file holds, whichever way it was read (text or binary cache). */
export type EmbeddingTable = Omit<PretrainedEmbeddings, 'path'>;

export interface ReadEmbeddingsOptions {
  /**
   * Folder of the binary cache; null turns it off. Default: NER_TRAIN_CACHE_DIR
   * (`off` turns it off), else $XDG_CACHE_HOME/ner-train, else ~/.cache/ner-train.
   */
  cacheDir?: string | null;
  /** Smaller files are not cached: they parse in milliseconds. Default 1 MiB. */
  cacheMinBytes?: number;
  /** Told when the cache cannot be written; loading goes on. Default: process.emitWarning. */
  onWarning?: (message: string) => void;
}

const CACHE_MIN_BYTES = 1 << 20;

/**
 * Reads GloVe (`word v1 … vd`) or word2vec text (the same after a `count dim` header
 * line); see readEmbeddingsText for the format and its errors. `expectedDim` is the
 * configured embeddings.dim.
 *
 * A large file is parsed once: the table is then kept in a binary cache keyed by the
 * file's absolute path, size and modification time, and later loads read that instead
 * (a fraction of a second for GloVe 6B's 400k words). A cache that does not match the
 * file, or fails its checksum, is ignored and rewritten; one that cannot be written
 * costs a warning, never the load. Either way the result is the same table.
 */
export async function readEmbeddings(path: string, expectedDim: number, options: ReadEmbeddingsOptions = {}): Promise<PretrainedEmbeddings> {
  const cacheFile = await cacheFileOf(path, options);
  if (cacheFile !== null) {
    const cached = await loadCachedTable(cacheFile.file, cacheFile.key, expectedDim);
    if (cached !== null) return { path, ...cached };
  }
  const { table, source } = await readEmbeddingsText(path, expectedDim);
  // source is null when the file changed while it was read: a cache of it could be stale from the start.
  if (cacheFile !== null && source !== null) {
    const key: CacheKey = { path: cacheFile.key.path, ...source };
    try {
      await saveCachedTable(cacheFile.file, key, table);
    } catch (error) {
      const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, { code: 'NER_TRAIN_EMBEDDINGS_CACHE' }));
      warn(`could not write the embeddings cache (${error instanceof Error ? error.message : String(error)}); the next load parses ${path} again`);
    }
  }
  return { path, ...table };
}

/** The cache file for `path` and the key it must match, or null when the cache is off or not worth it. */
async function cacheFileOf(path: string, options: ReadEmbeddingsOptions): Promise<{ file: string; key: CacheKey } | null> {
  const dir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  if (dir === null) return null;
  let size: number;
  let mtimeMs: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return null;
    ({ size, mtimeMs } = stats);
  } catch {
    // A missing or unreadable file: the text reader reports it in its own words.
    return null;
  }
  if (size < (options.cacheMinBytes ?? CACHE_MIN_BYTES)) return null;
  const absolute = resolve(path);
  return { file: cacheFileFor(dir, absolute), key: { path: absolute, size, mtimeMs } };
}
