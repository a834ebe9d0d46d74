/**
 * The text conlleval.pl reads, so any run can be re-scored with the reference script:
 * `token gold predicted` per token and one blank line after each sentence.
 */

/** conlleval splits on single spaces, so a token must be one non-empty field without whitespace. */
function field(token: string): string {
  const cleaned = token.replace(/\s+/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/** The lines conlleval.pl reads for one sentence: `token gold predicted` per token, then a blank line. */
export function conllevalLines(tokens: readonly string[], gold: readonly string[], predicted: readonly string[]): string {
  if (tokens.length !== gold.length || tokens.length !== predicted.length) {
    throw new Error(`conllevalLines: ${tokens.length} tokens, ${gold.length} gold tags, ${predicted.length} predicted tags`);
  }
  let text = '';
  for (let i = 0; i < tokens.length; i++) text += `${field(tokens[i])} ${gold[i]} ${predicted[i]}\n`;
  return `${text}\n`;
}
