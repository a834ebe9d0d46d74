import { maxMargin, type MarginReduction } from './max-margin.js';
import type { Objective } from './objective.js';
import { softmaxCrossEntropy } from './softmax.js';

export type { Objective } from './objective.js';
export type { MarginReduction } from './max-margin.js';

/**
 * The per-window objective a config names. `classWeight[y]` (optional) multiplies the loss
 * of every window whose gold label is y: down-weighting O, 83 % of CoNLL tokens, shifts the
 * balance towards the entity labels.
 */
export function createObjective(options: { loss: 'max-margin' | 'softmax'; margin: number; reduction?: MarginReduction; classWeight?: Float64Array | null }): Objective {
  const weights = options.classWeight ?? null;
  return options.loss === 'softmax' ? softmaxCrossEntropy(weights) : maxMargin(options.margin, options.reduction ?? 'sum', weights);
}
