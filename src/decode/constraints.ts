/**
 * Which label moves the IOB2 scheme allows: I-X continues an entity of type X, so it may
 * only follow B-X or I-X and can never open a sentence. Every other label (O, B-X, or
 * anything not written I-…) is allowed everywhere. 1 = allowed, 0 = forbidden.
 */
export interface TransitionMask {
  readonly K: number;
  /** start[j]: may a sentence begin with label j. */
  readonly start: Uint8Array;
  /** trans[i·K + j]: may label j follow label i. */
  readonly trans: Uint8Array;
}

export function iob2Constraints(labels: readonly string[]): TransitionMask {
  const K = labels.length;
  const start = new Uint8Array(K);
  const trans = new Uint8Array(K * K);
  // The entity type a label belongs to, or null for O and labels outside the scheme.
  const typeOf = (label: string): string | null =>
    label.startsWith('B-') || label.startsWith('I-') ? label.slice(2) : null;
  for (let j = 0; j < K; j++) {
    const inside = labels[j].startsWith('I-');
    start[j] = inside ? 0 : 1;
    const type = labels[j].slice(2);
    for (let i = 0; i < K; i++) {
      trans[i * K + j] = !inside || typeOf(labels[i]) === type ? 1 : 0;
    }
  }
  return { K, start, trans };
}
