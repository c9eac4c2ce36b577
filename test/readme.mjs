// The README as the tests read it: its text and its fenced code blocks, so the snippets users copy
// are the ones the tests run.
import { readFileSync } from 'node:fs';

export const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

// codeBlocks lists the fenced code blocks of text (the README by default): {lang, code}.
export const codeBlocks = (text = README) => [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));

// codeBlock is the README's code block whose code starts with start; it throws when there is none.
export function codeBlock(start) {
  const b = codeBlocks().find((x) => x.code.startsWith(start));
  if (!b) throw new Error(`the README has no code block starting ${JSON.stringify(start)}`);
  return b.code;
}
