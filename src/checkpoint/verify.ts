/**
 * Integrity of a checkpoint folder beyond the weights' sha256: a checksum of meta.json's
 * own content, the sha256 of each text file (vocab.txt, suffix.txt, prefix.txt), and the
 * structure of every meta.json field the loader relies on. Together with the weights'
 * sha256 they make any edit or damage of any file of the folder a clear error at load:
 * a swapped line of vocab.txt or a relabelled entity type in meta.json would otherwise
 * load fine and tag wrongly.
 *
 * The checksums are optional on read, since checkpoints written before them lack them;
 * the structure is checked for every checkpoint.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ACTIVATION_NAMES } from '../math/activations.js';
import { UserError } from '../errors.js';

/** The key of meta.json that holds the checksum of the rest of it. */
export const META_CHECKSUM_KEY = 'meta_sha256';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The checksum of a meta object: sha256 of its compact JSON without the checksum key.
 * JSON.parse keeps key order and round-trips every number, so a meta.json that was only
 * re-indented still verifies, while any changed value or key does not.
 */
export function metaChecksum(meta: object): string {
  const rest: Record<string, unknown> = { ...(meta as Record<string, unknown>) };
  delete rest[META_CHECKSUM_KEY];
  return sha256Hex(JSON.stringify(rest));
}

/** The meta object with its checksum added as the last key, ready to be written. */
export function sealMeta<T extends object>(meta: T): T & { meta_sha256: string } {
  return { ...meta, meta_sha256: metaChecksum(meta) };
}

/** Checks meta.json's recorded checksum, when there is one, against its content. */
export function verifyMetaChecksum(value: Record<string, unknown>, path: string): void {
  if (!Object.hasOwn(value, META_CHECKSUM_KEY)) return;
  const recorded = value[META_CHECKSUM_KEY];
  if (typeof recorded !== 'string' || recorded !== metaChecksum(value)) {
    throw new UserError(`${path}: the content does not match the ${META_CHECKSUM_KEY} it records (the file was edited or is damaged)`, {
      hint: 'meta.json must not be edited: restore the checkpoint folder from a copy, or train again',
    });
  }
}

/** Checks a text file of the folder against the sha256 meta.json records for it (when it records one). */
export function verifyFileHash(text: string, file: string, path: string, hashes: Readonly<Record<string, string>> | undefined, metaPath: string): void {
  if (hashes === undefined) return;
  const recorded = hashes[file];
  if (recorded === undefined) throw new UserError(`${metaPath}: 'files_sha256' has no entry for ${file} (the checkpoint is damaged)`);
  // The writer wrote the text as UTF-8; any change of the bytes changes the decoded text.
  if (sha256Hex(text) !== recorded) {
    throw new UserError(`${path}: the file does not match the sha256 recorded in meta.json (the file is damaged or was changed)`);
  }
}

// ---------------------------------------------------------------------------------
// Structure

/** A file of the checkpoint folder: a plain name, never a path that leads out of it. */
const fileName = z.string().regex(/^(?!\.\.?$)[^/\\\0]+$/, 'must be a plain file name inside the checkpoint folder');
const count = z.int().min(0);
const finite = z.number();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hexadecimal digits');

const modelSpec = z.object({
  halfWidth: count,
  vocabSize: z.int().min(1),
  wordDim: z.int().min(1),
  wordsTrainable: z.boolean(),
  capsDim: count,
  suffixRows: count,
  suffixDim: count,
  prefixRows: count,
  prefixDim: count,
  hidden: z.int().min(1),
  labels: z.int().min(1),
  activation: z.enum(ACTIVATION_NAMES),
  leakySlope: finite,
  dropout: finite,
  inputDropout: finite.optional(),
});

const affix = z.object({ length: z.int().min(1).max(100), file: fileName, size: count }).nullable();

/** meta.json as the loader uses it, after the defaults of older format versions are filled in. */
const metaSchema = z.object({
  weights_file: fileName,
  weights_sha256: sha256,
  vocab_file: fileName,
  vocab_size: count,
  labels: z.array(z.string()).min(1),
  tag_scheme: z.enum(['iob1', 'iob2', 'iobes']),
  word_normalisation: z.object({ lowercase: z.boolean(), normalize_digits: z.boolean() }),
  affixes: z.object({ suffix: affix, prefix: affix }),
  model: modelSpec,
  task: z.enum(['tagger', 'entity-detector']),
  preprocess: z.object({ mode: z.enum(['none', 'center', 'standardize', 'whiten']), eps: z.number().min(0) }),
  detector: z.object({ threshold: finite }).nullable(),
  decode: z.enum(['greedy', 'constrained', 'learned']),
  epoch: count,
  step: count,
  dev: z.object({ precision: finite, recall: finite, f1: finite }).nullable(),
  files_sha256: z.record(z.string(), sha256).optional(),
});

/** An IOB2 label as LabelSet.fromTypes writes it. */
const IOB2_LABEL = /^(O|[BI]-\S+)$/;

/**
 * Checks every field the loader reads; one UserError names each bad key. `detectorLabel`
 * is the single label of an entity detector's checkpoint.
 */
export function checkMetaStructure(meta: unknown, path: string, detectorLabel: string): void {
  const result = metaSchema.safeParse(meta);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'meta'}: ${issue.message}`);
  if (result.success) {
    const { labels, task } = result.data;
    if (task === 'entity-detector' && (labels.length !== 1 || labels[0] !== detectorLabel)) {
      problems.push(`labels: an entity detector has the one label ${detectorLabel}`);
    }
    if (task === 'tagger') {
      const bad = labels.find((label) => !IOB2_LABEL.test(label));
      if (bad !== undefined) problems.push(`labels: '${bad}' is not an IOB2 label (O, B-TYPE or I-TYPE)`);
      else if (new Set(labels).size !== labels.length) problems.push('labels: a label is listed twice');
    }
  }
  if (problems.length > 0) throw new UserError(`${path}: bad field${problems.length > 1 ? 's' : ''} (the checkpoint is damaged): ${problems.join('; ')}`);
}
