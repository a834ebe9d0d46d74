import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkMetaStructure, metaChecksum, sealMeta, verifyFileHash, verifyMetaChecksum } from '../../src/checkpoint/verify.js';
import { UserError } from '../../src/errors.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A structurally valid meta (after older versions' defaults are filled in). */
function meta(): Record<string, unknown> {
  return {
    format: 'ner-train-checkpoint',
    format_version: 3,
    weights_file: 'model.safetensors',
    weights_sha256: 'a'.repeat(64),
    vocab_file: 'vocab.txt',
    vocab_size: 10,
    labels: ['O', 'B-PER', 'I-PER'],
    tag_scheme: 'iob2',
    word_normalisation: { lowercase: true, normalize_digits: true },
    affixes: { suffix: { length: 3, file: 'suffix.txt', size: 5 }, prefix: null },
    model: { halfWidth: 2, vocabSize: 10, wordDim: 3, wordsTrainable: true, capsDim: 2, suffixRows: 5, suffixDim: 2, prefixRows: 0, prefixDim: 0, hidden: 4, labels: 3, activation: 'tanh', leakySlope: 0.01, dropout: 0 },
    task: 'tagger',
    preprocess: { mode: 'none', eps: 0 },
    detector: null,
    decode: 'greedy',
    epoch: 1,
    step: 2,
    dev: null,
    files_sha256: { 'vocab.txt': sha('x\n') },
  };
}

function messageOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected a UserError');
}

describe('meta.json checksum', () => {
  it('is the sha256 of the compact JSON without the checksum key, added as the last key', () => {
    const sealed = sealMeta(meta());
    expect(Object.keys(sealed).at(-1)).toBe('meta_sha256');
    expect(sealed.meta_sha256).toBe(sha(JSON.stringify(meta())));
    expect(metaChecksum(sealed)).toBe(sealed.meta_sha256);
  });

  it('verifies a re-indented file and refuses any changed value, a removed key or a changed checksum', () => {
    const text = JSON.stringify(sealMeta(meta()), null, 2);
    expect(() => verifyMetaChecksum(JSON.parse(JSON.stringify(JSON.parse(text))) as Record<string, unknown>, 'm.json')).not.toThrow();
    const edits: ((m: Record<string, unknown>) => void)[] = [
      (m) => (m.labels = ['O', 'B-LOC', 'I-LOC']),
      (m) => (m.epoch = 2),
      (m) => delete m.dev,
      (m) => (m.extra = 1),
      (m) => (m.meta_sha256 = 'b'.repeat(64)),
      (m) => (m.meta_sha256 = 5),
    ];
    for (const edit of edits) {
      const value = JSON.parse(text) as Record<string, unknown>;
      edit(value);
      expect(messageOf(() => verifyMetaChecksum(value, 'm.json'))).toBe('m.json: the content does not match the meta_sha256 it records (the file was edited or is damaged)');
    }
  });

  it('is not required: a meta without one (written before it) passes', () => {
    expect(() => verifyMetaChecksum(meta(), 'm.json')).not.toThrow();
  });
});

describe('text file hashes', () => {
  it('accept the recorded text, refuse any other and a missing entry, and are skipped when none are recorded', () => {
    const hashes = { 'vocab.txt': sha('a\nb\n') };
    expect(() => verifyFileHash('a\nb\n', 'vocab.txt', '/c/vocab.txt', hashes, '/c/meta.json')).not.toThrow();
    expect(messageOf(() => verifyFileHash('b\na\n', 'vocab.txt', '/c/vocab.txt', hashes, '/c/meta.json'))).toBe(
      '/c/vocab.txt: the file does not match the sha256 recorded in meta.json (the file is damaged or was changed)',
    );
    expect(messageOf(() => verifyFileHash('x', 'suffix.txt', '/c/suffix.txt', hashes, '/c/meta.json'))).toBe("/c/meta.json: 'files_sha256' has no entry for suffix.txt (the checkpoint is damaged)");
    expect(() => verifyFileHash('anything', 'vocab.txt', '/c/vocab.txt', undefined, '/c/meta.json')).not.toThrow();
  });
});

describe('meta.json structure', () => {
  it('accepts a valid meta', () => {
    expect(() => checkMetaStructure(meta(), 'm.json', 'ENTITY')).not.toThrow();
  });

  it('names every bad field on one line', () => {
    const value = meta();
    value.weights_file = '../../etc/passwd';
    (value.model as Record<string, unknown>).activation = 'foo';
    value.tag_scheme = 'xyz';
    value.labels = ['O', 3];
    const message = messageOf(() => checkMetaStructure(value, 'm.json', 'ENTITY'));
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^m\.json: bad fields \(the checkpoint is damaged\): /);
    for (const key of ['weights_file: must be a plain file name', 'model.activation: ', 'tag_scheme: ', 'labels.1: ']) expect(message).toContain(key);
  });

  it.each([
    ['a vocab file outside the folder', (m: Record<string, unknown>) => (m.vocab_file = '/etc/passwd'), 'vocab_file: must be a plain file name'],
    ['an affix file named ..', (m: Record<string, unknown>) => ((m.affixes as { suffix: { file: string } }).suffix.file = '..'), 'affixes.suffix.file: must be a plain file name'],
    ['a label that is not IOB2', (m: Record<string, unknown>) => (m.labels = ['O', 'E-PER']), "labels: 'E-PER' is not an IOB2 label"],
    ['a label listed twice', (m: Record<string, unknown>) => (m.labels = ['O', 'B-PER', 'B-PER']), 'labels: a label is listed twice'],
    ['a detector with tagger labels', (m: Record<string, unknown>) => Object.assign(m, { task: 'entity-detector', detector: { threshold: 0 } }), 'labels: an entity detector has the one label ENTITY'],
    ['a negative hidden size', (m: Record<string, unknown>) => ((m.model as { hidden: number }).hidden = -1), 'model.hidden: '],
    ['a weights sha256 that is not hex', (m: Record<string, unknown>) => (m.weights_sha256 = 'xyz'), 'weights_sha256: must be 64 hexadecimal digits'],
  ])('refuses %s', (_name, edit, fragment) => {
    const value = meta();
    edit(value);
    expect(messageOf(() => checkMetaStructure(value, 'm.json', 'ENTITY'))).toContain(fragment);
  });
});
