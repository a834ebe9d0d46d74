/**
 * Prefix and suffix features: a word the vocabulary has never seen (or maps to <unk>)
 * still shows its ending (-ville, -berg, -ov, -ing) and beginning (Mc-, Van-), which say
 * a lot about its entity type. Each affix gets a row of its own small table.
 */
export type AffixSide = 'suffix' | 'prefix';

// Upper-case names: an affix is lowercased, so it can never equal a reserved row's name.
export const AFFIX_UNK = '<UNK>';
export const AFFIX_PAD = '<PAD>';
export const AFFIX_UNK_ID = 0;
/** The row of window positions past the sentence edges (one for both sides; the word table tells them apart). */
export const AFFIX_PAD_ID = 1;
const RESERVED = [AFFIX_UNK, AFFIX_PAD];

/**
 * The last (suffix) or first (prefix) `length` characters of a token, lowercased; the
 * whole token when it is shorter. Characters are code points, so an astral character
 * (an emoji, a CJK extension ideograph) is never cut in half.
 */
export function affixOf(token: string, side: AffixSide, length: number): string {
  // Fewer UTF-16 units than `length` means fewer code points too: no need to split.
  if (token.length <= length) return token.toLowerCase();
  const chars = Array.from(token);
  if (chars.length <= length) return token.toLowerCase();
  const kept = side === 'suffix' ? chars.slice(chars.length - length) : chars.slice(0, length);
  return kept.join('').toLowerCase();
}

/** Affixes of one side and length to rows: 0 the unknown affix, 1 the padding, then the affixes kept. */
export class AffixVocabulary {
  private readonly index = new Map<string, number>();

  private constructor(
    readonly side: AffixSide,
    readonly length: number,
    readonly affixes: readonly string[],
  ) {
    affixes.forEach((affix, i) => {
      if (!this.index.has(affix)) this.index.set(affix, i);
    });
  }

  /**
   * The affixes of the training tokens seen at least `minCount` times, most frequent
   * first (a stable sort keeps first appearance among equal counts: the same rows every run).
   */
  static build(tokens: Iterable<string>, side: AffixSide, length: number, minCount: number): AffixVocabulary {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`AffixVocabulary.build: length must be a positive integer, got ${length}`);
    const counts = new Map<string, number>();
    for (const token of tokens) {
      const affix = affixOf(token, side, length);
      counts.set(affix, (counts.get(affix) ?? 0) + 1);
    }
    const kept = [...counts.entries()]
      .filter(([, count]) => count >= minCount)
      .sort((a, b) => b[1] - a[1])
      .map(([affix]) => affix);
    return new AffixVocabulary(side, length, [...RESERVED, ...kept]);
  }

  /** The lines of a checkpoint's suffix.txt / prefix.txt, line i = row i. */
  static fromText(text: string, side: AffixSide, length: number, source: string): AffixVocabulary {
    const affixes = text.split('\n');
    if (affixes[affixes.length - 1] === '') affixes.pop();
    for (let i = 0; i < RESERVED.length; i++) {
      if (affixes[i] !== RESERVED[i]) throw new Error(`${source}:${i + 1}: expected the reserved affix ${RESERVED[i]}`);
    }
    return new AffixVocabulary(side, length, affixes);
  }

  toText(): string {
    return `${this.affixes.join('\n')}\n`;
  }

  get size(): number {
    return this.affixes.length;
  }

  /** Row of a token's affix, or the unknown affix's row. */
  id(token: string): number {
    return this.index.get(affixOf(token, this.side, this.length)) ?? AFFIX_UNK_ID;
  }
}
