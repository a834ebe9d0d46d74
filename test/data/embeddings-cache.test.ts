import { copyFileSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { prepareData } from '../../src/data/dataset.js';
import { cacheFileFor, CACHE_FORMAT_VERSION, defaultCacheDir } from '../../src/data/embeddings-cache.js';
import { readEmbeddings, type PretrainedEmbeddings, type ReadEmbeddingsOptions } from '../../src/data/embeddings.js';
import { expectUserError, useTempFolder } from './helpers.js';

const tmp = useTempFolder('ner-train-embeddings-cache');
let counter = 0;

/** A fresh source file and a fresh cache folder for it. */
function setup(text: string): { path: string; cacheDir: string; options: ReadEmbeddingsOptions; cacheFile: () => string; warnings: string[] } {
  counter++;
  const path = tmp.write(`vectors-${counter}.txt`, text);
  // A fixed whole-second mtime, so a test can put it back exactly after editing the file.
  utimesSync(path, 1_700_000_000, 1_700_000_000);
  const cacheDir = tmp.path(`cache-${counter}`);
  const warnings: string[] = [];
  return {
    path,
    cacheDir,
    options: { cacheDir, cacheMinBytes: 0, onWarning: (m) => warnings.push(m) },
    cacheFile: () => cacheFileFor(cacheDir, resolve(path)),
    warnings,
  };
}

/** The loaded table as plain data, float32 values by their bits (so -0 and 0 differ). */
function plain(e: PretrainedEmbeddings): unknown {
  return {
    path: e.path,
    dim: e.dim,
    words: e.words,
    index: [...e.index],
    bits: Array.from(new Uint32Array(e.vectors.buffer, e.vectors.byteOffset, e.vectors.length)),
    duplicates: e.duplicates,
  };
}

const TEXT = '6 3\nthe 0.1 -0.2 0.3\nof -0 1e-7 12345.678\nété 1 2 3\nthe 9 9 9\n日本 -1.5 0.25 4\nof 7 7 7\n';
/** The same size as TEXT, different values: what a load returns if it really read the text. */
const EDITED = TEXT.replace('0.1 -0.2 0.3', '0.4 -0.5 0.6');

async function textOnly(path: string, dim = 3): Promise<PretrainedEmbeddings> {
  return readEmbeddings(path, dim, { cacheDir: null });
}

/** Rewrites the source with same-size content and puts its mtime back: only a cache can still give the old values. */
function editKeepingKey(path: string, text: string): void {
  writeFileSync(path, text);
  utimesSync(path, 1_700_000_000, 1_700_000_000);
}

describe('embeddings cache', () => {
  it('writes a cache on the first load and gives back the same table from it', async () => {
    const s = setup(TEXT);
    const first = await readEmbeddings(s.path, 3, s.options);
    expect(readdirSync(s.cacheDir)).toEqual([s.cacheFile().slice(s.cacheDir.length + 1)]);
    expect(first.duplicates).toBe(2);
    const second = await readEmbeddings(s.path, 3, s.options);
    expect(plain(second)).toEqual(plain(first));
    expect(plain(second)).toEqual(plain(await textOnly(s.path)));
    // The path in the result is the one given, not the cache's absolute one.
    expect(second.path).toBe(s.path);
    expect(s.warnings).toEqual([]);
  });

  it('is what a second load reads: the text is not parsed again while size and mtime match', async () => {
    const s = setup(TEXT);
    const first = await readEmbeddings(s.path, 3, s.options);
    editKeepingKey(s.path, EDITED);
    expect(plain(await readEmbeddings(s.path, 3, s.options))).toEqual(plain(first));
    expect(Array.from((await textOnly(s.path)).vectors.subarray(0, 3))).toEqual(Array.from(Float32Array.of(0.4, -0.5, 0.6)));
  });

  it('is ignored and rewritten when the source changed (mtime)', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    writeFileSync(s.path, EDITED);
    utimesSync(s.path, 1_700_000_100, 1_700_000_100);
    const reloaded = await readEmbeddings(s.path, 3, s.options);
    expect(plain(reloaded)).toEqual(plain(await textOnly(s.path)));
    // The rewritten cache belongs to the new text: put the old text back under the new key and the cache still answers with the new values.
    editKeepingKey(s.path, TEXT);
    utimesSync(s.path, 1_700_000_100, 1_700_000_100);
    expect(plain(await readEmbeddings(s.path, 3, s.options))).toEqual(plain(reloaded));
  });

  it('is ignored when the source changed size', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    writeFileSync(s.path, `${TEXT.replace('6 3', '7 3')}and 1 1 1\n`);
    utimesSync(s.path, 1_700_000_000, 1_700_000_000);
    expect((await readEmbeddings(s.path, 3, s.options)).words).toContain('and');
  });

  it.each([0, 8, 63, 64, 100, -1, -4])('never trusts a cache truncated to %i bytes (negative: from the end)', async (cut) => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    const size = statSync(s.cacheFile()).size;
    truncateSync(s.cacheFile(), cut >= 0 ? cut : size + cut);
    editKeepingKey(s.path, EDITED);
    // Had the cache been used, this would be TEXT's table.
    expect(plain(await readEmbeddings(s.path, 3, s.options))).toEqual(plain(await textOnly(s.path)));
    // …and it was rewritten, whole again.
    expect(statSync(s.cacheFile()).size).toBe(size);
  });

  it('never trusts a cache with any one byte flipped: header, path, words, padding, vectors or checksum', async () => {
    const s = setup(TEXT);
    const original = await readEmbeddings(s.path, 3, s.options);
    const good = readFileSync(s.cacheFile());
    const expected = plain(original);
    const untrusted: number[] = [];
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      writeFileSync(s.cacheFile(), bad);
      const loaded = await readEmbeddings(s.path, 3, s.options);
      // A flip the cache noticed means a text parse, which rewrote the good cache.
      if (readFileSync(s.cacheFile()).equals(good)) untrusted.push(at);
      expect(plain(loaded), `byte ${at}`).toEqual(expected);
    }
    expect(untrusted).toHaveLength(good.length);
  });

  it('is not used by a file at another path with the same size and mtime', async () => {
    const a = setup(TEXT);
    await readEmbeddings(a.path, 3, a.options);
    const b = setup(EDITED);
    copyFileSync(a.cacheFile(), cacheFileFor(a.cacheDir, resolve(b.path)));
    const loaded = await readEmbeddings(b.path, 3, { ...b.options, cacheDir: a.cacheDir });
    expect(plain(loaded)).toEqual(plain(await textOnly(b.path)));
  });

  it('does not hide a dimension mismatch: the text parse reports it', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    await expectUserError(() => readEmbeddings(s.path, 4, s.options), `${s.path}:1: the vectors have 3 values but embeddings.dim is 4`);
  });

  it('writes nothing when off, and skips small files by default', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, { ...s.options, cacheDir: null });
    await readEmbeddings(s.path, 3, { cacheDir: s.cacheDir, onWarning: (m) => s.warnings.push(m) });
    expect(() => readdirSync(s.cacheDir)).toThrow(/ENOENT/);
  });

  it('warns, and still loads, when the cache cannot be written', async () => {
    const s = setup(TEXT);
    const blocker = tmp.write(`not-a-folder-${counter}`, 'x');
    const loaded = await readEmbeddings(s.path, 3, { ...s.options, cacheDir: join(blocker, 'cache') });
    expect(plain(loaded)).toEqual(plain(await textOnly(s.path)));
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^could not write the embeddings cache \(.+\); the next load parses .+ again$/);
  });

  it('leaves only the cache file in its folder (no temp files)', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    writeFileSync(s.path, EDITED);
    await readEmbeddings(s.path, 3, s.options);
    expect(readdirSync(s.cacheDir)).toHaveLength(1);
  });

  it('starts with a magic and its format version', async () => {
    const s = setup(TEXT);
    await readEmbeddings(s.path, 3, s.options);
    const bytes = readFileSync(s.cacheFile());
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('NEREMBC\0');
    expect(bytes.readUInt32LE(8)).toBe(CACHE_FORMAT_VERSION);
  });
});

