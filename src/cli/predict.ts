import { Command, Option } from 'commander';
import { UserError } from '../errors.js';

interface PredictFlags {
  checkpoint?: string;
  input?: string;
  format: 'text' | 'conll';
  json?: boolean;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('tag sentences with a checkpoint, streaming from a file or stdin to stdout')
    .addOption(new Option('-m, --checkpoint <dir>', 'checkpoint folder (a run\'s model-best or model-last)'))
    .addOption(new Option('-i, --input <file>', 'file to tag (default: stdin)'))
    .addOption(
      new Option('-f, --format <format>', 'input format: text = one sentence per line, tokens separated by spaces; conll = token in the first column, blank line between sentences')
        .choices(['text', 'conll'])
        .default('text'),
    )
    .addOption(new Option('--json', 'one JSON object per sentence: {"tokens","tags","entities":[{"start","end","type","text"}]}'))
    .addHelpText(
      'after',
      `
Output (default): \`token TAG\` per line (conll input: the input line with the tag
appended), a blank line after each sentence. Tags are in the scheme of the
checkpoint's training data. --json: one object per line (-DOCSTART- lines skipped).
Streams: each sentence is written as soon as its line (conll: its closing blank
line) arrives; memory does not depend on the input's length. A reader that stops
early (\`| head\`) ends predict quietly with exit 0.
Exit codes: 0 done; 2 bad arguments, checkpoint or input file; 1 output failed.

Examples:
  echo "John Smith flew to Paris ." | ner-train predict --checkpoint runs/default/model-best
  ner-train predict -m runs/default/model-best -f conll -i data/dev.txt | head`,
    )
    .action(async (flags: PredictFlags) => {
      if (!flags.checkpoint) throw new UserError('predict needs --checkpoint DIR', { hint: 'a run folder\'s model-best or model-last' });
      const [{ Tagger }, { predictStream, openInput }] = await Promise.all([import('../api/tagger.js'), import('../api/predict.js')]);
      const tagger = await Tagger.load(flags.checkpoint);
      const input = flags.input ? await openInput(flags.input) : process.stdin;
      await predictStream(tagger, { input, output: process.stdout, inputFormat: flags.format, outputFormat: flags.json ? 'json' : 'conll', inputName: flags.input ?? 'stdin' });
    });
}
