import { isUtf8 } from 'node:buffer';

const LF = 10;
const CR = 13;

/**
 * The 1-based line of the first byte sequence that is not valid UTF-8, or null when all of
 * `bytes` is valid. Lines end at LF, CRLF or a lone CR, as the readers count them. Text
 * decoding would quietly turn such bytes into U+FFFD: a Latin-1 file read as UTF-8 would
 * give words that match nothing, so the readers report the line instead.
 */
export function firstInvalidUtf8Line(bytes: Uint8Array): number | null {
  if (isUtf8(bytes)) return null;
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    const end = i === bytes.length || bytes[i] === LF || bytes[i] === CR;
    if (!end) continue;
    // A line is checked on its own: a line terminator never falls inside a multi-byte sequence.
    if (!isUtf8(bytes.subarray(start, i))) return line;
    if (bytes[i] === CR && bytes[i + 1] === LF) i++;
    start = i + 1;
    line++;
  }
  // Unreachable: invalid bytes lie on some line. Report line 1 rather than nothing.
  return 1;
}

/** The message of a line that is not UTF-8, shared by every reader. */
export const NOT_UTF8 = 'not valid UTF-8 text (save the file as UTF-8; it may be Latin-1 or another encoding)';
