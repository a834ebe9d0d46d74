import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDefaultData } from '../../scripts/make-default-data.js';

const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));
const FILES = ['train.txt', 'dev.txt', 'embeddings.txt', 'README.md'];
const TYPES = ['PER', 'ORG', 'LOC', 'MISC'];

const read = (name: string): string => readFileSync(join(DATA_DIR, name), 'utf8');

interface Parsed { sentences: { token: string; tag: string }[][]; lines: string[] }

/** A deliberately independent reader: the checks should not trust the project's own CoNLL code. */
function parseConll(text: string): Parsed {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const sentences: Parsed['sentences'] = [];
  let current: Parsed['sentences'][number] = [];
  for (const line of lines) {
    if (line === '') {
      if (current.length > 0) sentences.push(current);
      current = [];
      continue;
    }
    const [token, tag] = line.split(' ');
    if (token !== '-DOCSTART-') current.push({ token, tag });
  }
  if (current.length > 0) sentences.push(current);
  return { sentences, lines };
}

/** Entity mentions as `{type, text}`, assuming valid IOB2. */
function mentions(sentences: Parsed['sentences']): { type: string; text: string }[] {
  const out: { type: string; text: string }[] = [];
  for (const s of sentences) {
    for (const { token, tag } of s) {
      if (tag.startsWith('B-')) out.push({ type: tag.slice(2), text: token });
      else if (tag.startsWith('I-')) out[out.length - 1].text += ` ${token}`;
    }
  }
  return out;
}

describe('default corpus in data/', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ner-default-data-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is exactly what scripts/make-default-data.ts generates', () => {
    generateDefaultData(tmp);
    for (const name of FILES) {
      const fresh = readFileSync(join(tmp, name));
      const committed = readFileSync(join(DATA_DIR, name));
      expect(fresh.equals(committed), `${name} differs: rerun npx tsx scripts/make-default-data.ts`).toBe(true);
    }
  });

  for (const split of ['train', 'dev']) {
    it(`${split}.txt is two-column IOB2 with all four types`, () => {
      const text = read(`${split}.txt`);
      expect(text.startsWith('-DOCSTART- O\n\n')).toBe(true);
      const { sentences, lines } = parseConll(text);
      for (const [i, line] of lines.entries()) {
        if (line === '') continue;
        const fields = line.split(' ');
        expect(fields.length, `line ${i + 1}: '${line}'`).toBe(2);
        expect(fields.every((f) => f !== '' && !/\s/.test(f)), `line ${i + 1}`).toBe(true);
      }
      for (const s of sentences) {
        let prev = 'O';
        for (const { tag } of s) {
          expect(tag).toMatch(/^(O|[BI]-(PER|ORG|LOC|MISC))$/);
          if (tag.startsWith('I-')) expect(prev === `B-${tag.slice(2)}` || prev === tag, `${prev} then ${tag}`).toBe(true);
          prev = tag;
        }
      }
      const types = new Set(mentions(sentences).map((m) => m.type));
      expect([...types].sort()).toEqual([...TYPES].sort());
      expect(sentences.length).toBeGreaterThan(split === 'train' ? 500 : 150);
      // Some sentences have no entity at all.
      expect(sentences.some((s) => s.every((t) => t.tag === 'O'))).toBe(true);
    });
  }

  it('dev has a good share of entity strings never seen in train', () => {
    const seen = new Set(mentions(parseConll(read('train.txt')).sentences).map((m) => m.text));
    const dev = mentions(parseConll(read('dev.txt')).sentences);
    const unseen = dev.filter((m) => !seen.has(m.text)).length / dev.length;
    expect(unseen).toBeGreaterThanOrEqual(0.3);
    expect(unseen).toBeLessThanOrEqual(0.7);
  });

  it('embeddings.txt is 25-dim GloVe text covering most, not all, corpus words', () => {
    const text = read('embeddings.txt');
    expect(statSync(join(DATA_DIR, 'embeddings.txt')).size).toBeLessThan(1_000_000);
    const vectors = new Map<string, number[]>();
    for (const row of text.trimEnd().split('\n')) {
      const fields = row.split(' ');
      expect(fields.length, row.slice(0, 40)).toBe(26);
      expect(fields[0]).toBe(fields[0].toLowerCase());
      expect(fields.slice(1).every((v) => /^-?\d+\.\d{5}$/.test(v)), row.slice(0, 40)).toBe(true);
      expect(vectors.has(fields[0]), `duplicate ${fields[0]}`).toBe(false);
      vectors.set(fields[0], fields.slice(1).map(Number));
    }
    const words = new Set(
      ['train.txt', 'dev.txt'].flatMap((f) => parseConll(read(f)).sentences.flat().map((t) => t.token.toLowerCase())),
    );
    const missing = [...words].filter((w) => !vectors.has(w));
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length / words.size).toBeLessThan(0.05);
    // Class structure: two weekdays are closer to each other than a weekday is to a month.
    const dist = (a: string, b: string): number =>
      Math.hypot(...(vectors.get(a) as number[]).map((v, i) => v - (vectors.get(b) as number[])[i]));
    expect(dist('monday', 'tuesday')).toBeLessThan(dist('monday', 'january'));
  });
});
