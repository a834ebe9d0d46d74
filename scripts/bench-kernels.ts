/**
 * Micro-benchmark of the math core: GEMM GFLOP/s for the products of a training step,
 * plain TypeScript vs WebAssembly SIMD vs SIMD on several threads, and a forward +
 * backward pass of the window scorer. The machine is shared, so every figure is the best
 * of several timed runs.
 *
 *   npx tsx scripts/bench-kernels.ts [--batch 32,256] [--threads 1,2] [--D 250] [--H 300] [--K 9] [--runs 5] [--quiet-wait S] [--json]
 *
 * --quiet-wait S: first wait up to S seconds for the other processes to leave the CPUs
 * (below 5% of them), as two-thread figures on a busy machine mean little.
 *
 * The full training/tagging benchmark against the PyTorch peers is `npm run bench`.
 */
import { parseArgs } from 'node:util';
import { cpuCounters, machineCpus, othersShare, waitForQuiet } from './lib/bench-cpu.js';
import { gemm, kernelInfo, setKernelBackend, setKernelSplitting, setKernelThreads, waitForKernelThreads } from '../src/math/gemm.js';
import { getActivation } from '../src/math/activations.js';
import { Rng } from '../src/math/random.js';
import { createTable } from '../src/model/embedding.js';
import { xavierInit } from '../src/model/params.js';
import { WindowScorer } from '../src/model/window-scorer.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '1,32,256' },
    threads: { type: 'string', default: '1,2' },
    D: { type: 'string', default: '250' },
    H: { type: 'string', default: '300' },
    K: { type: 'string', default: '9' },
    runs: { type: 'string', default: '5' },
    'quiet-wait': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const batches = list(values.batch);
const threadCounts = list(values.threads);
const D = Number(values.D);
const H = Number(values.H);
const K = Number(values.K);
const runs = Number(values.runs);

const rng = new Rng(1);
function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-1, 1);
  return a;
}

/** Seconds per call of `f`: the best of `runs` runs, each repeating f for about 0.2 s. */
function time(f: () => void): number {
  f();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    if (performance.now() - t0 > 50) break;
    reps *= 2;
  }
  reps *= 4;
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

interface Variant {
  name: string;
  backend: 'plain' | 'wasm';
  threads: number;
  splitting: 'always' | 'adaptive';
}

// wasm×T splits every large product (what splitting gives); wasm×T auto lets the timing
// policy decide (what training gets: never much worse than one thread on a busy machine).
const variants: Variant[] = [{ name: 'plain', backend: 'plain', threads: 1, splitting: 'always' }];
for (const t of threadCounts) {
  if (t === 1) variants.push({ name: 'wasm', backend: 'wasm', threads: 1, splitting: 'always' });
  else variants.push({ name: `wasm×${t}`, backend: 'wasm', threads: t, splitting: 'always' }, { name: `wasm×${t} auto`, backend: 'wasm', threads: t, splitting: 'adaptive' });
}

function use(v: Variant): void {
  setKernelBackend(v.backend);
  setKernelThreads(v.threads);
  setKernelSplitting(v.splitting);
  if (v.backend === 'wasm' && v.threads > 1 && !waitForKernelThreads(10_000)) throw new Error('kernel threads did not start');
}

interface Row {
  what: string;
  B: number;
  gflops: Record<string, number>;
}

const rows: Row[] = [];
const quietWait = Number(values['quiet-wait']);
if (quietWait > 0) await waitForQuiet(quietWait, 0.05, (line) => void process.stderr.write(`${line}\n`));
const counters0 = cpuCounters();
const wall0 = performance.now();

for (const B of batches) {
  // [name, transA, transB, M, N, K]: the three large products of a step (see window-scorer.ts).
  const shapes: [string, boolean, boolean, number, number, number][] = [
    ['fwd Z=X·Wᵀ (NT)', false, true, B, H, D],
    ['bwd dW=dZᵀ·X (TN)', true, false, H, D, B],
    ['bwd dX=dZ·W (NN)', false, false, B, D, H],
  ];
  for (const [what, tA, tB, m, n, k] of shapes) {
    const A = random(m * k);
    const Bm = random(k * n);
    const C = random(m * n);
    const beta = what.startsWith('bwd dW') ? 1 : 0;
    const row: Row = { what, B, gflops: {} };
    for (const v of variants) {
      use(v);
      const s = time(() => gemm(tA, tB, m, n, k, 1, A, Bm, beta, C));
      row.gflops[v.name] = (2 * m * n * k) / s / 1e9;
    }
    rows.push(row);
  }

  // Forward + backward of the scorer (5 positions of a d = D/5 word table, tanh), the
  // whole step's math apart from the loss and the optimiser.
  const words = createTable('word', 20_000, D / 5, 'float32', true);
  words.data.set(random(words.data.length));
  const scorer = new WindowScorer({ positions: 5, tables: [words], hidden: H, labels: K, activation: getActivation('tanh', 0), dropout: 0, dtype: 'float32' });
  xavierInit(scorer.params, rng);
  const ids = Int32Array.from({ length: B * 5 }, () => rng.int(20_000));
  const dS = random(B * K);
  const row: Row = { what: 'scorer fwd+bwd (tokens/s ÷ 1000)', B, gflops: {} };
  const rowFwd: Row = { what: 'scorer fwd (tokens/s ÷ 1000)', B, gflops: {} };
  for (const v of variants) {
    use(v);
    const s = time(() => {
      scorer.zeroGrad();
      scorer.forward(ids, B, true);
      scorer.backward(dS, ids, B);
    });
    row.gflops[v.name] = B / s / 1000;
    rowFwd.gflops[v.name] = B / time(() => scorer.forward(ids, B, false)) / 1000;
  }
  rows.push(row, rowFwd);
}
setKernelThreads(1);
const counters1 = cpuCounters();
const others = counters0 && counters1 ? othersShare(counters0, counters1, (performance.now() - wall0) / 1000, machineCpus()).other : null;

if (values.json) {
  for (const row of rows) console.log(JSON.stringify(row));
} else {
  const names = variants.map((v) => v.name);
  const info = kernelInfo();
  console.log(`GFLOP/s (scorer rows: thousand tokens/s), best of ${runs}; D=${D} H=${H} K=${K}; kernels: ${info.backend}${info.reason ? ` (${info.reason})` : ''}`);
  // Other processes' share of the CPUs meanwhile: above a few hundredths, the figures (two-thread ones most) are low.
  if (others !== null) console.log(`other processes used ${(100 * others).toFixed(0)}% of the ${machineCpus()} CPUs during the run`);
  console.log(['shape'.padEnd(36), 'B'.padStart(4), ...names.map((n) => n.padStart(12))].join(' '));
  for (const row of rows) console.log([row.what.padEnd(36), String(row.B).padStart(4), ...names.map((n) => row.gflops[n].toFixed(1).padStart(12))].join(' '));
}
