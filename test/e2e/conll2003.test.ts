import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, SHARED_DATA, tempDir } from './cli.js';

/**
 * The real thing, shortened: one epoch on CoNLL-2003 with GloVe vectors and a small hidden
 * layer. Needs the shared data (CI has it beside the clone); skipped without it.
 */
const train = join(SHARED_DATA, 'conll2003/train.txt');
const dev = join(SHARED_DATA, 'conll2003/dev.txt');
const vectors = join(SHARED_DATA, 'embeddings/glove.6B.100d.top40k-conll.txt');
const haveData = [train, dev, vectors].every((file) => existsSync(file));

describe.skipIf(!haveData)('CoNLL-2003 with GloVe (shared data)', () => {
  it('one epoch learns, and evaluate and its predictions file agree with training', () => {
    const out = join(tempDir(), 'run');
    const trained = run([
      'train', '--config', 'configs/conll2003.yaml', '--json', '--out', out,
      '--set', `data.train=${train}`, '--set', `data.dev=${dev}`, '--set', `embeddings.path=${vectors}`,
      '--set', 'training.epochs=1', '--set', 'model.hidden=50', '--set', 'training.batch_size=32',
    ]);
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(summary.data.scheme).toBe('iob1');
    expect(summary.data.train.tokens).toBe(203621);
    expect(summary.data.dev.tokens).toBe(51362);
    expect(summary.best.f1).toBeGreaterThan(0.75);

    const predictions = join(tempDir(), 'pred.txt');
    const scored = run(['evaluate', '-m', join(out, 'model-best'), '-d', dev, '--json', '--write-predictions', predictions]);
    expect(scored.status).toBe(0);
    const scores = JSON.parse(scored.stdout);
    expect(scores.f1).toBe(summary.best.f1);
    expect(scores.scheme).toBe('iob1');
    expect(scores.gold_entities).toBe(5942);

    // The gold column is the file's own IOB1 tags, token for token, as conlleval.pl expects.
    const goldTags = readFileSync(dev, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('-DOCSTART-')).map((l) => l.split(' ')[3]);
    const written = readFileSync(predictions, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(' '));
    expect(written.map((row) => row[1])).toEqual(goldTags);
    expect(new Set(written.map((row) => row[2].slice(0, 2)))).not.toContain('E-');
  });
});
