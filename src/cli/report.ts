import { Command, Option } from 'commander';
import { resolve } from 'node:path';

interface ReportFlags {
  out?: string;
  json?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a run folder\'s training report: one self-contained HTML page with charts and tables')
    .argument('<run-dir>', 'the run folder `train` wrote (holds metrics.jsonl, model-best/, model-last/)')
    .addOption(new Option('-o, --out <file>', 'where to write the page (default: RUN_DIR/report.html)'))
    .addOption(new Option('--json', 'print {"report": PATH} on stdout'))
    .addHelpText(
      'after',
      `
The page shows per epoch the training loss, the dev precision, recall and F1, and the
learning rate (from metrics.jsonl); for the best epoch, entity P/R/F1 per type and the
token confusion matrix (model-best scored on the dev file the run's config names); and
the resolved config. It has no scripts and loads nothing: open it anywhere, offline.
Exit codes: 0 written; 2 no such run folder, no metrics.jsonl, a damaged metrics line,
or an output path that cannot be written; 1 internal error.

Example:
  ner-train report runs/default && xdg-open runs/default/report.html`,
    )
    .action(async (runDir: string, flags: ReportFlags) => {
      const [{ writeReport }, { terminal, displayPath }] = await Promise.all([import('../report/report.js'), import('./terminal.js')]);
      const path = await writeReport({ runDir, ...(flags.out !== undefined ? { out: flags.out } : {}) });
      const term = terminal();
      term.out.write(flags.json ? `${JSON.stringify({ report: resolve(path) })}\n` : `${displayPath(path)}\n`);
    });
}
