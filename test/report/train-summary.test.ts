import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { Terminal } from '../../src/cli/terminal.js';
import { formatTrainSummary, sparkline } from '../../src/cli/train-view.js';
import type { EpochRecord } from '../../src/train/events.js';
import type { TrainResult } from '../../src/train/trainer.js';

describe('sparkline', () => {
  it('maps the smallest value to ▁, the largest to █ and the rest in proportion', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0.9, 0.95, 0.91])).toBe('▁█▂');
    expect(sparkline([0.5, 0.75, 1])).toBe('▁▅█');
  });

  it('a single epoch or equal values sit at mid height', () => {
    expect(sparkline([0.42])).toBe('▅');
    expect(sparkline([0.9, 0.9, 0.9])).toBe('▅▅▅');
  });

  it('nulls are gaps; nothing gives nothing', () => {
    expect(sparkline([0, null, 1])).toBe('▁ █');
    expect(sparkline([null, null])).toBe('  ');
    expect(sparkline([])).toBe('');
  });

  it('a long run is grouped into at most maxWidth blocks, each showing its peak', () => {
    const values = Array.from({ length: 120 }, (_, i) => i);
    const line = sparkline(values, 60);
    expect([...line].length).toBe(60);
    expect(line.startsWith('▁')).toBe(true);
    expect(line.endsWith('█')).toBe(true);
    // A one-epoch spike is not averaged away.
    const spiky = Array.from({ length: 100 }, (_, i) => (i === 37 ? 1 : 0));
    expect([...sparkline(spiky, 10)]).toEqual(['▁', '▁', '▁', '█', '▁', '▁', '▁', '▁', '▁', '▁']);
  });
});

function record(epoch: number, f1: number | null, best: boolean): EpochRecord {
  return {
    epoch, step: epoch * 10, loss: 1 / epoch, penalty: 0, lr: 0.05, dev_precision: f1, dev_recall: f1, dev_f1: f1, dev_accuracy: f1 === null ? null : 0.99,
    best, tokens_per_s: 1000 * epoch, epoch_s: 1, elapsed_s: epoch,
  };
}

function result(f1s: (number | null)[]): TrainResult {
  const epochs = f1s.map((f1, i) => record(i + 1, f1, f1 !== null && f1 === Math.max(...f1s.slice(0, i + 1).map(Number))));
  const withDev = f1s.every((f) => f !== null);
  const bestEpoch = withDev ? f1s.indexOf(Math.max(...(f1s as number[]))) + 1 : f1s.length;
  const b = withDev ? (f1s[bestEpoch - 1] as number) : 0;
  return {
    outDir: '/runs/x', interrupted: false, epochs, bestEpoch,
    best: withDev
      ? { precision: b, recall: b, f1: b, accuracy: 0.99, tokens: 100, sentences: 10, gold_entities: 12, predicted_entities: 12, correct_entities: 11,
        per_type: { LOC: { precision: 1, recall: 0.5, f1: 2 / 3, support: 4 }, PER: { precision: 0.875, recall: 0.875, f1: 0.875, support: 8 } } }
      : null,
    data: { train: { path: 't', sentences: 1, tokens: 1 }, dev: null, scheme: 'iob2', labels: [], vocab_size: 1, embeddings: null, parameters: 1 },
    elapsed_s: 12.5,
    resumedFrom: null,
  };
}

function fakeTerminal(isTTY: boolean, colorLevel: 0 | 1 = 0): Terminal {
  const stream = { isTTY } as unknown as NodeJS.WriteStream;
  return { out: stream, err: stream, interactive: isTTY, color: new Chalk({ level: colorLevel }) };
}

describe('formatTrainSummary', () => {
  const run = result([0.5, 0.8, 0.9, 0.85]);

  it('piped: the plain lines scripts read, unchanged', () => {
    expect(formatTrainSummary(run, fakeTerminal(false))).toBe(
      [
        'best epoch 3: dev F1 90.00 (precision 90.00, recall 90.00, token accuracy 99.00)',
        'type  precision  recall     F1  support',
        'LOC      100.00   50.00  66.67        4',
        'PER       87.50   87.50  87.50        8',
        'time 12.5s, 4,000 tok/s in the last epoch',
        'checkpoints /runs/x/model-best, /runs/x/model-last; metrics /runs/x/metrics.jsonl',
        '',
      ].join('\n'),
    );
  });

  it('on a terminal: overall row, dev F1 sparkline, time and mean speed, a pointer to the report', () => {
    expect(formatTrainSummary(run, fakeTerminal(true))).toBe(
      [
        'best epoch 3 of 4: dev F1 90.00 (precision 90.00, recall 90.00, token accuracy 99.00)',
        'type     precision  recall     F1  support',
        'LOC         100.00   50.00  66.67        4',
        'PER          87.50   87.50  87.50        8',
        'overall      90.00   90.00  90.00       12',
        'dev F1 by epoch ▁▆█▇  first 50.00, best 90.00 (epoch 3), last 85.00',
        'time 12.5s for 4 epochs; 2,500 tok/s mean, 4,000 in the last epoch',
        'checkpoints /runs/x/model-best, /runs/x/model-last; metrics /runs/x/metrics.jsonl',
        'charts and tables: ner-train report /runs/x',
        '',
      ].join('\n'),
    );
  });

  it('colours only the best epoch\'s block, and only with colour on', () => {
    const coloured = formatTrainSummary(run, fakeTerminal(true, 1));
    expect(coloured).toContain('▁▆\x1b[32m█\x1b[39m▇');
    expect(formatTrainSummary(run, fakeTerminal(true, 0))).not.toContain('\x1b[');
  });

  it('one epoch: a single mid-height block and just the best figure', () => {
    const text = formatTrainSummary(result([0.7]), fakeTerminal(true));
    expect(text).toContain('best epoch 1 of 1:');
    expect(text).toContain('dev F1 by epoch ▅  best 70.00 (epoch 1)\n');
    expect(text).toContain('time 12.5s for 1 epoch;');
  });

  it('the report command can be pasted into a shell as printed', () => {
    const text = formatTrainSummary({ ...run, outDir: "/runs/it's here" }, fakeTerminal(true));
    expect(text).toContain(`charts and tables: ner-train report '/runs/it'\\''s here'\n`);
  });

  it('no dev data: no sparkline, says so', () => {
    const text = formatTrainSummary(result([null, null]), fakeTerminal(true));
    expect(text).toContain('trained 2 epochs (no dev data: model-best is the last epoch)');
    expect(text).not.toContain('dev F1 by epoch');
    expect(text).not.toMatch(/[▁▂▃▄▅▆▇█]/);
  });
});
