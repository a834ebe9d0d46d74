import { convertTags, spansFromTags, type TagScheme } from './tags.js';

/**
 * The classifier's output classes. Whatever scheme a file is written in, training uses
 * IOB2 labels (O, B-X, I-X): one scheme inside, converted at the edges.
 */
export class LabelSet {
  private readonly index: Map<string, number>;

  constructor(readonly labels: readonly string[]) {
    this.index = new Map(labels.map((label, i) => [label, i]));
  }

  /** O first, then B-/I- for each entity type in sorted order. */
  static fromTypes(types: Iterable<string>): LabelSet {
    const sorted = [...new Set(types)].sort();
    return new LabelSet(['O', ...sorted.flatMap((type) => [`B-${type}`, `I-${type}`])]);
  }

  get size(): number {
    return this.labels.length;
  }

  /** Label id of an IOB2 tag, or -1 for a type the model does not know. */
  id(tag: string): number {
    return this.index.get(tag) ?? -1;
  }

  types(): string[] {
    return this.labels.filter((label) => label.startsWith('B-')).map((label) => label.slice(2));
  }
}

/** The entity types of a corpus, as conlleval would chunk it. */
export function entityTypes(sentences: Iterable<{ tags: readonly string[] }>, scheme: TagScheme): Set<string> {
  const types = new Set<string>();
  for (const sentence of sentences) for (const span of spansFromTags(sentence.tags, scheme)) types.add(span.type);
  return types;
}

/** Label ids of one sentence's gold tags (written in `scheme`). */
export function labelIds(tags: readonly string[], scheme: TagScheme, labels: LabelSet): Int32Array {
  const iob2 = convertTags(tags, scheme, 'iob2');
  return Int32Array.from(iob2, (tag) => labels.id(tag));
}

/** IOB2 tags for predicted label ids. */
export function tagsOfLabels(ids: ArrayLike<number>, labels: LabelSet): string[] {
  return Array.from({ length: ids.length }, (_, i) => labels.labels[ids[i]]);
}
