/**
 * Every piece of text that reaches the report (type names, labels, paths, config values)
 * goes through here: a label like `B-<X>` or a folder named `a&b` must show as written,
 * never become markup.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
