import type { WindowScorer } from '../model/window-scorer.js';
import { adam } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { sgd } from './sgd.js';

export type { Optimizer } from './optimizer.js';

export interface OptimizerConfig {
  name: 'sgd' | 'adam';
  beta1: number;
  beta2: number;
  eps: number;
}

export function createOptimizer(model: WindowScorer, config: OptimizerConfig): Optimizer {
  return config.name === 'adam' ? adam(model, config) : sgd();
}
