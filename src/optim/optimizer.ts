import type { WindowScorer } from '../model/window-scorer.js';

/**
 * An update rule over the scorer's parameters: the dense block in one loop, and each
 * trainable table only at the rows the batch touched (their sparse gradients).
 */
export interface Optimizer {
  readonly name: string;
  step(model: WindowScorer, lr: number): void;
}
