import { maxMargin } from './max-margin.js';
import type { Objective } from './objective.js';
import { softmaxCrossEntropy } from './softmax.js';

export type { Objective } from './objective.js';

export function createObjective(options: { loss: 'max-margin' | 'softmax'; margin: number }): Objective {
  return options.loss === 'softmax' ? softmaxCrossEntropy() : maxMargin(options.margin);
}
