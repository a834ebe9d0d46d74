import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { momentum } from './momentum.js';
import type { Optimizer, OptimizerOptions, ParameterGroups } from './optimizer.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

export type { DenseSegment, Optimizer, OptimizerName, OptimizerOptions, ParameterGroups } from './optimizer.js';
export { clipGradientNorm, gradientNorm } from './clip.js';
export { learningRateAt, type ScheduleName, type ScheduleOptions } from './schedule.js';
export { adagrad, adam, momentum, rmsprop, sgd };

export function createOptimizer(groups: ParameterGroups, options: OptimizerOptions): Optimizer {
  switch (options.name) {
    case 'sgd':
      return sgd(groups);
    case 'momentum':
      return momentum(groups, options);
    case 'adagrad':
      return adagrad(groups, options);
    case 'rmsprop':
      return rmsprop(groups, options);
    case 'adam':
      return adam(groups, options);
    default: {
      const unknown: never = options.name;
      throw new Error(`unknown optimizer '${String(unknown)}'`);
    }
  }
}
