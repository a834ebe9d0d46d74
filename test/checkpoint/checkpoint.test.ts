import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointMeta,
  type CheckpointState,
} from '../../src/checkpoint/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../../src/checkpoint/safetensors.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { prepareData, type PreparedData } from '../../src/data/dataset.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import { fitPreprocessor, noPreprocessing } from '../../src/model/preprocess.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { initialiseModel } from '../../src/train/init.js';
import { checkpointState } from '../../src/train/trainer.js';
import { VERSION } from '../../src/version.js';
import { expectUserError, useTempFolder } from '../data/helpers.js';

const tmp = useTempFolder('ner-train-checkpoint');

const TRAIN = 'Peter I-PER\nvisited O\nParis I-LOC\n.\tO\n\nThe O\nEU I-ORG\nvisited O\nRome I-LOC\nin O\n1996 O\n';
const VECTORS = 'the 0.1 0.2 0.3\nrome 0.4 0.5 0.6\nlondon 0.7 0.8 0.9\n';

interface Setup {
  config: Config;
  data: PreparedData;
  spec: ModelSpec;
  model: WindowScorer;
}

let setup: Setup;

beforeAll(async () => {
  const config = defaultConfig(tmp.write('train.txt', TRAIN));
  config.embeddings.path = tmp.write('vectors.txt', VECTORS);
  config.embeddings.dim = 3;
  config.features.caps.dim = 2;
  config.model.window = 1;
  config.model.hidden = 4;
  config.data.min_count = 1;
  const data = await prepareData(config);
  const spec: ModelSpec = {
    halfWidth: 1,
    vocabSize: data.vocab.size,
    wordDim: 3,
    wordsTrainable: true,
    capsDim: 2,
    suffixRows: 0,
    suffixDim: 0,
    prefixRows: 0,
    prefixDim: 0,
    hidden: 4,
    labels: data.labels.size,
    activation: 'tanh',
    leakySlope: 0.01,
    dropout: 0,
  };
  const model = createScorer(spec, 'float32');
  initialiseModel(model, data, config, new Rng(42));
  // Values whose bits a lossy round trip would change.
  model.params.W[0] = -0;
  model.params.W[1] = 1.4e-45; // the smallest float32 subnormal
  model.params.b[0] = 3.4028234663852886e38; // the largest float32
  model.params.c[1] = Math.fround(Math.PI);
  setup = { config, data, spec, model };
});

function state(overrides: Partial<CheckpointState> = {}): CheckpointState {
  const { config, data, spec, model } = setup;
  return {
    ...checkpointState(model, spec, data, config, { preprocessor: noPreprocessing(model.D), transitions: null }, 3, 120, null),
    dev: { precision: 0.5, recall: 0.25, f1: 1 / 3 },
    ...overrides,
  };
}

