/**
 * The README's "what the choices do" table: CoNLL-2003 dev F1 after the same number of
 * epochs for each optimiser and each activation, everything else as configs/conll2003.yaml
 * says (greedy decoding, so only the optimiser or the activation changes).
 *
 *   npx tsx scripts/compare-options.ts [--epochs 3] [--jobs 2] [--data DIR] [--out runs/compare] [--readme]
 *   npx tsx scripts/compare-options.ts --table-only [--out DIR] [--readme]   (re-render OUT/results.json)
 *
 * DIR holds conll2003/{train,dev}.txt and embeddings/glove.6B.100d.top40k-conll.txt
 * (default: $NER_TRAIN_SHARED_DATA or ../shared/data). Nothing here looks at test data.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA, pct, ROOT, runAll, writeReadmeTable, type Outcome, type Variant } from './lib/conll-runs.js';

const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    data: { type: 'string', default: DEFAULT_DATA },
    out: { type: 'string', default: join(ROOT, 'runs/compare') },
    readme: { type: 'boolean', default: false },
    'table-only': { type: 'boolean', default: false },
  },
});

/**
 * A common learning rate for each rule, not tuned on this data: plain SGD's step is the
 * gradient itself; momentum's effective step is lr/(1−μ), so 10× smaller; the adaptive
 * rules normalise the step, so they take the usual 1e-3 (RMSProp, Adam) or 0.05 (AdaGrad,
 * whose accumulator only grows).
 */
const OPTIMIZERS: [string, number][] = [
  ['sgd', 0.05],
  ['momentum', 0.005],
  ['adagrad', 0.05],
  ['rmsprop', 0.001],
  ['adam', 0.001],
];
const ACTIVATIONS = ['sigmoid', 'tanh', 'hardtanh', 'softsign', 'relu', 'leaky-relu'];
// The comparison predates the tuned config: pin what it held fixed then.
const FIXED = [
  'decode.mode=greedy',
  'model.activation=tanh',
  'optimizer.name=adam',
  'optimizer.lr=0.001',
  'model.dropout=0.5',
  'features.caps.dim=5',
  'features.suffix.length=0',
  'features.prefix.length=0',
  'features.word_dropout=0',
];

const variants: Variant[] = [
  ...OPTIMIZERS.map(([name, lr]): Variant => ({ group: 'optimizer', name: `${name} (lr ${lr})`, sets: [...FIXED, `optimizer.name=${name}`, `optimizer.lr=${lr}`] })),
  ...ACTIVATIONS.map((name): Variant => ({ group: 'activation', name, sets: [...FIXED, `model.activation=${name}`] })),
];

/** Dev F1 per epoch, the best in bold; wall times are left to results.json (runs share the cores). */
function markdown(epochs: number, outcomes: Outcome[]): string {
  const lines = [`| varied | choice | ${Array.from({ length: epochs }, (_, e) => `epoch ${e + 1}`).join(' | ')} |`, `|---|---|${'---:|'.repeat(epochs)}`];
  for (const o of outcomes) {
    const cells = o.dev_f1.map((f1) => (f1 === o.best_f1 ? `**${pct(f1)}**` : pct(f1)));
    lines.push(`| ${o.group} | ${o.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const outDir = resolve(flags.out);
const resultsPath = join(outDir, 'results.json');
let epochs = Number(flags.epochs);
let outcomes: Outcome[];
if (flags['table-only']) {
  ({ epochs, outcomes } = JSON.parse(readFileSync(resultsPath, 'utf8')) as { epochs: number; outcomes: Outcome[] });
} else {
  const started = Date.now();
  outcomes = await runAll(variants, { dataDir: resolve(flags.data), outDir, epochs, jobs: Number(flags.jobs) });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify({ epochs, outcomes }, null, 2)}\n`);
  process.stderr.write(`${variants.length} runs in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
const table = markdown(epochs, outcomes);
process.stdout.write(`${table}\n`);
if (flags.readme) writeReadmeTable('compare-options', table);
