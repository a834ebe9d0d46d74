import { CAPS_CLASSES } from '../data/caps.js';
import { getActivation, type ActivationName } from '../math/activations.js';
import type { DTypeName } from '../math/matrix.js';
import { createTable, type EmbeddingTable } from './embedding.js';
import { WindowScorer } from './window-scorer.js';

/** What fixes a scorer's architecture; stored in every checkpoint. */
export interface ModelSpec {
  halfWidth: number;
  vocabSize: number;
  wordDim: number;
  wordsTrainable: boolean;
  capsDim: number;
  /** Suffix and prefix tables: rows of the affix vocabulary and embedding size; 0 rows = feature off. */
  suffixRows: number;
  suffixDim: number;
  prefixRows: number;
  prefixDim: number;
  hidden: number;
  labels: number;
  activation: ActivationName;
  leakySlope: number;
  dropout: number;
  /** Training-only like dropout; absent in checkpoints written before it existed. */
  inputDropout?: number;
}

/** A scorer with zeroed parameters: the caller initialises or loads them. */
export function createScorer(spec: ModelSpec, dtype: DTypeName = 'float32'): WindowScorer {
  const tables: EmbeddingTable[] = [createTable('word', spec.vocabSize, spec.wordDim, dtype, spec.wordsTrainable)];
  if (spec.capsDim > 0) tables.push(createTable('caps', CAPS_CLASSES.length, spec.capsDim, dtype, true));
  // The order of the id columns of EncodedWindows: word, caps, suffix, prefix.
  if (spec.suffixRows > 0) tables.push(createTable('suffix', spec.suffixRows, spec.suffixDim, dtype, true));
  if (spec.prefixRows > 0) tables.push(createTable('prefix', spec.prefixRows, spec.prefixDim, dtype, true));
  return new WindowScorer({
    positions: 2 * spec.halfWidth + 1,
    tables,
    hidden: spec.hidden,
    labels: spec.labels,
    activation: getActivation(spec.activation, spec.leakySlope),
    dropout: spec.dropout,
    inputDropout: spec.inputDropout ?? 0,
    dtype,
  });
}
