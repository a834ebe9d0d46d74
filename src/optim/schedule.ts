export type ScheduleName = 'constant' | 'step' | 'exponential' | 'inverse';

export interface ScheduleOptions {
  name: ScheduleName;
  /** What t counts; the caller passes t accordingly, learningRateAt does not look at it. */
  unit: 'steps' | 'epochs';
  /** step: multiplier applied every `every` units. */
  factor: number;
  every: number;
  /** exponential: decay rate per unit. */
  k: number;
  /** inverse: units at the full rate before the 1/t decay starts. */
  tau: number;
}

/**
 * Learning rate after t completed units (t = 0 for the first step/epoch): constant α0;
 * step α0·factor^floor(t/every); exponential α0·e^(−k t); inverse α0·τ/max(t, τ).
 */
export function learningRateAt(lr0: number, schedule: ScheduleOptions, t: number): number {
  if (!(t >= 0)) throw new RangeError(`learningRateAt: t must be >= 0, got ${t}`);
  switch (schedule.name) {
    case 'constant':
      return lr0;
    case 'step':
      if (!(schedule.every > 0)) throw new RangeError(`step schedule: every must be positive, got ${schedule.every}`);
      return lr0 * schedule.factor ** Math.floor(t / schedule.every);
    case 'exponential':
      return lr0 * Math.exp(-schedule.k * t);
    case 'inverse':
      if (!(schedule.tau > 0)) throw new RangeError(`inverse schedule: tau must be positive, got ${schedule.tau}`);
      return (lr0 * schedule.tau) / Math.max(t, schedule.tau);
    default: {
      const unknown: never = schedule.name;
      throw new Error(`unknown learning-rate schedule '${String(unknown)}'`);
    }
  }
}
