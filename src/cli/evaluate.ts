import { Command, Option } from 'commander';
import { UserError } from '../errors.js';

interface EvaluateFlags {
  checkpoint?: string;
  data?: string;
  json?: boolean;
  writePredictions?: string;
  scheme: 'auto' | 'iob1' | 'iob2' | 'iobes';
  decode?: 'greedy' | 'constrained' | 'learned';
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score a checkpoint on a CoNLL file: entity precision, recall and F1 by conlleval\'s rules')
    .addOption(new Option('-m, --checkpoint <dir>', 'checkpoint folder (a run\'s model-best or model-last)'))
    .addOption(new Option('-d, --data <file>', 'CoNLL file with gold tags (token first column, tag last)'))
    .addOption(new Option('--json', 'print the scores as one JSON object on stdout'))
    .addOption(new Option('-w, --write-predictions <file>', 'also write `token gold predicted` lines (the input conlleval.pl reads)'))
    .addOption(new Option('--scheme <scheme>', 'tag scheme of the file').choices(['auto', 'iob1', 'iob2', 'iobes']).default('auto'))
    .addOption(
      new Option('--decode <mode>', 'decode differently from training: greedy, constrained (Viterbi under the scheme\'s rules), learned (needs learned transitions)').choices([
        'greedy',
        'constrained',
        'learned',
      ]),
    )
    .addHelpText(
      'after',
      `
JSON output (tagger): {"task":"tagger","precision","recall","f1","accuracy","tokens",
  "sentences","gold_entities","predicted_entities","correct_entities","scheme",
  "per_type":{TYPE:{"precision","recall","f1","support"}},
  "confusion":{"labels":[TAG...],"matrix":[[count...]...]} (token counts, rows gold tag,
    columns predicted tag, both in the order of "labels"),
  "oov":{"in_vocabulary":GROUP,"out_of_vocabulary":GROUP}}, where GROUP is
    {"precision","recall","f1","gold_entities","predicted_entities","correct_entities"}
    and an entity is out of vocabulary when any of its words maps to <unk> in the
    checkpoint's vocabulary (the two groups' counts add up to the overall ones);
(entity detector): {"task":"entity-detector","ranking_accuracy","threshold",
  "precision","recall","f1","entity_words", ...}; fractions in [0,1].
Exit codes: 0 scored; 2 bad arguments, data file or checkpoint; 1 internal error.

Example:
  ner-train evaluate --checkpoint runs/default/model-best --data data/dev.txt --json`,
    )
    .action(async (flags: EvaluateFlags) => {
      if (!flags.checkpoint) throw new UserError('evaluate needs --checkpoint DIR', { hint: 'a run folder\'s model-best or model-last' });
      if (!flags.data) throw new UserError('evaluate needs --data FILE', { hint: 'a CoNLL file with gold tags' });
      const [{ evaluate }, { terminal, pct, table }] = await Promise.all([import('../api/evaluate.js'), import('./terminal.js')]);
      const result = await evaluate({
        checkpoint: flags.checkpoint,
        data: flags.data,
        scheme: flags.scheme,
        ...(flags.decode ? { decode: flags.decode } : {}),
        ...(flags.writePredictions ? { writePredictions: flags.writePredictions } : {}),
      });
      const term = terminal();
      if (flags.json) {
        term.out.write(`${JSON.stringify(result)}\n`);
        return;
      }
      if (result.task === 'entity-detector') {
        term.out.write(`${flags.data}: ${result.sentences} sentences, ${result.tokens} tokens, ${result.entity_words} entity words\n`);
        term.out.write(
          `${table(
            ['measure', 'value'],
            [
              ['ranking accuracy', pct(result.ranking_accuracy)],
              [`precision at threshold ${result.threshold.toPrecision(4)}`, pct(result.precision)],
              ['recall', pct(result.recall)],
              ['F1', pct(result.f1)],
              ['best threshold on this file', result.best_threshold_here.toPrecision(4)],
            ],
          )}\n`,
        );
        if (flags.writePredictions) term.out.write(`predictions written to ${flags.writePredictions}\n`);
        return;
      }
      const rows = Object.entries(result.per_type).map(([type, s]) => [type, pct(s.precision), pct(s.recall), pct(s.f1), String(s.support)]);
      rows.push(['overall', pct(result.precision), pct(result.recall), pct(result.f1), String(result.gold_entities)]);
      term.out.write(`${flags.data}: ${result.sentences} sentences, ${result.tokens} tokens; token accuracy ${pct(result.accuracy)}%; ${result.decode} decoding\n`);
      term.out.write(`${table(['type', 'precision', 'recall', 'F1', 'support'], rows)}\n`);
      const groups: [string, typeof result.oov.in_vocabulary][] = [
        ['in vocabulary', result.oov.in_vocabulary],
        ['out of vocabulary', result.oov.out_of_vocabulary],
      ];
      term.out.write('\nentities by vocabulary status (out of vocabulary: a word of the entity is unknown to the checkpoint)\n');
      term.out.write(`${table(['group', 'precision', 'recall', 'F1', 'support'], groups.map(([name, g]) => [name, pct(g.precision), pct(g.recall), pct(g.f1), String(g.gold_entities)]))}\n`);
      const { labels, matrix } = result.confusion;
      term.out.write('\ntoken confusion matrix (rows: gold tag, columns: predicted tag)\n');
      term.out.write(`${table(['gold \\ predicted', ...labels], labels.map((label, i) => [label, ...matrix[i].map(String)]))}\n`);
      if (flags.writePredictions) term.out.write(`predictions written to ${flags.writePredictions}\n`);
    });
}