describe('defaultCacheDir', () => {
  it('follows NER_TRAIN_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ NER_TRAIN_CACHE_DIR: '/x/cache', XDG_CACHE_HOME: '/xdg', HOME: '/home/a' })).toBe('/x/cache');
    expect(defaultCacheDir({ NER_TRAIN_CACHE_DIR: 'off', XDG_CACHE_HOME: '/xdg' })).toBeNull();
    expect(defaultCacheDir({ NER_TRAIN_CACHE_DIR: 'OFF' })).toBeNull();
    expect(defaultCacheDir({ NER_TRAIN_CACHE_DIR: 'rel/dir' })).toBe(resolve('rel/dir'));
    expect(defaultCacheDir({ NER_TRAIN_CACHE_DIR: '', XDG_CACHE_HOME: '/xdg', HOME: '/home/a' })).toBe('/xdg/ner-train');
    // The XDG spec says to ignore a relative XDG_CACHE_HOME.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.cache/ner-train');
    expect(defaultCacheDir({ HOME: '/home/a' })).toBe('/home/a/.cache/ner-train');
  });

  it('is a temp folder in the tests (test/setup.ts), never the real home cache', () => {
    const dir = defaultCacheDir();
    expect(dir).toBe(process.env.NER_TRAIN_CACHE_DIR);
    expect(dir?.startsWith(tmpdir())).toBe(true);
  });
});

