import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8Line } from '../../src/data/utf8.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('firstInvalidUtf8Line', () => {
  it('is null for UTF-8 text, with or without a BOM, and for an empty file', () => {
    expect(firstInvalidUtf8Line(Buffer.from('\ufeffété 日本 😀\r\nx\n', 'utf8'))).toBeNull();
    expect(firstInvalidUtf8Line(new Uint8Array())).toBeNull();
  });

  it.each([
    ['LF', 'a\nb\nc\xe9\n', 3],
    ['CRLF', 'a\r\n\r\nc\xe9\r\n', 3],
    ['lone CR', 'a\rb\rc\xe9', 3],
    ['mixed', 'a\r\nb\rc\nd\xff', 4],
    ['first line', '\xff', 1],
    ['a sequence cut by a line end', 'ok\n\xc3\nx', 2],
    ['an overlong encoding', 'a\n\xc0\xaf\n', 2],
    ['a UTF-16 surrogate', 'a\n\xed\xa0\x80\n', 2],
  ])('names the line of the first bad byte (%s)', (_name, text, line) => {
    expect(firstInvalidUtf8Line(latin1(text))).toBe(line);
  });
});
