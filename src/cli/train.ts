import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { setOption } from './options.js';

interface TrainFlags {
  config?: string;
  set: string[];
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a window-based NER tagger as a config file says')
    .addOption(new Option('-c, --config <file>', 'config file (YAML or JSON); `ner-train init-config` prints one'))
    .addOption(setOption())
    .addOption(new Option('-o, --out <dir>', 'run folder for checkpoints and metrics.jsonl (overrides output.dir)'))
    .addOption(new Option('--force', 'replace a previous run in the output folder'))
    .addOption(new Option('--json', 'print the result as one JSON object on stdout'))
    .addHelpText(
      'after',
      `
Writes to the run folder: model-best/ (best dev F1), model-last/ (last epoch),
metrics.jsonl (one line per epoch). Progress goes to stderr.
Ctrl-C stops after the current step and writes model-last/ (exit 130).

Examples:
  ner-train train --config configs/default.yaml
  ner-train train --config configs/conll2003.yaml --set training.epochs=3 --out runs/try`,
    )
    .action(async (flags: TrainFlags) => {
      if (!flags.config) {
        throw new UserError('train needs --config FILE', { hint: 'run `ner-train init-config > my.yaml` for a complete config to start from' });
      }
      const [{ loadConfig }, { train }, { terminal, displayPath }, view] = await Promise.all([
        import('../config/load.js'),
        import('../train/trainer.js'),
        import('./terminal.js'),
        import('./train-view.js'),
      ]);
      const { config } = await loadConfig({ file: flags.config, sets: flags.set });
      if (flags.out !== undefined) config.output.dir = resolve(flags.out);
      const term = terminal();
      const interrupt = interruptOnSignals(term.err);
      try {
        const result = await train(config, { force: flags.force ?? false, signal: interrupt.signal, onEvent: view.trainView(term) });
        if (flags.json) {
          term.out.write(`${JSON.stringify(resultJson(result))}\n`);
        } else {
          term.out.write(view.formatTrainSummary(result, term));
        }
        if (result.interrupted) {
          term.err.write(`stopped early; the last checkpoint is ${displayPath(result.outDir)}/model-last\n`);
          process.exitCode = interrupt.exitCode();
        }
      } finally {
        interrupt.dispose();
      }
    });
}

/**
 * First Ctrl-C (or SIGTERM): ask the trainer to stop after its current step and write
 * model-last. A second one exits at once; checkpoints are replaced atomically, so
 * whatever was already written stays loadable.
 */
function interruptOnSignals(err: NodeJS.WritableStream): { signal: AbortSignal; exitCode: () => number; dispose: () => void } {
  const controller = new AbortController();
  let code = 130;
  const handler = (signal: NodeJS.Signals): void => {
    const exit = signal === 'SIGTERM' ? 143 : 130;
    if (controller.signal.aborted) {
      err.write('\nstopping now\n');
      process.exit(exit);
    }
    code = exit;
    err.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: finishing this step and saving model-last (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

function resultJson(result: import('../train/trainer.js').TrainResult): object {
  return {
    out_dir: result.outDir,
    interrupted: result.interrupted,
    best_epoch: result.bestEpoch,
    best: result.best,
    epochs: result.epochs,
    data: result.data,
    elapsed_s: result.elapsed_s,
  };
}
