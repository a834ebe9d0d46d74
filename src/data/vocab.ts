/**
 * The word vocabulary: lookup keys (the normalised form of a token) to row ids of E.
 * Rows 0–2 are reserved: the unknown word and the two padding tokens that fill a window
 * past the start and the end of a sentence.
 */
export const UNK = '<unk>';
export const PAD_START = '<s>';
export const PAD_END = '</s>';
export const UNK_ID = 0;
export const PAD_START_ID = 1;
export const PAD_END_ID = 2;
const RESERVED = [UNK, PAD_START, PAD_END];

export interface WordNormalisation {
  lowercase: boolean;
  normalize_digits: boolean;
}

/** The key a token is looked up by: lowercased and with every digit made 0, as configured. */
export function wordKey(token: string, norm: WordNormalisation): string {
  const key = norm.lowercase ? token.toLowerCase() : token;
  return norm.normalize_digits ? zeroDigits(key) : key;
}

/** Every ASCII digit made 0: numbers of one shape (years, prices) share a row. */
export function zeroDigits(text: string): string {
  return text.replace(/[0-9]/g, '0');
}

export class Vocabulary {
  private readonly index = new Map<string, number>();

  private constructor(readonly words: readonly string[]) {
    words.forEach((word, i) => {
      if (!this.index.has(word)) this.index.set(word, i);
    });
  }

  /** Reserved tokens first, then the given keys in order (duplicates dropped). */
  static fromKeys(keys: Iterable<string>): Vocabulary {
    const words = [...RESERVED];
    const seen = new Set(words);
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      words.push(key);
    }
    return new Vocabulary(words);
  }

  /** The words of vocab.txt, one per line, line i = row i. */
  static fromText(text: string, source: string): Vocabulary {
    const words = text.split('\n');
    if (words[words.length - 1] === '') words.pop();
    for (let i = 0; i < RESERVED.length; i++) {
      if (words[i] !== RESERVED[i]) throw new Error(`${source}:${i + 1}: expected the reserved word ${RESERVED[i]}`);
    }
    return new Vocabulary(words);
  }

  toText(): string {
    return `${this.words.join('\n')}\n`;
  }

  get size(): number {
    return this.words.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Row of a key, or the unknown word's row. */
  id(key: string): number {
    return this.index.get(key) ?? UNK_ID;
  }
}
