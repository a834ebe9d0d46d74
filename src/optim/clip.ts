import type { ParameterGroups } from './optimizer.js';

/**
 * Global L2 norm of all dense grads and all table sparse grads (only the `count` rows:
 * the packed buffer keeps stale values past them). Frozen tables are left out, as the
 * optimiser skips them. Accumulated in float64 whatever the arrays' dtype.
 */
export function gradientNorm(groups: ParameterGroups): number {
  let sum = 0;
  for (const segment of groups.dense) {
    const g = segment.grad;
    for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  }
  for (const tg of groups.tables) {
    if (!tg.table.trainable) continue;
    const g = tg.grad;
    const n = tg.count * tg.table.dim;
    for (let i = 0; i < n; i++) sum += g[i] * g[i];
  }
  return Math.sqrt(sum);
}

/**
 * Global L2 norm of all dense grads and all table sparse grads (only the count rows); if
 * > maxNorm, scales every one of those gradients in place by maxNorm/norm. Returns the norm
 * before clipping. A non-finite norm is returned without touching the gradients: scaling
 * by maxNorm/∞ would turn infinities into NaN and hide where the divergence came from.
 */
export function clipGradientNorm(groups: ParameterGroups, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradientNorm: maxNorm must be positive, got ${maxNorm}`);
  const norm = gradientNorm(groups);
  if (!(norm > maxNorm) || !Number.isFinite(norm)) return norm;
  const scale = maxNorm / norm;
  for (const segment of groups.dense) {
    const g = segment.grad;
    for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  for (const tg of groups.tables) {
    if (!tg.table.trainable) continue;
    const g = tg.grad;
    const n = tg.count * tg.table.dim;
    for (let i = 0; i < n; i++) g[i] *= scale;
  }
  return norm;
}
