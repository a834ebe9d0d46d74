import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from '../../src/api/tagger.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../../src/checkpoint/checkpoint.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { prepareData, type PreparedData } from '../../src/data/dataset.js';
import { encodeWindows } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';
import { createScorer } from '../../src/model/create.js';
import { predictLabelIds, sentenceTags } from '../../src/model/predict.js';
import { noPreprocessing } from '../../src/model/preprocess.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { initialiseModel } from '../../src/train/init.js';
import { checkpointState, modelSpec } from '../../src/train/trainer.js';
import { expectUserError, useTempFolder } from '../data/helpers.js';

const tmp = useTempFolder('ner-train-checkpoint-affixes');

const TRAIN = [
  'Peter B-PER', 'Johnson I-PER', 'visited O', 'Paris B-LOC', '. O', '',
  'Mary B-PER', 'Jackson I-PER', 'visited O', 'Boston B-LOC', 'in O', '1996 O', '. O', '',
  'Hudson B-PER', 'left O', 'Boston B-LOC', '. O',
].join('\n');
// Words, suffixes and prefixes the training data never had, next to ones it had.
const UNSEEN = [
  { tokens: ['Erikson', 'visited', 'Bostonia', 'in', '2024', '.'] },
  { tokens: ['Zürich', 'Pete', 'Pa', '😀'] },
];

interface Setup {
  config: Config;
  data: PreparedData;
  model: WindowScorer;
}

let setup: Setup;

beforeAll(async () => {
  const config = defaultConfig(tmp.write('train.txt', `${TRAIN}\n`));
  config.model.window = 1;
  config.model.hidden = 6;
  config.embeddings.dim = 4;
  config.features.caps.dim = 2;
  config.features.suffix = { length: 3, dim: 3 };
  config.features.prefix = { length: 2, dim: 2 };
  const data = await prepareData(config);
  const model = createScorer(modelSpec(config, data), 'float32');
  // Large random values, so that every table moves the scores and a mixed-up row would show.
  initialiseModel(model, data, config, new Rng(5));
  const rng = new Rng(6);
  for (const t of model.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-1, 1);
  for (const view of [model.params.W, model.params.U, model.params.c]) for (let i = 0; i < view.length; i++) view[i] = rng.range(-1, 1);
  setup = { config, data, model };
});

let dirCounter = 0;
async function saved(): Promise<{ dir: string; meta: string; suffix: string; prefix: string }> {
  const parent = tmp.path(`run-${++dirCounter}`);
  mkdirSync(parent);
  const dir = join(parent, 'model-best');
  const { config, data, model } = setup;
  await saveCheckpoint(dir, checkpointState(model, modelSpec(config, data), data, config, { preprocessor: noPreprocessing(model.D), transitions: null }, 2, 10, null));
  return { dir, meta: join(dir, 'meta.json'), suffix: join(dir, 'suffix.txt'), prefix: join(dir, 'prefix.txt') };
}

/**
 * meta.json without its checksums (meta_sha256, files_sha256): what a checkpoint written
 * before them holds. Edits made through it test the loader's other checks, which are all a
 * checkpoint of that age has; the checksums themselves are tested in verify.test.ts.
 */
const readMeta = (path: string): CheckpointMeta => {
  const { meta_sha256: _meta, files_sha256: _files, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as CheckpointMeta;
  return rest;
};
/** Turns a saved folder into one written before the checksums, so that its files can be edited past them. */
const withoutChecksums = (path: string): void => writeMeta(path, readMeta(path));
const writeMeta = (path: string, meta: CheckpointMeta): void => writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);

