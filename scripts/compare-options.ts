/**
 * The README's "what the choices do" table: CoNLL-2003 dev F1 after the same number of
 * epochs for each optimiser and each activation, everything else as configs/conll2003.yaml
 * says. Each run is the real CLI (`node bin/ner-train.js train --json`), two at a time.
 *
 *   npx tsx scripts/compare-options.ts [--epochs 3] [--jobs 2] [--data DIR] [--out runs/compare] [--readme]
 *   npx tsx scripts/compare-options.ts --table-only [--out DIR] [--readme]   (re-render OUT/results.json)
 *
 * DIR holds conll2003/{train,dev}.txt and embeddings/glove.6B.100d.top40k-conll.txt
 * (default: $NER_TRAIN_SHARED_DATA or ../shared/data). Prints a Markdown table and writes
 * OUT/results.json; `--readme` also replaces the table between the markers in README.md.
 * Only train and dev are read: nothing here looks at test data.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    data: { type: 'string', default: process.env.NER_TRAIN_SHARED_DATA ?? join(ROOT, '../shared/data') },
    out: { type: 'string', default: join(ROOT, 'runs/compare') },
    readme: { type: 'boolean', default: false },
    'table-only': { type: 'boolean', default: false },
  },
});
let epochs = Number(flags.epochs);
const jobs = Number(flags.jobs);
const dataDir = resolve(flags.data);

interface Variant {
  group: 'optimizer' | 'activation';
  name: string;
  sets: string[];
}

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

const variants: Variant[] = [
  ...OPTIMIZERS.map(([name, lr]): Variant => ({ group: 'optimizer', name: `${name} (lr ${lr})`, sets: [`optimizer.name=${name}`, `optimizer.lr=${lr}`] })),
  ...ACTIVATIONS.map((name): Variant => ({ group: 'activation', name, sets: [`model.activation=${name}`] })),
];

interface Outcome {
  group: string;
  name: string;
  dev_f1: number[];
  best_f1: number;
  best_epoch: number;
  seconds: number;
}

function runVariant(v: Variant, index: number): Promise<Outcome> {
  const out = join(resolve(flags.out), `${index}-${v.group}-${v.name.split(' ')[0]}`);
  const args = [
    join(ROOT, 'bin/ner-train.js'), 'train', '--config', join(ROOT, 'configs/conll2003.yaml'), '--json', '--force', '--out', out,
    '--set', `data.train=${join(dataDir, 'conll2003/train.txt')}`,
    '--set', `data.dev=${join(dataDir, 'conll2003/dev.txt')}`,
    '--set', `embeddings.path=${join(dataDir, 'embeddings/glove.6B.100d.top40k-conll.txt')}`,
    '--set', `training.epochs=${epochs}`,
    ...v.sets.flatMap((s) => ['--set', s]),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${v.name}: ner-train exited ${code}`));
      const result = JSON.parse(stdout) as { best_epoch: number; best: { f1: number }; epochs: { dev_f1: number }[]; elapsed_s: number };
      resolvePromise({
        group: v.group,
        name: v.name,
        dev_f1: result.epochs.map((e) => e.dev_f1),
        best_f1: result.best.f1,
        best_epoch: result.best_epoch,
        seconds: result.elapsed_s,
      });
    });
  });
}

async function runAll(): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(variants.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < variants.length) {
      const i = next++;
      process.stderr.write(`[${i + 1}/${variants.length}] ${variants[i].group} ${variants[i].name}\n`);
      outcomes[i] = await runVariant(variants[i], i);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return outcomes;
}

/** Dev F1 per epoch, the best in bold; wall times are left to results.json (runs share the cores). */
function markdown(outcomes: Outcome[]): string {
  const pct = (x: number): string => (100 * x).toFixed(2);
  const lines = [
    `| varied | choice | ${Array.from({ length: epochs }, (_, e) => `epoch ${e + 1}`).join(' | ')} |`,
    `|---|---|${'---:|'.repeat(epochs)}`,
  ];
  for (const o of outcomes) {
    const cells = o.dev_f1.map((f1) => (f1 === o.best_f1 ? `**${pct(f1)}**` : pct(f1)));
    lines.push(`| ${o.group} | ${o.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const resultsPath = join(resolve(flags.out), 'results.json');
let outcomes: Outcome[];
if (flags['table-only']) {
  const saved = JSON.parse(readFileSync(resultsPath, 'utf8')) as { epochs: number; outcomes: Outcome[] };
  epochs = saved.epochs;
  outcomes = saved.outcomes;
} else {
  const started = Date.now();
  outcomes = await runAll();
  mkdirSync(resolve(flags.out), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify({ epochs, outcomes }, null, 2)}\n`);
  process.stderr.write(`${variants.length} runs in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
const table = markdown(outcomes);
process.stdout.write(`${table}\n`);

if (flags.readme) {
  const readmePath = join(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = '<!-- compare-options:begin -->';
  const end = '<!-- compare-options:end -->';
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} markers`);
  writeFileSync(readmePath, `${readme.slice(0, from + begin.length)}\n${table}\n${readme.slice(to)}`);
}
