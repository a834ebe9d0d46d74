import { Command, Option } from 'commander';
import { setOption } from './options.js';

interface GradcheckFlags {
  config?: string;
  set: string[];
  json?: boolean;
}

export function registerGradcheck(program: Command): void {
  program
    .command('gradcheck')
    .description('compare every analytic gradient with central differences in float64 (exit 1 if any relative error ≥ 1e-6)')
    .addOption(new Option('-c, --config <file>', 'take the window size, caps feature, margin, leaky slope and seed from this config'))
    .addOption(setOption())
    .addOption(new Option('--json', 'print {"passed","max_rel_error","tolerance","epsilon","checks":[{"activation","loss","dropout","preprocess","regularization","corruption","task","param","entries","max_rel_error"}]}'))
    .addHelpText(
      'after',
      `
Checks W, b, U, c and every embedding table by five-point central differences in
float64 for: each activation × loss (max-margin sum, max-margin max, softmax) ×
dropout (off, a fixed mask) × preprocessing (none, whiten) × L2 (off, on); and, per
activation, centre-word corruption, the single-score entity detector and L1.
Relative error is |a − n| / max(|a|, |n|, 1e-4).
Exit codes: 0 all below the tolerance; 1 some gradient is wrong; 2 bad arguments.`,
    )
    .action(async (flags: GradcheckFlags) => {
      const [{ loadConfig }, { runGradcheck, caseLabel }, { terminal, table }] = await Promise.all([
        import('../config/load.js'),
        import('../gradcheck/gradcheck.js'),
        import('./terminal.js'),
      ]);
      const { config } = await loadConfig({ ...(flags.config ? { file: flags.config } : {}), sets: flags.set, requireTrain: false });
      const report = runGradcheck({
        seed: config.seed,
        halfWidth: Math.min(config.model.window, 2),
        capsDim: config.features.caps.dim > 0 ? 2 : 0,
        margin: config.objective.margin,
        leakySlope: config.model.leaky_slope,
      });
      const term = terminal();
      if (flags.json) {
        term.out.write(`${JSON.stringify(report)}\n`);
      } else {
        const params = [...new Set(report.checks.map((c) => c.param))];
        const cases = new Map<string, Map<string, number>>();
        for (const c of report.checks) {
          const key = caseLabel(c);
          if (!cases.has(key)) cases.set(key, new Map());
          cases.get(key)?.set(c.param, c.max_rel_error);
        }
        const rows = [...cases].map(([key, errors]) => [key, ...params.map((p) => errors.get(p)?.toExponential(1) ?? '-')]);
        term.out.write(`max relative error per parameter (five-point central differences, h = ${report.epsilon}, float64), ${cases.size} cases\n`);
        term.out.write(`${table(['case', ...params], rows)}\n`);
        const verdict = `max relative error ${report.max_rel_error.toExponential(2)} (tolerance ${report.tolerance.toExponential(0)})`;
        term.out.write(report.passed ? `${term.color.green('passed')}: ${verdict}\n` : `${term.color.red('FAILED')}: ${verdict}\n`);
      }
      if (!report.passed) process.exitCode = 1;
    });
}
