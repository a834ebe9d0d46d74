import { maxMargin, type MarginReduction } from './max-margin.js';
import type { Objective } from './objective.js';
import { softmaxCrossEntropy } from './softmax.js';

export type { Objective } from './objective.js';
export type { MarginReduction } from './max-margin.js';

/** The per-window objective a config names. */
export function createObjective(options: { loss: 'max-margin' | 'softmax'; margin: number; reduction?: MarginReduction }): Objective {
  return options.loss === 'softmax' ? softmaxCrossEntropy() : maxMargin(options.margin, options.reduction ?? 'sum');
}
