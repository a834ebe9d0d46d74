/**
 * "Did you mean …?" for unknown config keys. The candidates come from the schema
 * (see schema.ts `shapeOf`), so the suggestions can never name a key that does not exist.
 */

/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, so the
 * common typo "tahn" is one edit from "tanh" rather than two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // d[i][j] = distance between the first i chars of a and the first j chars of b.
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  return d[a.length][b.length];
}

/** Case, '-' versus '_' and spaces are not typos worth counting: "Batch-Size" is batch_size. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/[-\s]/g, '_');
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a
 * plausible typo (about one edit per three characters, at least one).
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const target = normalize(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const normalized = normalize(candidate);
    const distance = editDistance(target, normalized);
    const limit = Math.max(1, Math.floor(Math.max(target.length, normalized.length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