let dirCounter = 0;
/** Saves the test model into a fresh folder; returns the folder and its three file paths. */
async function saved(overrides: Partial<CheckpointState> = {}): Promise<{ dir: string; meta: string; weights: string; vocab: string }> {
  const parent = tmp.path(`run-${++dirCounter}`);
  mkdirSync(parent);
  const dir = join(parent, 'model-best');
  await saveCheckpoint(dir, state(overrides));
  return { dir, meta: join(dir, 'meta.json'), weights: join(dir, 'model.safetensors'), vocab: join(dir, 'vocab.txt') };
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
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Bytes of a typed array, for bit-for-bit comparison (NaN and -0 included). */
const bytesOf = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('saveCheckpoint / loadCheckpoint', () => {
  it('writes weights, vocabulary and meta.json, and nothing else', async () => {
    const { dir } = await saved();
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'model.safetensors', 'vocab.txt']);
  });

  it('round-trips every parameter bit for bit', async () => {
    const { dir } = await saved();
    const { model } = await loadCheckpoint(dir);
    const original = setup.model;
    expect(model.params.entries().map((e) => [e.name, e.shape])).toEqual(original.params.entries().map((e) => [e.name, e.shape]));
    for (const [i, entry] of model.params.entries().entries()) {
      const before = original.params.entries()[i].view;
      expect(entry.view).toBeInstanceOf(Float32Array);
      expect(bytesOf(entry.view).equals(bytesOf(before)), `parameter ${entry.name}`).toBe(true);
    }
    expect(model.tables.map((t) => [t.name, t.rows, t.dim, t.trainable])).toEqual(original.tables.map((t) => [t.name, t.rows, t.dim, t.trainable]));
    for (const [i, table] of model.tables.entries()) {
      expect(bytesOf(table.data).equals(bytesOf(original.tables[i].data)), `table ${table.name}`).toBe(true);
    }
    expect(Object.is(model.params.W[0], -0)).toBe(true);
    expect(model.params.W[1]).toBe(Math.fround(1.4e-45));
    // The pretrained vector of `rome` came through initialisation and the round trip.
    const rome = setup.data.vocab.id('rome');
    expect(Array.from(model.tables[0].data.subarray(rome * 3, rome * 3 + 3))).toEqual(Array.from(Float32Array.from([0.4, 0.5, 0.6])));
  });

  it('rebuilds a scorer that gives the same scores', async () => {
    const { dir } = await saved();
    const { model } = await loadCheckpoint(dir);
    const { windows } = setup.data.train;
    const expected = Array.from(setup.model.forward(windows.ids, windows.count, false));
    expect(Array.from(model.forward(windows.ids, windows.count, false))).toEqual(expected);
    expect([model.positions, model.D, model.H, model.K]).toEqual([3, 15, 4, 7]);
  });

  it('restores the vocabulary, the labels and the meta fields', async () => {
    const { dir, weights, vocab: vocabPath, meta: metaPath } = await saved();
    const { meta, vocab, labels } = await loadCheckpoint(dir);
    // The checksum of meta.json is that of its compact JSON without the checksum key.
    const { meta_sha256: recordedMetaSha, ...rest } = JSON.parse(readFileSync(metaPath, 'utf8')) as CheckpointMeta;
    expect(recordedMetaSha).toBe(sha256(Buffer.from(JSON.stringify(rest))));
    expect(vocab.words).toEqual(setup.data.vocab.words);
    expect(vocab.id('visited')).toBe(setup.data.vocab.id('visited'));
    expect(labels.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    expect(labels.id('B-PER')).toBe(5);
    expect(meta).toEqual({
      format: CHECKPOINT_FORMAT,
      format_version: CHECKPOINT_FORMAT_VERSION,
      ner_train_version: VERSION,
      weights_file: 'model.safetensors',
      weights_sha256: sha256(readFileSync(weights)),
      vocab_file: 'vocab.txt',
      vocab_size: setup.data.vocab.size,
      labels: setup.data.labels.labels,
      tag_scheme: 'iob1',
      word_normalisation: { lowercase: true, normalize_digits: true },
      affixes: { suffix: null, prefix: null },
      model: setup.spec,
      task: 'tagger',
      preprocess: { mode: 'none', eps: 0 },
      detector: null,
      decode: 'greedy',
      epoch: 3,
      step: 120,
      dev: { precision: 0.5, recall: 0.25, f1: 1 / 3 },
      config: setup.config,
      files_sha256: { 'vocab.txt': sha256(readFileSync(vocabPath)) },
      meta_sha256: recordedMetaSha,
    });
    expect(meta.model).toEqual({
      halfWidth: 1,
      vocabSize: setup.data.vocab.size,
      wordDim: 3,
      wordsTrainable: true,
      capsDim: 2,
      suffixRows: 0,
      suffixDim: 0,
      prefixRows: 0,
      prefixDim: 0,
      hidden: 4,
      labels: 7,
      activation: 'tanh',
      leakySlope: 0.01,
      dropout: 0,
    });
  });

  it('stores a missing dev score as null', async () => {
    const { dir } = await saved({ dev: null, epoch: 1, step: 7 });
    const { meta } = await loadCheckpoint(dir);
    expect(meta.dev).toBeNull();
    expect([meta.epoch, meta.step]).toEqual([1, 7]);
  });

  it('names the tensors W, b, U, c and embeddings.word / embeddings.caps in the weights file', async () => {
    const { weights } = await saved();
    const { tensors, metadata } = decodeSafetensors(readFileSync(weights), weights);
    expect([...tensors.keys()]).toEqual(['W', 'b', 'U', 'c', 'embeddings.word', 'embeddings.caps']);
    expect(tensors.get('W')?.shape).toEqual([4, 15]);
    expect(tensors.get('embeddings.word')?.shape).toEqual([setup.data.vocab.size, 3]);
    expect(tensors.get('embeddings.caps')?.shape).toEqual([6, 2]);
    expect(metadata).toEqual({ format: CHECKPOINT_FORMAT });
  });

  it('replaces an existing checkpoint atomically, leaving no temp or aside folders', async () => {
    const { dir } = await saved({ epoch: 1 });
    await saveCheckpoint(dir, state({ epoch: 2 }));
    await saveCheckpoint(dir, state({ epoch: 5 }));
    expect(readdirSync(join(dir, '..'))).toEqual(['model-best']);
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'model.safetensors', 'vocab.txt']);
    expect((await loadCheckpoint(dir)).meta.epoch).toBe(5);
  });

  it('creates missing parent folders', async () => {
    const dir = tmp.path('deep/er/model-last');
    await saveCheckpoint(dir, state());
    expect((await loadCheckpoint(dir)).meta.step).toBe(120);
  });

  it('loads the aside copy left by a writer killed between its two renames', async () => {
    const { dir } = await saved({ epoch: 9 });
    renameSync(dir, `${dir}.old-1700000000000-999999999-1`);
    expect((await loadCheckpoint(dir)).meta.epoch).toBe(9);
  });
});

