/**
 * Token-level confusion matrix: how often each gold tag string was predicted as each tag
 * string. Tags are counted as written (B-PER and I-PER are different labels), so the
 * diagonal sum over the total is exactly the token accuracy of EntityScorer.
 */

export interface ConfusionMatrix {
  /** Every tag seen in gold or predictions: 'O' first, then by type, then by prefix (B, I, E, S). */
  labels: string[];
  /** matrix[g][p]: tokens with gold tag labels[g] predicted as labels[p]. Rows gold, columns predicted. */
  matrix: number[][];
}

const PREFIX_ORDER: Record<string, number> = { B: 0, I: 1, E: 2, S: 3 };

/** 'O' first; then tags of the form P-TYPE by type, then by prefix in the order B, I, E, S; anything else last, by string. */
export function compareTags(a: string, b: string): number {
  const key = (tag: string): [number, string, number, string] => {
    if (tag === 'O') return [0, '', 0, tag];
    const match = /^([BIES])-(.+)$/.exec(tag);
    if (match) return [1, match[2], PREFIX_ORDER[match[1]], tag];
    return [2, '', 0, tag];
  };
  const [ka, kb] = [key(a), key(b)];
  if (ka[0] !== kb[0]) return ka[0] - kb[0];
  if (ka[1] !== kb[1]) return ka[1] < kb[1] ? -1 : 1;
  if (ka[2] !== kb[2]) return ka[2] - kb[2];
  return ka[3] < kb[3] ? -1 : ka[3] > kb[3] ? 1 : 0;
}

/** Accumulates gold × predicted tag counts sentence by sentence. */
export class TokenConfusion {
  /** gold tag -> predicted tag -> count */
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly seen = new Set<string>();

  add(gold: readonly string[], predicted: readonly string[]): void {
    if (gold.length !== predicted.length) {
      throw new Error(`TokenConfusion.add: ${gold.length} gold tags but ${predicted.length} predicted tags`);
    }
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i];
      const p = predicted[i];
      this.seen.add(g);
      this.seen.add(p);
      let row = this.counts.get(g);
      if (row === undefined) {
        row = new Map<string, number>();
        this.counts.set(g, row);
      }
      row.set(p, (row.get(p) ?? 0) + 1);
    }
  }

  result(): ConfusionMatrix {
    const labels = [...this.seen].sort(compareTags);
    const matrix = labels.map((g) => {
      const row = this.counts.get(g);
      return labels.map((p) => row?.get(p) ?? 0);
    });
    return { labels, matrix };
  }
}
