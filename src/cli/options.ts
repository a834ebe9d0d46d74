/** Commander argParser for repeatable options: each use appends. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
