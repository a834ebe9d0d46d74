import { describe, expect, it } from 'vitest';
import {
  compare,
  disturbedNote,
  extrapolation,
  flopsPerToken,
  gflops,
  markdownReport,
  median,
  parseRecordLines,
  ratioTable,
  resultsTable,
  targetOutcomes,
  targetTable,
  type BenchRecord,
} from '../../scripts/lib/bench-report.js';

function rec(impl: string, fields: Partial<BenchRecord> & Pick<BenchRecord, 'threads' | 'batch' | 'tokens_per_s'>): BenchRecord {
  const mode = fields.mode ?? 'train';
  return {
    impl,
    mode,
    loss: mode === 'predict' ? null : 'hinge',
    optim: mode === 'predict' ? null : 'adam',
    act: 'tanh',
    epoch_s: 204_567 / fields.tokens_per_s,
    peak_rss_mb: 100,
    ...fields,
  };
}

// One run of the default suite with its torch and numpy counterparts.
const RUN: BenchRecord[] = [
  rec('ner-train', { threads: 1, batch: 32, tokens_per_s: 48_000, embedding: 'sparse', other_load_reps: [0.01, 0.2, 0.02] }),
  rec('ner-train', { threads: 2, batch: 32, tokens_per_s: 60_000, embedding: 'sparse' }),
  rec('torch-1.13.1', { threads: 1, batch: 32, tokens_per_s: 30_000, optim: 'adam', embedding: 'dense' }),
  rec('torch-1.13.1', { threads: 1, batch: 32, tokens_per_s: 32_000, optim: 'sparseadam', embedding: 'sparse' }),
  rec('torch-1.13.1', { threads: 2, batch: 32, tokens_per_s: 25_000, optim: 'adam', embedding: 'dense' }),
  rec('torch-1.13.1', { threads: 2, batch: 32, tokens_per_s: 24_000, optim: 'sparseadam', embedding: 'sparse' }),
  rec('numpy-1.24.2', { threads: 1, batch: 32, tokens_per_s: 58_000, optim: 'sparseadam', embedding: 'sparse' }),
  // A different batch and a different optimiser must not be matched.
  rec('torch-1.13.1', { threads: 1, batch: 256, tokens_per_s: 82_000 }),
  rec('torch-1.13.1', { threads: 1, batch: 32, tokens_per_s: 99_000, optim: 'adagrad', embedding: 'dense' }),
  rec('ner-train', { threads: 1, batch: 256, tokens_per_s: 70_000 }),
  rec('ner-train', { threads: 1, batch: 256, mode: 'predict', tokens_per_s: 1_000_000 }),
  rec('torch-1.13.1', { threads: 2, batch: 256, mode: 'predict', tokens_per_s: 636_000 }),
  rec('torch-1.13.1', { threads: 1, batch: 256, mode: 'predict', tokens_per_s: 400_000 }),
];

describe('timing arithmetic', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('times whole epochs when they fit in maxSeconds, else the first steps, and says how many tokens', () => {
    expect(extrapolation(0.001, 6393, 32, 204_567, 60)).toEqual({ steps: 6393, tokensTimed: 204_567 });
    expect(extrapolation(0.01, 6393, 32, 204_567, 20)).toEqual({ steps: 2000, tokensTimed: 64_000 });
    expect(extrapolation(100, 6393, 32, 204_567, 20)).toEqual({ steps: 1, tokensTimed: 32 });
  });
});

describe('work per token', () => {
  it('counts the peers\' 466,200 flops per training token and a third of that per tagged token', () => {
    const sizes = { hidden: 300, dim: 50, window: 5, classes: 9 };
    expect(flopsPerToken(rec('x', { threads: 1, batch: 32, tokens_per_s: 1, ...sizes }))).toBe(466_200);
    expect(flopsPerToken(rec('x', { threads: 1, batch: 32, tokens_per_s: 1, mode: 'predict', ...sizes }))).toBe(155_400);
    expect(gflops(rec('x', { threads: 1, batch: 32, tokens_per_s: 100_000, ...sizes }))).toBeCloseTo(46.62, 9);
    expect(gflops(rec('x', { threads: 1, batch: 32, tokens_per_s: 100_000 }))).toBeNull();
  });
});