describe('prepareData with the embeddings cache', () => {
  const saved = process.env.NER_TRAIN_CACHE_DIR;
  afterEach(() => {
    process.env.NER_TRAIN_CACHE_DIR = saved;
  });

  it('builds the same vocabulary, pretrained rows and coverage with the cache off, cold and warm', async () => {
    // The shipped sample vectors, grown past the size the cache starts at with words no corpus has.
    const shipped = readFileSync(resolve(import.meta.dirname, '../../data/embeddings.txt'), 'utf8');
    const filler = Array.from({ length: 6000 }, (_, i) => `zzfiller${i} ${Array.from({ length: 25 }, (_, j) => ((i * 31 + j) % 200) / 100 - 1).join(' ')}`);
    const path = tmp.write('big-vectors.txt', `${shipped}${filler.join('\n')}\n`);
    expect(statSync(path).size).toBeGreaterThan(1 << 20);
    const cacheDir = tmp.path('prepare-cache');

    for (const extend of [true, false]) {
      const config = defaultConfig(resolve(import.meta.dirname, '../../data/train.txt'));
      config.data.dev = resolve(import.meta.dirname, '../../data/dev.txt');
      config.embeddings.path = path;
      config.embeddings.dim = 25;
      config.embeddings.extend_vocab = extend;
      const summary = async (): Promise<unknown> => {
        const d = await prepareData(config);
        return {
          vocab: d.vocab.words,
          pretrainedRow: Array.from(d.pretrainedRow),
          coverage: d.coverage,
          pretrained: d.pretrained && plain(d.pretrained),
          windows: Array.from(d.train.windows.ids),
        };
      };
      process.env.NER_TRAIN_CACHE_DIR = 'off';
      const off = await summary();
      process.env.NER_TRAIN_CACHE_DIR = cacheDir;
      const cold = await summary();
      expect(readdirSync(cacheDir)).toHaveLength(1);
      const warm = await summary();
      expect(cold).toEqual(off);
      expect(warm).toEqual(off);
    }
  });
});
