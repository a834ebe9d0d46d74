import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from '../../src/api/tagger.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { defaultConfig } from '../../src/config/schema.js';
import { prepareData } from '../../src/data/dataset.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/math/random.js';
import { createScorer } from '../../src/model/create.js';
import { noPreprocessing } from '../../src/model/preprocess.js';
import { initialiseModel } from '../../src/train/init.js';
import { checkpointState, modelSpec } from '../../src/train/trainer.js';
import { useTempFolder } from '../data/helpers.js';

/**
 * Property tests of the checkpoint reader on a real checkpoint folder (weights, meta.json,
 * vocab.txt, suffix.txt, prefix.txt) with bytes flipped, files truncated, extended or
 * deleted, and meta.json fields set to random values. The property: the load verifies only
 * when the content is unchanged, and otherwise fails with the reader's own one-line
 * UserError naming a file of the folder. Any other exception fails. Seeded.
 */

const tmp = useTempFolder('ner-train-checkpoint-property');
const SEED = 777;
const FILES = ['model.safetensors', 'meta.json', 'vocab.txt', 'suffix.txt', 'prefix.txt'] as const;
type FileName = (typeof FILES)[number];

const TRAIN = ['Peter B-PER', 'Johnson I-PER', 'visited O', 'Paris B-LOC', '. O', '', 'Mary B-PER', 'left O', 'Boston B-LOC', 'in O', '1996 O'].join('\n');

let original = '';
let originalFiles: Map<FileName, Buffer>;

beforeAll(async () => {
  const config = defaultConfig(tmp.write('train.txt', `${TRAIN}\n`));
  config.data.min_count = 1;
  config.model.window = 1;
  config.model.hidden = 5;
  config.embeddings.dim = 3;
  config.features.caps.dim = 2;
  config.features.suffix = { length: 3, dim: 2 };
  config.features.prefix = { length: 2, dim: 2 };
  const data = await prepareData(config);
  const spec = modelSpec(config, data);
  const model = createScorer(spec, 'float32');
  initialiseModel(model, data, config, new Rng(3));
  original = tmp.path('original/model-best');
  await saveCheckpoint(original, checkpointState(model, spec, data, config, { preprocessor: noPreprocessing(model.D), transitions: null }, 1, 4, null));
  expect(readdirSync(original).sort()).toEqual([...FILES].sort());
  originalFiles = new Map(FILES.map((f) => [f, readFileSync(join(original, f))]));
});

let copyCounter = 0;
function freshCopy(): string {
  const dir = tmp.path(`copy-${++copyCounter}/model-best`);
  mkdirSync(dir, { recursive: true });
  cpSync(original, dir, { recursive: true });
  return dir;
}

type Damage =
  | { kind: 'flip'; file: FileName; at: number; mask: number }
  | { kind: 'truncate'; file: FileName; at: number }
  | { kind: 'append'; file: FileName; bytes: Uint8Array }
  | { kind: 'delete'; file: FileName };

const file = fc.constantFrom(...FILES);
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), file, at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), file, at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), file, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), file }),
);

function apply(dir: string, d: Damage): void {
  const path = join(dir, d.file);
  if (d.kind === 'delete') {
    rmSync(path);
    return;
  }
  const bytes = Buffer.from(readFileSync(path));
  if (d.kind === 'flip') bytes[d.at % bytes.length] ^= d.mask;
  if (d.kind === 'append') {
    writeFileSync(path, Buffer.concat([bytes, d.bytes]));
    return;
  }
  writeFileSync(path, d.kind === 'truncate' ? bytes.subarray(0, d.at % bytes.length) : bytes);
}

/** Whether the folder still holds what was saved: the same bytes, except that meta.json need only hold the same JSON (whitespace is not content). */
function unchanged(dir: string): boolean {
  return FILES.every((name) => {
    let now: Buffer;
    try {
      now = readFileSync(join(dir, name));
    } catch {
      return false;
    }
    const before = originalFiles.get(name) ?? Buffer.alloc(0);
    if (name !== 'meta.json') return now.equals(before);
    try {
      return JSON.stringify(JSON.parse(now.toString('utf8'))) === JSON.stringify(JSON.parse(before.toString('utf8')));
    } catch {
      return false;
    }
  });
}

/** Loads `dir`; a failure must be the reader's own single-line UserError naming a file inside the folder. */
async function loadOrOwnError(dir: string): Promise<'loaded' | UserError> {
  try {
    const checkpoint = await loadCheckpoint(dir);
    // What loaded must also tag without failing.
    new Tagger(checkpoint).tag([{ tokens: ['Peter', 'visited', 'Zürich', '.'] }]);
    return 'loaded';
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    expect(error.message).toMatch(new RegExp(`^${escape(dir)}/[^/:]+: [^\\n]+$`));
    return error;
  }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Any JSON path into meta.json, as the saved file has it. */
function metaPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const own = Object.keys(value).flatMap((key) => metaPaths((value as Record<string, unknown>)[key], [...prefix, key]));
  return prefix.length === 0 ? own : [prefix, ...own];
}

function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

describe('loadCheckpoint: properties', () => {
  it('verifies a damaged folder only when its content is unchanged; otherwise a one-line error naming the file', async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
        const dir = freshCopy();
        for (const d of damages) {
          try {
            apply(dir, d);
          } catch {
            // An earlier step deleted the file: it stays deleted.
          }
        }
        const outcome = await loadOrOwnError(dir);
        expect(outcome === 'loaded').toBe(unchanged(dir));
        if (outcome === 'loaded') loaded++;
      }),
      { seed: SEED, numRuns: 150 },
    );
    // Most damage is caught; a few flips only change meta.json's whitespace.
    expect(loaded).toBeLessThan(30);
  });

  it('verifies meta.json with any field set to a random value only when the value is unchanged', async () => {
    const meta = (): Record<string, unknown> => JSON.parse(originalFiles.get('meta.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    const paths = metaPaths(meta()).filter((p) => p[0] !== 'meta_sha256');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }), async (path, value) => {
        const dir = freshCopy();
        const edited = meta();
        setAt(edited, path, value);
        writeFileSync(join(dir, 'meta.json'), JSON.stringify(edited, null, 2));
        const outcome = await loadOrOwnError(dir);
        expect(outcome === 'loaded').toBe(unchanged(dir));
      }),
      { seed: SEED + 1, numRuns: 150 },
    );
  });

  it('a checkpoint without checksums (as written before them) with any meta.json field set to a random value loads and tags, or fails with its own error', async () => {
    const meta = (): Record<string, unknown> => {
      const value = JSON.parse(originalFiles.get('meta.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
      delete value.meta_sha256;
      delete value.files_sha256;
      return value;
    };
    const paths = metaPaths(meta());
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...paths), fc.option(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('../vocab.txt', '/etc/passwd', 'relu', 'iobes', 'B-PER', -1, 0, 1e9)), { nil: undefined })), { minLength: 1, maxLength: 3 }),
        async (edits) => {
          const dir = freshCopy();
          const edited = meta();
          for (const [path, value] of edits) {
            try {
              setAt(edited, path, value);
            } catch {
              // an earlier edit replaced a parent of this path
            }
          }
          writeFileSync(join(dir, 'meta.json'), JSON.stringify(edited, null, 2));
          if ((await loadOrOwnError(dir)) !== 'loaded') errors++;
        },
      ),
      { seed: SEED + 2, numRuns: 200 },
    );
    expect(errors).toBeGreaterThan(50);
  });
});
