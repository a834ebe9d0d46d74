/**
 * Runs before every test file. Loading embeddings writes a binary cache to
 * ~/.cache/ner-train by default; tests must never read or write a person's real cache,
 * so each test file gets a fresh cache folder of its own (the CLI processes the
 * end-to-end tests start inherit it through the environment), removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const cacheDir = mkdtempSync(join(tmpdir(), 'ner-train-test-cache-'));
process.env.NER_TRAIN_CACHE_DIR = cacheDir;

const removeCacheDir = (): void => rmSync(cacheDir, { recursive: true, force: true });
afterAll(removeCacheDir);
// Also when a file's hooks never run (it failed to load, or its worker is torn down early).
process.once('exit', removeCacheDir);
