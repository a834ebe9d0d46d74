import { Option } from 'commander';

/** Commander argParser for repeatable options: each use appends. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `-s, --set key=value`, repeatable: the config override every config-reading command takes. */
export function setOption(): Option {
  return new Option('-s, --set <key=value>', 'override a config key, e.g. --set model.hidden=200 (repeatable)').argParser(collect).default([], 'none');
}
