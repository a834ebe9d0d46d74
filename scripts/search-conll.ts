/**
 * How configs/conll2003.yaml was chosen, reproducibly: CoNLL-2003 runs that change one
 * thing at a time from the shipped config, judged by dev F1 only (the best epoch's, by
 * conlleval's rules). Some best checkpoints are also re-decoded from the same weights
 * (`evaluate --decode constrained`): greedy → constrained costs no second training, and
 * learned → constrained shows what the learned transition scores add.
 *
 *   npx tsx scripts/search-conll.ts [--only NAME,NAME] [--jobs 2] [--data DIR] [--out runs/search] [--readme]
 *   npx tsx scripts/search-conll.ts --table-only [--out DIR] [--readme]
 *
 * Results accumulate in OUT/results.json by variant name, so the search can be run in
 * pieces (--only); the README table lists every variant in the order below.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA, pct, ROOT, runAll, writeReadmeTable, type Outcome, type Variant } from './lib/conll-runs.js';

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    data: { type: 'string', default: DEFAULT_DATA },
    out: { type: 'string', default: join(ROOT, 'runs/search') },
    readme: { type: 'boolean', default: false },
    'table-only': { type: 'boolean', default: false },
  },
});

/** Every variant starts from configs/conll2003.yaml (the chosen config) and changes what `sets` says. */
const VARIANTS: Variant[] = [
  { group: 'shipped', name: 'configs/conll2003.yaml', sets: [], redecode: ['constrained'] },
  { group: 'decoding', name: 'greedy (window-level softmax)', sets: ['decode.mode=greedy'], redecode: ['constrained'] },
  { group: 'decoding', name: 'learned, structured hinge', sets: ['objective.loss=max-margin'] },
  { group: 'class imbalance', name: 'greedy, O down-weighted 0.5', sets: ['decode.mode=greedy', 'objective.o_weight=0.5'], redecode: ['constrained'] },
  { group: 'features', name: 'no caps feature', sets: ['features.caps.dim=0'] },
  { group: 'features', name: 'suffix 3 + prefix 2', sets: ['features.suffix.length=3', 'features.prefix.length=2'] },
  { group: 'embeddings', name: 'frozen word vectors', sets: ['embeddings.trainable=false'] },
  { group: 'regularisation', name: 'no input dropout', sets: ['model.input_dropout=0'] },
  { group: 'regularisation', name: 'no weight averaging', sets: ['optimizer.average=0'] },
];

const outDir = resolve(flags.out);
const resultsPath = join(outDir, 'results.json');
const saved: Record<string, Outcome> = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, Outcome>) : {};

if (!flags['table-only']) {
  const only = flags.only?.split(',').map((s) => s.trim());
  const chosen = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;
  if (only && chosen.length !== only.length) throw new Error(`--only: unknown variant among ${only.join(', ')}`);
  const outcomes = await runAll(chosen, { dataDir: resolve(flags.data), outDir, jobs: Number(flags.jobs) });
  for (const o of outcomes) saved[o.name] = o;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(saved, null, 2)}\n`);
}

const rows = VARIANTS.filter((v) => saved[v.name]).map((v) => {
  const o = saved[v.name];
  const curve = o.dev_f1.map(pct).join(' ');
  const redecoded = o.redecoded ? Object.entries(o.redecoded).map(([mode, f1]) => `${mode} ${pct(f1)}`).join(', ') : '';
  return `| ${o.group} | ${o.name} | \`${o.sets.join(' ') || '(as shipped)'}\` | **${pct(o.best_f1)}** (epoch ${o.best_epoch}) | ${curve} | ${redecoded} |`;
});
const table = ['| | variant | --set | best dev F1 | dev F1 per epoch | same checkpoint re-decoded |', '|---|---|---|---:|---|---|', ...rows].join('\n');
process.stdout.write(`${table}\n`);
if (flags.readme) writeReadmeTable('conll-search', table);
