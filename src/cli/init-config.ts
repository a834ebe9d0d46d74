import { Command, Option } from 'commander';

export function registerInitConfig(program: Command): void {
  program
    .command('init-config')
    .description('print a complete, commented default config (YAML) to stdout')
    .addOption(new Option('--json', 'print the same defaults as one JSON object (no comments), a config file ner-train reads as it is'))
    .addHelpText('after', '\nExamples:\n  ner-train init-config > my-config.yaml\n  ner-train init-config --json > my-config.json')
    .action(async (flags: { json?: boolean }) => {
      if (flags.json) {
        const { defaultConfig } = await import('../config/schema.js');
        // The same placeholder for the one required key as the YAML shows.
        process.stdout.write(`${JSON.stringify(defaultConfig('data/train.txt'), null, 2)}\n`);
        return;
      }
      const { defaultConfigYaml } = await import('../config/default-yaml.js');
      process.stdout.write(defaultConfigYaml());
    });
}
