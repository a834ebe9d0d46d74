/**
 * Chunk tag schemes (IOB1, IOB2, IOBES): reading chunks out of tag sequences, writing them
 * back, and converting between schemes. For IOB1/IOB2 the chunks are exactly the ones the
 * CoNLL evaluation script (conlleval.pl) finds, so scores computed from them match it.
 */

export type TagScheme = 'iob1' | 'iob2' | 'iobes';

/** A chunk: token indices [start, end), end exclusive. */
export interface Span {
  start: number;
  end: number;
  type: string;
}

export type TagPrefix = 'O' | 'B' | 'I' | 'E' | 'S';

const TAG_PATTERN = /^[BIES]-\S+$/;

export function isValidTag(tag: string): boolean {
  return tag === 'O' || TAG_PATTERN.test(tag);
}

export function tagPrefix(tag: string): TagPrefix {
  if (tag === 'O') return 'O';
  const prefix = tag[0];
  if (prefix === 'B' || prefix === 'I' || prefix === 'E' || prefix === 'S') return prefix;
  throw new Error(`tagPrefix: not a chunk tag: ${JSON.stringify(tag)}`);
}

/** The chunk type after the `X-` prefix; '' for 'O' (conlleval also gives O the empty type). */
export function tagType(tag: string): string {
  return tag === 'O' ? '' : tag.slice(2);
}

/**
 * Detect the scheme of a corpus: an E-/S- tag anywhere => 'iobes'; else any I-X that starts a chunk
 * (sentence start, after O, after another type) => 'iob1'; else 'iob2'.
 */
export function detectScheme(sentences: Iterable<readonly string[]>): TagScheme {
  let chunkStartingI = false;
  for (const tags of sentences) {
    let previous = 'O';
    for (const tag of tags) {
      const prefix = tagPrefix(tag);
      if (prefix === 'E' || prefix === 'S') return 'iobes';
      // In IOB2 every chunk opens with B-, so an I- that cannot continue the previous token's chunk means IOB1.
      if (prefix === 'I' && (previous === 'O' || tagType(previous) !== tagType(tag))) chunkStartingI = true;
      previous = tag;
    }
  }
  return chunkStartingI ? 'iob1' : 'iob2';
}

// conlleval.pl's startOfChunk / endOfChunk, restricted to the prefixes we allow (no '.', '[', ']').
// They are the definition of an IOB chunk for scoring, including on ill-formed sequences
// (I-X after O starts a chunk, a type change starts one), so we follow them rule for rule.

function conllEndOfChunk(prevTag: TagPrefix, tag: TagPrefix, prevType: string, type: string): boolean {
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'O')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I' || tag === 'O')) return true;
  return prevTag !== 'O' && prevType !== type;
}

function conllStartOfChunk(prevTag: TagPrefix, tag: TagPrefix, prevType: string, type: string): boolean {
  if ((prevTag === 'B' || prevTag === 'I' || prevTag === 'O') && tag === 'B') return true;
  if (prevTag === 'O' && (tag === 'I' || tag === 'E')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && prevType !== type;
}

/** Chunks as conlleval.pl sees them; the sentence is framed by O on both sides, as its boundary lines are. */
function spansConlleval(tags: readonly string[]): Span[] {
  const spans: Span[] = [];
  let open: { start: number; type: string } | null = null;
  let prevTag: TagPrefix = 'O';
  let prevType = '';
  for (let i = 0; i < tags.length; i++) {
    const tag = tagPrefix(tags[i]);
    const type = tagType(tags[i]);
    // A start always coincides with an end of any open chunk under these rules, but closing on
    // either keeps the spans non-overlapping whatever the input.
    const starts = conllStartOfChunk(prevTag, tag, prevType, type);
    if (open !== null && (starts || conllEndOfChunk(prevTag, tag, prevType, type))) {
      spans.push({ start: open.start, end: i, type: open.type });
      open = null;
    }
    if (starts) open = { start: i, type };
    prevTag = tag;
    prevType = type;
  }
  if (open !== null) spans.push({ start: open.start, end: tags.length, type: open.type });
  return spans;
}

/**
 * IOBES chunks, lenient like conlleval: B starts a chunk, I/E continue an open chunk of the same
 * type (otherwise they start one), E closes it, S is a chunk on its own, O closes.
 */
function spansIobes(tags: readonly string[]): Span[] {
  const spans: Span[] = [];
  let open: { start: number; type: string } | null = null;
  const close = (end: number): void => {
    if (open !== null) spans.push({ start: open.start, end, type: open.type });
    open = null;
  };
  for (let i = 0; i < tags.length; i++) {
    const prefix = tagPrefix(tags[i]);
    const type = tagType(tags[i]);
    if (prefix === 'O') {
      close(i);
      continue;
    }
    const continues = (prefix === 'I' || prefix === 'E') && open !== null && open.type === type;
    if (!continues) {
      close(i);
      open = { start: i, type };
    }
    if (prefix === 'E' || prefix === 'S') close(i + 1);
  }
  close(tags.length);
  return spans;
}

/**
 * Chunks of one sentence, in order. For iob1 and iob2 these are exactly the chunks conlleval.pl
 * finds (the two schemes only differ in how chunks are written, not in how they are read).
 */
export function spansFromTags(tags: readonly string[], scheme: TagScheme): Span[] {
  return scheme === 'iobes' ? spansIobes(tags) : spansConlleval(tags);
}

/** Spans sorted by start, checked to lie inside the sentence and not to overlap (a caller bug otherwise). */
function orderedSpans(spans: readonly Span[], length: number): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  for (const span of sorted) {
    if (!Number.isInteger(span.start) || !Number.isInteger(span.end) || span.start < previousEnd || span.end <= span.start || span.end > length) {
      throw new Error(`tagsFromSpans: bad or overlapping span ${JSON.stringify(span)} in a sentence of ${length} tokens`);
    }
    if (span.type === '' || /\s/.test(span.type)) throw new Error(`tagsFromSpans: bad chunk type ${JSON.stringify(span.type)}`);
    previousEnd = span.end;
  }
  return sorted;
}

/**
 * Tags for non-overlapping spans. iob1: I-X, with B-X only on the first token of a chunk that
 * directly follows a chunk of the same type (the only place IOB1 needs B); iob2: B-X then I-X;
 * iobes: S-X for a single token, else B-X I-X ... E-X.
 */
export function tagsFromSpans(spans: readonly Span[], length: number, scheme: TagScheme): string[] {
  const tags = new Array<string>(length).fill('O');
  let previous: Span | null = null;
  for (const span of orderedSpans(spans, length)) {
    const { start, end, type } = span;
    for (let i = start; i < end; i++) tags[i] = `I-${type}`;
    if (scheme === 'iob2') {
      tags[start] = `B-${type}`;
    } else if (scheme === 'iob1') {
      if (previous !== null && previous.end === start && previous.type === type) tags[start] = `B-${type}`;
    } else if (end - start === 1) {
      tags[start] = `S-${type}`;
    } else {
      tags[start] = `B-${type}`;
      tags[end - 1] = `E-${type}`;
    }
    previous = span;
  }
  return tags;
}

/** Re-write a sentence's tags in another scheme; the chunks (as read in `from`) are preserved. */
export function convertTags(tags: readonly string[], from: TagScheme, to: TagScheme): string[] {
  return tagsFromSpans(spansFromTags(tags, from), tags.length, to);
}
