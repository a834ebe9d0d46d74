import type { EncodedWindows } from '../data/windows.js';
import { predictLabelIds, scoreInBatches, type Scorer } from '../model/predict.js';
import type { TransitionParams } from '../model/transitions.js';
import { iob2Constraints, type TransitionMask } from './constraints.js';
import { viterbi, ViterbiWorkspace, type Transitions } from './viterbi.js';

export type DecodeMode = 'greedy' | 'constrained' | 'learned';

/** How window scores become tags: per token (greedy), or by Viterbi under the IOB2 constraints, with learned transition scores or none. */
export interface Decoder {
  readonly mode: DecodeMode;
  readonly transitions: Transitions | null;
  readonly mask: TransitionMask | null;
}

export const GREEDY: Decoder = { mode: 'greedy', transitions: null, mask: null };

export function createDecoder(mode: DecodeMode, labels: readonly string[], transitions: TransitionParams | null): Decoder {
  if (mode === 'greedy') return GREEDY;
  if (mode === 'learned' && !transitions) throw new Error('learned decoding needs transition scores');
  // Learned transitions learn forbidden moves are bad, but only approximately: the mask makes them impossible.
  return { mode, transitions: mode === 'learned' ? transitions : null, mask: iob2Constraints(labels) };
}

/** The label id of every window, decoded sentence by sentence (windows.sentenceStarts). */
export function decodeLabelIds(model: Scorer, windows: EncodedWindows, batchSize: number, decoder: Decoder): Int32Array {
  if (decoder.mode === 'greedy') return predictLabelIds(model, windows, batchSize);
  const K = model.K;
  const scores = new Float32Array(windows.count * K);
  scoreInBatches(model, windows, batchSize, (S, start, B) => {
    for (let i = 0; i < B * K; i++) scores[start * K + i] = S[i];
  });
  const out = new Int32Array(windows.count);
  const ws = new ViterbiWorkspace(K);
  const starts = windows.sentenceStarts;
  for (let s = 0; s + 1 < starts.length; s++) {
    const n = starts[s + 1] - starts[s];
    if (n > 0) viterbi(scores, starts[s], n, K, decoder.transitions, decoder.mask, out, starts[s], ws);
  }
  return out;
}