describe('checkpoints with suffix and prefix tables', () => {
  it('the training data gives two affix tables of the vocabulary sizes, after word and caps', () => {
    const { data, model } = setup;
    // min_count 2: suffixes son ×3, ted ×2, ton ×2, . ×3; prefixes vi ×2, bo ×2, . ×3 (among others seen once).
    expect(data.features.suffix?.affixes).toEqual(['<UNK>', '<PAD>', 'son', '.', 'ted', 'ton']);
    expect(data.features.prefix?.affixes).toEqual(['<UNK>', '<PAD>', '.', 'vi', 'bo']);
    expect(model.tables.map((t) => [t.name, t.rows, t.dim])).toEqual([
      ['word', data.vocab.size, 4],
      ['caps', 6, 2],
      ['suffix', 6, 3],
      ['prefix', 5, 2],
    ]);
    expect(model.D).toBe(3 * (4 + 2 + 3 + 2));
  });

  it('writes suffix.txt and prefix.txt next to vocab.txt and records them in meta.json', async () => {
    const { dir, meta, suffix, prefix } = await saved();
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'model.safetensors', 'prefix.txt', 'suffix.txt', 'vocab.txt']);
    expect(readFileSync(suffix, 'utf8')).toBe('<UNK>\n<PAD>\nson\n.\nted\nton\n');
    expect(readFileSync(prefix, 'utf8')).toBe('<UNK>\n<PAD>\n.\nvi\nbo\n');
    const recorded = readMeta(meta);
    expect(recorded.format_version).toBe(3);
    expect(recorded.affixes).toEqual({
      suffix: { length: 3, file: 'suffix.txt', size: 6 },
      prefix: { length: 2, file: 'prefix.txt', size: 5 },
    });
    expect(recorded.model).toMatchObject({ suffixRows: 6, suffixDim: 3, prefixRows: 5, prefixDim: 2 });
  });

  it('round-trips: the same tables, the same affix ids for unseen text, the same predictions', async () => {
    const { dir } = await saved();
    const loaded = await loadCheckpoint(dir);
    const { data, model } = setup;
    expect(loaded.suffix?.affixes).toEqual(data.features.suffix?.affixes);
    expect(loaded.prefix?.affixes).toEqual(data.features.prefix?.affixes);
    expect([loaded.suffix?.length, loaded.prefix?.length]).toEqual([3, 2]);
    for (const [i, table] of loaded.model.tables.entries()) {
      expect(table.name).toBe(model.tables[i].name);
      expect(Array.from(table.data)).toEqual(Array.from(model.tables[i].data));
    }
    const tagger = new Tagger(loaded);
    const sentences = [...data.train.sentences, ...UNSEEN];
    // The tagger encodes with the checkpoint's vocabularies exactly as training did.
    const before = encodeWindows(sentences, data.vocab, data.features);
    const after = encodeWindows(sentences, loaded.vocab, tagger.features);
    expect(Array.from(after.ids)).toEqual(Array.from(before.ids));
    expect(Array.from(loaded.model.forward(after.ids, after.count, false))).toEqual(Array.from(model.forward(before.ids, before.count, false)));
    const expected = sentenceTags(predictLabelIds(model, before, 512), before.sentenceStarts, data.labels, data.scheme);
    expect(new Set(expected.flat()).size).toBeGreaterThan(1);
    expect(tagger.tag(sentences)).toEqual(expected);
  });

  it('gives an unseen affix the unknown row and padding the padding row', async () => {
    const tagger = new Tagger(await loadCheckpoint((await saved()).dir));
    const windows = encodeWindows([{ tokens: ['Erikson', 'Zürich'] }], tagger.checkpoint.vocab, tagger.features);
    // Token 0, positions [pad, Erikson, Zürich] × [word, caps, suffix, prefix]: son is known (row 2), er, zür, zü are not.
    expect(Array.from(windows.ids.subarray(0, 12))).toEqual([1, 0, 1, 1, 0, 2, 2, 0, 0, 2, 0, 0]);
  });

  it('rejects a suffix.txt with an affix more than meta.json records', async () => {
    const { dir, suffix, meta } = await saved();
    withoutChecksums(meta);
    writeFileSync(suffix, `${readFileSync(suffix, 'utf8')}ing\n`);
    await expectUserError(() => loadCheckpoint(dir), `${suffix}: 7 suffixes, but meta.json records 6`);
  });

  it('rejects an affix file that disagrees with the model, even when its size was edited to match', async () => {
    const { dir, meta, prefix } = await saved();
    writeFileSync(prefix, `${readFileSync(prefix, 'utf8')}zz\n`);
    const value = readMeta(meta);
    writeMeta(meta, { ...value, affixes: { ...value.affixes, prefix: { length: 2, file: 'prefix.txt', size: 6 } } });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 6 prefixes in prefix.txt, but the model records 5 (the checkpoint is damaged)`);
  });

  it('rejects a model with an affix table but no affix file recorded', async () => {
    const { dir, meta } = await saved();
    const value = readMeta(meta);
    writeMeta(meta, { ...value, affixes: { ...value.affixes, suffix: null } });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: the model has a suffix table but 'affixes.suffix' is null (the checkpoint is damaged)`);
  });

  it('rejects a missing prefix.txt with a hint, and one without its reserved rows', async () => {
    const { dir, prefix, meta } = await saved();
    withoutChecksums(meta);
    writeFileSync(prefix, readFileSync(prefix, 'utf8').replace('<PAD>\n', ''));
    await expectUserError(() => loadCheckpoint(dir), `${prefix}:2: expected the reserved affix <PAD>`);
    renameSync(prefix, `${prefix}.bak`);
    const error = await expectUserError(() => loadCheckpoint(dir), `${prefix}: no such file`);
    expect(error.hint).toMatch(/checkpoint folder/);
  });

  it('rejects malformed affixes in meta.json', async () => {
    const { dir, meta } = await saved();
    const value = readMeta(meta);
    writeMeta(meta, { ...value, affixes: { ...value.affixes, suffix: { length: 0, file: 'suffix.txt', size: 6 } } });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 'affixes.suffix' needs an integer length ≥ 1, a file name and an integer size`);
    const { affixes: _dropped, ...withoutAffixes } = value;
    writeFileSync(meta, JSON.stringify(withoutAffixes));
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 'affixes' is missing`);
  });

  it('reads a version-2 checkpoint (no affixes) as a model without affix tables', async () => {
    const { config, data } = setup;
    const plain = { ...config, features: { ...config.features, suffix: { length: 0, dim: 10 }, prefix: { length: 0, dim: 10 } } };
    const plainData = { ...data, features: { ...data.features, suffix: null, prefix: null } };
    const spec = modelSpec(plain, plainData);
    const model = createScorer(spec, 'float32');
    const dir = tmp.path('v2/model-best');
    await saveCheckpoint(dir, checkpointState(model, spec, plainData, plain, { preprocessor: noPreprocessing(model.D), transitions: null }, 1, 1, null));
    const metaPath = join(dir, 'meta.json');
    const meta = readMeta(metaPath) as Partial<CheckpointMeta>;
    // What version 2 wrote: no affixes, and a model spec without the affix fields.
    delete meta.affixes;
    const { suffixRows: _a, suffixDim: _b, prefixRows: _c, prefixDim: _d, ...v2Model } = spec;
    writeMeta(metaPath, { ...(meta as CheckpointMeta), format_version: 2, model: v2Model as CheckpointMeta['model'] });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.meta.affixes).toEqual({ suffix: null, prefix: null });
    expect(loaded.meta.model).toMatchObject({ suffixRows: 0, prefixRows: 0 });
    expect([loaded.suffix, loaded.prefix]).toEqual([null, null]);
    expect(loaded.model.tables.map((t) => t.name)).toEqual(['word', 'caps']);
    expect(new Tagger(loaded).tag(UNSEEN).map((tags) => tags.length)).toEqual([6, 4]);
  });
});