describe('ratios', () => {
  it('compares each of our cases with torch at its thread count and torch\'s best over threads and Adam variants', () => {
    const [t1, t2, t256, predict] = compare(RUN);
    expect(compare(RUN)).toHaveLength(4);
    expect(t1.torchSameThreads?.tokens_per_s).toBe(32_000);
    expect(t1.torchBest?.tokens_per_s).toBe(32_000);
    expect(t1.numpyBest?.tokens_per_s).toBe(58_000);
    expect(t2.torchSameThreads?.tokens_per_s).toBe(25_000);
    expect(t2.torchBest?.tokens_per_s).toBe(32_000);
    expect(t256.torchBest?.tokens_per_s).toBe(82_000);
    expect(t256.numpyBest).toBeNull();
    expect(predict.torchSameThreads?.tokens_per_s).toBe(400_000);
    expect(predict.torchBest?.tokens_per_s).toBe(636_000);
  });

  it('judges issue 5\'s targets with our best thread count against torch\'s best', () => {
    const [b32, b256, tagging] = targetOutcomes(RUN);
    expect(b32.ours?.threads).toBe(2);
    expect(b32.ratio).toBeCloseTo(60_000 / 32_000, 9);
    expect(b256.ratio).toBeCloseTo(70_000 / 82_000, 9);
    expect(tagging.ratio).toBeCloseTo(1_000_000 / 636_000, 9);
    const table = targetTable(RUN);
    expect(table).toContain('| train B=32, max-margin, Adam | 60,000 (T=2) | 32,000 (sparseadam, T=1) | **1.88×** | ≥ 1.5× | met | 58,000 (sparseadam, T=1) | 1.03× |');
    expect(table).toContain('| train B=256, max-margin, Adam | 70,000 (T=1) | 82,000 (adam, T=1) | **0.85×** | ≥ 1× | not yet | – | – |');
    expect(table).toContain('| tagging B=256 | 1,000,000 (T=1) | 636,000 (T=2) | **1.57×** | ≥ 2× | not yet | – | – |');
  });

  it('without peers there is nothing to divide by', () => {
    const ours = RUN.filter((r) => r.impl === 'ner-train');
    expect(targetOutcomes(ours).map((t) => t.ratio)).toEqual([null, null, null]);
    expect(targetTable(ours)).toContain('not measured');
    const report = markdownReport(ours, { cpu: 'X', cpus: 2, node: 'v20', date: '2026-01-01' });
    expect(report).not.toContain('torch best');
    expect(report).toContain('| ner-train | train | 32 | hinge | adam (sparse) | tanh | 1 | 48,000 | 4.26 | – | 100 | 0.20 |');
  });

  it('ratio table rows carry both ratios', () => {
    expect(ratioTable(RUN)).toContain('| train | 32 | hinge | adam | tanh | 2 | 60,000 | 25,000 (adam, T=2) | 2.40× | 32,000 (sparseadam, T=1) | **1.88×** | 58,000 (sparseadam, T=1) | 1.03× |');
  });

  it('results rows flag disturbed and extrapolated runs, the kernels, and a thread count the kernels did not take', () => {
    const table = resultsTable([
      rec('ner-train', { threads: 2, batch: 32, tokens_per_s: 5000, extrapolated: true, kernel: 'plain', kernel_threads: 1, threads_applied: false, other_load_reps: [0.5, null] }),
    ]);
    expect(table).toContain('| 100 | 0.50 | extrapolated; plain kernels; ran on 1 thread(s) |');
  });
});

describe('disturbedNote', () => {
  it('counts the runs during which other processes took more than 5% of the CPUs', () => {
    expect(disturbedNote(RUN)).toBe(
      '**Disturbed:** other processes used more than 0.05 of the CPUs (up to 0.20) during 1 of these 13 runs (column "other load"); those rates are lower than the machine gives, two-thread ones most of all.',
    );
    expect(disturbedNote(RUN.slice(1))).toBeNull();
  });
});

describe('parseRecordLines', () => {
  it('reads JSON lines among other text, the machine line apart', () => {
    const text = [
      '# ner-train bench',
      '```jsonl',
      JSON.stringify({ machine: { cpu: 'AMD EPYC', cpus: 2, node: 'v20.20.2', date: '2026-11-24' } }),
      JSON.stringify(RUN[0]),
      JSON.stringify({ ...RUN[2], blas: 'openblas-openmp', attempts: 1 }),
      '```',
    ].join('\n');
    const { records, machine } = parseRecordLines(text);
    expect(machine).toEqual({ cpu: 'AMD EPYC', cpus: 2, node: 'v20.20.2', date: '2026-11-24' });
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ impl: 'torch-1.13.1', blas: 'openblas-openmp', attempts: 1 });
    // In the driver's own order, not the schema's.
    expect(Object.keys(records[1])).toEqual(Object.keys({ ...RUN[2], blas: 'openblas-openmp', attempts: 1 }));
  });

  it('rejects a record without the peers\' fields', () => {
    expect(() => parseRecordLines('{"impl":"x","threads":1}')).toThrow();
  });
});
