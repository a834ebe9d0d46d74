import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { printOwnWarnings, reportError } from './errors.js';
import { registerEvaluate } from './evaluate.js';
import { registerGradcheck } from './gradcheck.js';
import { registerInitConfig } from './init-config.js';
import { registerPredict } from './predict.js';
import { registerReport } from './report.js';
import { registerTrain } from './train.js';

function buildProgram(): Command {
  const program = new Command('ner-train')
    .description('Train and run window-based named-entity taggers: s = U·f(W·x + b) + c over a window of word embeddings.')
    .version(VERSION)
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Start here:
  ner-train init-config > my.yaml       a complete, commented config
  ner-train train --config my.yaml      train; checkpoints and metrics in output.dir
  ner-train evaluate -m RUN/model-best -d dev.txt
  echo "Ada Lovelace lived in London ." | ner-train predict -m RUN/model-best
  ner-train report RUN                  charts and tables of a run, as one HTML page

Exit codes: 0 success; 1 failure (a failed gradcheck, an internal error);
2 a mistake in what was given (arguments, config, data, checkpoint); 130/143 interrupted.`,
    );
  registerTrain(program);
  registerEvaluate(program);
  registerPredict(program);
  registerReport(program);
  registerGradcheck(program);
  registerInitConfig(program);
  // Usage errors (unknown option, bad choice, missing argument) exit 2, like every other mistake in what was given.
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.executeSubCommandAsync') return 1;
    return reportError(error);
  }
}

// A reader that goes away (`ner-train gradcheck | head`) is not a failure of ours: stop
// quietly with the status so far, as Unix tools do, instead of an unhandled EPIPE.
// Any other failure to write the results (stdout redirected to a full disk) ends the run
// with one line, not a stack: what was written so far is incomplete.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  process.stderr.write(`ner-train: cannot write the output (stdout): ${error.message}\n`);
  process.exit(1);
});
// stderr carries only progress and diagnostics: when it cannot be written (its reader went
// away, `2>&1 | head`; a full disk) the work goes on without them rather than dying mid-run.
process.stderr.on('error', () => undefined);

printOwnWarnings();
process.exitCode = await main(process.argv);