describe('loadCheckpoint: damaged checkpoints', () => {
  it('rejects a weights file with a flipped byte, naming the sha256', async () => {
    const { dir, weights } = await saved();
    const bytes = readFileSync(weights);
    bytes[bytes.length - 5] ^= 0x01;
    writeFileSync(weights, bytes);
    await expectUserError(
      () => loadCheckpoint(dir),
      `${weights}: the weights do not match the sha256 recorded in meta.json (the file is damaged or was changed)`,
    );
  });

  it('rejects a truncated weights file', async () => {
    const { dir, weights } = await saved();
    const bytes = readFileSync(weights);
    writeFileSync(weights, bytes.subarray(0, bytes.length - 16));
    await expectUserError(() => loadCheckpoint(dir), /sha256/);
  });

  it('rejects a truncated weights file even when meta.json records its sha256', async () => {
    const { dir, weights, meta } = await saved();
    const bytes = readFileSync(weights).subarray(0, 100);
    writeFileSync(weights, bytes);
    writeMeta(meta, { ...readMeta(meta), weights_sha256: sha256(bytes) });
    const error = await expectUserError(() => loadCheckpoint(dir), new RegExp(`^${escape(weights)}: `));
    expect(error.message).toMatch(/header length \d+ is larger than the file/);
  });

  it('rejects an empty weights file', async () => {
    const { dir, weights, meta } = await saved();
    writeFileSync(weights, '');
    writeMeta(meta, { ...readMeta(meta), weights_sha256: sha256(new Uint8Array(0)) });
    await expectUserError(() => loadCheckpoint(dir), `${weights}: not a safetensors file: 0 bytes, too short for the 8-byte header length`);
  });

  it('rejects a meta.json that is not JSON', async () => {
    const { dir, meta } = await saved();
    writeFileSync(meta, readFileSync(meta, 'utf8').slice(0, 50));
    await expectUserError(() => loadCheckpoint(dir), `${meta}: not valid JSON (the checkpoint is damaged)`);
  });

  it.each([
    ['a JSON array', '[]'],
    ['null', 'null'],
    ['another format', JSON.stringify({ format: 'something-else', format_version: 1 })],
  ])('rejects a meta.json holding %s', async (_name, text) => {
    const { dir, meta } = await saved();
    writeFileSync(meta, text);
    await expectUserError(() => loadCheckpoint(dir), `${meta}: not a ner-train checkpoint`);
  });

  it('rejects another format version, with a hint', async () => {
    const { dir, meta } = await saved();
    writeMeta(meta, { ...readMeta(meta), format_version: 4 });
    const error = await expectUserError(() => loadCheckpoint(dir), `${meta}: checkpoint format version 4, this ner-train reads versions 1, 2 and 3`);
    expect(error.hint).toBe('use the ner-train version that wrote it');
  });

  it.each(['weights_file', 'weights_sha256', 'vocab_file', 'tag_scheme'] as const)('rejects a meta.json without %s', async (key) => {
    const { dir, meta } = await saved();
    const value: Partial<CheckpointMeta> = readMeta(meta);
    delete value[key];
    writeFileSync(meta, JSON.stringify(value));
    await expectUserError(() => loadCheckpoint(dir), `${meta}: '${key}' is missing`);
  });

  it('rejects a meta.json without labels', async () => {
    const { dir, meta } = await saved();
    const value: Partial<CheckpointMeta> = readMeta(meta);
    delete value.labels;
    writeFileSync(meta, JSON.stringify(value));
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 'labels' or 'model' is missing`);
  });

  it('rejects a missing folder with a hint', async () => {
    const dir = tmp.path('no-such-run/model-best');
    const error = await expectUserError(() => loadCheckpoint(dir), `${join(dir, 'meta.json')}: no such file`);
    expect(error.hint).toBe(`is ${dir} a checkpoint folder (model-best or model-last of a run)?`);
  });

  it('rejects a folder that is not a checkpoint, with a hint', async () => {
    const dir = tmp.path('not-a-checkpoint');
    mkdirSync(dir);
    const error = await expectUserError(() => loadCheckpoint(dir), `${join(dir, 'meta.json')}: no such file`);
    expect(error.hint).toMatch(/checkpoint folder/);
  });

  it('rejects a file given as the folder', async () => {
    const path = tmp.write('a-file', 'x');
    await expectUserError(() => loadCheckpoint(path), `${join(path, 'meta.json')}: a part of this path is not a folder`);
  });

  it('rejects a missing weights file', async () => {
    const { dir, weights } = await saved();
    renameSync(weights, `${weights}.bak`);
    await expectUserError(() => loadCheckpoint(dir), `${weights}: no such file`);
  });

  it('rejects a missing vocab.txt with a hint', async () => {
    const { dir, vocab } = await saved();
    renameSync(vocab, `${vocab}.bak`);
    const error = await expectUserError(() => loadCheckpoint(dir), `${vocab}: no such file`);
    expect(error.hint).toMatch(/checkpoint folder/);
  });

  it('rejects a meta.json whose model.hidden does not match the weights, naming the tensor', async () => {
    const { dir, meta, weights } = await saved();
    const value = readMeta(meta);
    writeMeta(meta, { ...value, model: { ...value.model, hidden: 5 } });
    await expectUserError(() => loadCheckpoint(dir), `${weights}: tensor 'W' is F32[4, 15], expected F32[5, 15]`);
  });

  it('rejects a meta.json whose caps size does not match, naming the tensor', async () => {
    const { dir, meta, weights } = await saved();
    const value = readMeta(meta);
    writeMeta(meta, { ...value, model: { ...value.model, capsDim: 3 } });
    // The inputs widen first, so W is the first tensor to disagree.
    await expectUserError(() => loadCheckpoint(dir), `${weights}: tensor 'W' is F32[4, 15], expected F32[4, 18]`);
  });

  it('rejects weights without a tensor the model needs', async () => {
    const { dir, meta, weights } = await saved();
    const { tensors } = decodeSafetensors(readFileSync(weights), weights);
    const kept = new Map<string, Tensor>([...tensors].filter(([name]) => name !== 'embeddings.caps'));
    const bytes = encodeSafetensors(kept);
    writeFileSync(weights, bytes);
    writeMeta(meta, { ...readMeta(meta), weights_sha256: sha256(bytes) });
    await expectUserError(() => loadCheckpoint(dir), `${weights}: tensor 'embeddings.caps' is missing`);
  });

  it('rejects a vocab.txt with a word more than meta.json records', async () => {
    const { dir, vocab, meta } = await saved();
    withoutChecksums(meta);
    writeFileSync(vocab, `${readFileSync(vocab, 'utf8')}extra\n`);
    const n = setup.data.vocab.size;
    await expectUserError(() => loadCheckpoint(dir), `${vocab}: ${n + 1} words, but meta.json records ${n}`);
  });

  it('rejects a vocab.txt without the reserved words', async () => {
    const { dir, vocab, meta } = await saved();
    withoutChecksums(meta);
    writeFileSync(vocab, readFileSync(vocab, 'utf8').replace('<unk>\n', ''));
    await expectUserError(() => loadCheckpoint(dir), `${vocab}:1: expected the reserved word <unk>`);
  });

  it('rejects a vocabulary that disagrees with the model, even when vocab_size was edited to match', async () => {
    const { dir, vocab, meta } = await saved();
    writeFileSync(vocab, `${readFileSync(vocab, 'utf8')}extra\n`);
    const value = readMeta(meta);
    writeMeta(meta, { ...value, vocab_size: value.vocab_size + 1 });
    const n = setup.data.vocab.size;
    await expectUserError(() => loadCheckpoint(dir), `${meta}: ${n + 1} words in vocab.txt, but the model records ${n} (the checkpoint is damaged)`);
  });

  it('rejects a label list that disagrees with the model', async () => {
    const { dir, meta } = await saved();
    const value = readMeta(meta);
    writeMeta(meta, { ...value, labels: value.labels.slice(0, 5) });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 5 labels, but the model records 7 (the checkpoint is damaged)`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('checkpoints of preprocessed models and entity detectors', () => {
  /** A whitening map fitted on the training windows of the test data (D = 15). */
  function whitening(mode: 'whiten' | 'standardize' | 'center' = 'whiten') {
    const { windows } = setup.data.train;
    const X = Float64Array.from(setup.model.gatherInputs(windows.ids, windows.count));
    return fitPreprocessor(mode, setup.model.D, () => [{ X, B: windows.count }], 0.01);
  }

  it.each(['center', 'standardize', 'whiten'] as const)('%s: the map round-trips bit for bit in float64 and gives the same scores', async (mode) => {
    const preprocessor = whitening(mode);
    const { dir, meta } = await saved({ preprocessor });
    const loaded = await loadCheckpoint(dir);
    expect(readMeta(meta).preprocess).toEqual({ mode, eps: 0.01 });
    const p = loaded.model.inputPreprocessor;
    expect(p?.mode).toBe(mode);
    expect(bytesOf(p?.mean ?? new Float64Array()).equals(bytesOf(preprocessor.mean))).toBe(true);
    if (preprocessor.transform) expect(bytesOf(p?.transform ?? new Float64Array()).equals(bytesOf(preprocessor.transform))).toBe(true);
    else expect(p?.transform).toBeNull();
    const { windows } = setup.data.train;
    setup.model.setPreprocessor(preprocessor);
    try {
      const expected = Array.from(setup.model.forward(windows.ids, windows.count, false));
      expect(Array.from(loaded.model.forward(windows.ids, windows.count, false))).toEqual(expected);
    } finally {
      setup.model.setPreprocessor(noPreprocessing(setup.model.D));
    }
  });

  it('rejects a whitened checkpoint whose transform tensor is missing', async () => {
    const { dir, weights, meta } = await saved({ preprocessor: whitening() });
    const { tensors } = decodeSafetensors(readFileSync(weights), weights);
    tensors.delete('preprocess.transform');
    const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT });
    writeFileSync(weights, bytes);
    writeMeta(meta, { ...readMeta(meta), weights_sha256: sha256(bytes) });
    await expectUserError(() => loadCheckpoint(dir), `${weights}: tensor 'preprocess.transform' is missing (meta.json records preprocess.mode whiten)`);
  });

  it('rejects an unknown preprocessing mode', async () => {
    const { dir, meta } = await saved();
    writeMeta(meta, { ...readMeta(meta), preprocess: { mode: 'pca' as 'whiten', eps: 0.01 } });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: 'preprocess' is missing or names an unknown mode`);
  });

  it('reads a version-1 checkpoint as an unpreprocessed tagger', async () => {
    const { dir, meta } = await saved();
    const v1 = readMeta(meta) as Partial<CheckpointMeta>;
    delete v1.task;
    delete v1.detector;
    delete v1.decode;
    writeMeta(meta, { ...(v1 as CheckpointMeta), format_version: 1, preprocess: { mode: 'none' } as CheckpointMeta['preprocess'] });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.meta.task).toBe('tagger');
    expect(loaded.meta.detector).toBeNull();
    expect(loaded.model.inputPreprocessor?.mode).toBe('none');
  });

  it('an entity detector records its task, one label and its threshold; a detector without a threshold is rejected', async () => {
    const spec = { ...setup.spec, labels: 1 };
    const model = createScorer(spec, 'float32');
    const { dir, meta } = await saved({ model, spec, task: 'entity-detector', detector: { threshold: 0.25 } });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.meta.task).toBe('entity-detector');
    expect(loaded.meta.labels).toEqual(['ENTITY']);
    expect(loaded.meta.detector).toEqual({ threshold: 0.25 });
    expect(loaded.model.K).toBe(1);
    writeMeta(meta, { ...readMeta(meta), detector: null });
    await expectUserError(() => loadCheckpoint(dir), `${meta}: an entity detector without 'detector.threshold'`);
  });
});
