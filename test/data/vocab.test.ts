import { describe, expect, it } from 'vitest';
import { PAD_END, PAD_END_ID, PAD_START, PAD_START_ID, UNK, UNK_ID, Vocabulary, wordKey } from '../../src/data/vocab.js';

describe('wordKey', () => {
  it('keeps the token as it is with both options off', () => {
    expect(wordKey('Paris-1996', { lowercase: false, normalize_digits: false })).toBe('Paris-1996');
  });

  it('lowercases, including non-ASCII letters', () => {
    const norm = { lowercase: true, normalize_digits: false };
    expect(wordKey('Paris-1996', norm)).toBe('paris-1996');
    expect(wordKey('ÉCLAIR', norm)).toBe('éclair');
    expect(wordKey('ZÜRICH', norm)).toBe('zürich');
  });

  it('turns every ASCII digit into 0', () => {
    const norm = { lowercase: false, normalize_digits: true };
    expect(wordKey('Paris-1996', norm)).toBe('Paris-0000');
    expect(wordKey('3.14159', norm)).toBe('0.00000');
    expect(wordKey('A4', norm)).toBe('A0');
    expect(wordKey('no-digits', norm)).toBe('no-digits');
  });

  it('does both', () => {
    expect(wordKey('U2-1987', { lowercase: true, normalize_digits: true })).toBe('u0-0000');
  });
});

describe('Vocabulary', () => {
  it('reserves ids 0..2 for <unk>, <s> and </s>', () => {
    expect([UNK_ID, PAD_START_ID, PAD_END_ID]).toEqual([0, 1, 2]);
    expect([UNK, PAD_START, PAD_END]).toEqual(['<unk>', '<s>', '</s>']);
    const vocab = Vocabulary.fromKeys([]);
    expect(vocab.words).toEqual(['<unk>', '<s>', '</s>']);
    expect(vocab.size).toBe(3);
    expect(vocab.id('<unk>')).toBe(0);
    expect(vocab.id('<s>')).toBe(1);
    expect(vocab.id('</s>')).toBe(2);
  });

  it('puts the keys after the reserved words in order, dropping duplicates (also of reserved words)', () => {
    const vocab = Vocabulary.fromKeys(['the', 'of', 'the', '<s>', 'paris', 'of', '<unk>']);
    expect(vocab.words).toEqual(['<unk>', '<s>', '</s>', 'the', 'of', 'paris']);
    expect(vocab.size).toBe(6);
    expect(vocab.id('the')).toBe(3);
    expect(vocab.id('of')).toBe(4);
    expect(vocab.id('paris')).toBe(5);
  });

  it('gives an unknown key the <unk> id and says it does not have it', () => {
    const vocab = Vocabulary.fromKeys(['the']);
    expect(vocab.id('london')).toBe(UNK_ID);
    expect(vocab.id('The')).toBe(UNK_ID);
    expect(vocab.id('')).toBe(UNK_ID);
    expect(vocab.has('london')).toBe(false);
    expect(vocab.has('the')).toBe(true);
    expect(vocab.has('<unk>')).toBe(true);
  });

  it('accepts any iterable', () => {
    const vocab = Vocabulary.fromKeys(new Set(['a', 'b']).values());
    expect(vocab.words).toEqual(['<unk>', '<s>', '</s>', 'a', 'b']);
  });

  it('writes one word a line and reads it back to the same ids', () => {
    const vocab = Vocabulary.fromKeys(['the', 'zürich', '"', "''", '0000', 'é']);
    const text = vocab.toText();
    expect(text).toBe('<unk>\n<s>\n</s>\nthe\nzürich\n"\n\'\'\n0000\né\n');
    const back = Vocabulary.fromText(text, 'vocab.txt');
    expect(back.words).toEqual(vocab.words);
    for (const word of vocab.words) expect(back.id(word)).toBe(vocab.id(word));
    expect(back.toText()).toBe(text);
  });

  it('reads a file without a final newline', () => {
    expect(Vocabulary.fromText('<unk>\n<s>\n</s>\nthe', 'v.txt').words).toEqual(['<unk>', '<s>', '</s>', 'the']);
  });

  it('round-trips the reserved words alone', () => {
    const empty = Vocabulary.fromKeys([]);
    expect(Vocabulary.fromText(empty.toText(), 'v.txt').words).toEqual(empty.words);
  });

  it.each([
    ['an empty file', '', 1, '<unk>'],
    ['words without the reserved ones', 'the\nof\n', 1, '<unk>'],
    ['the reserved words in the wrong order', '<unk>\n</s>\n<s>\nthe\n', 2, '<s>'],
    ['a missing </s>', '<unk>\n<s>\n', 3, '</s>'],
    ['CRLF line endings', '<unk>\r\n<s>\r\n</s>\r\n', 1, '<unk>'],
  ])('rejects %s, naming the line', (_name, text, line, word) => {
    expect(() => Vocabulary.fromText(text, 'ckpt/vocab.txt')).toThrow(`ckpt/vocab.txt:${line}: expected the reserved word ${word}`);
  });
});
