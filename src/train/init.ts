import type { Config } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import type { Rng } from '../math/random.js';
import { fillUniform, initWeights } from '../model/params.js';
import type { WindowScorer } from '../model/window-scorer.js';

/**
 * Initial parameters: W and U by `model.init` (Xavier by default), zero biases; word rows
 * copied from the pretrained vectors where there is one, else uniform in ±random_scale;
 * caps, suffix and prefix rows uniform too. Draws from `rng` in a fixed order, so a seed fixes every starting value.
 */
export function initialiseModel(model: WindowScorer, data: PreparedData, config: Config, rng: Rng): void {
  initWeights(model.params, config.model.init, config.model.init_scale, rng);
  const scale = config.embeddings.random_scale;
  for (const table of model.tables) fillUniform(table.data, scale, rng);
  const words = model.tables[0];
  const pretrained = data.pretrained;
  if (!pretrained) return;
  const dim = words.dim;
  for (let row = 0; row < words.rows; row++) {
    const source = data.pretrainedRow[row];
    if (source >= 0) words.data.set(pretrained.vectors.subarray(source * dim, (source + 1) * dim), row * dim);
  }
}
