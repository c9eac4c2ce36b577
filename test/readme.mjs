// The README and the docs/ pages as the tests read them: their text and their fenced code blocks,
// so the snippets users copy are the ones the tests run.
import { readFileSync } from 'node:fs';

const read = (rel) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

export const README = read('README.md');

// The pages of docs/ whose code blocks users copy (the reference the README links to).
export const DOC_PAGES = ['install', 'events', 'settings', 'two-way', 'relay', 'test-kit', 'development', 'releasing']
  .map((name) => `docs/${name}.md`);

// PAGES maps each page's path to its text: the README first, then the docs/ pages.
export const PAGES = new Map([['README.md', README], ...DOC_PAGES.map((p) => [p, read(p)])]);

// codeBlocks lists the fenced code blocks of text (the README by default): {lang, code}.
export const codeBlocks = (text = README) => [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));

// codeBlock is the code block, in the README or else a docs/ page, whose code starts with start; it
// throws when there is none.
export function codeBlock(start) {
  for (const text of PAGES.values()) {
    const b = codeBlocks(text).find((x) => x.code.startsWith(start));
    if (b) return b.code;
  }
  throw new Error(`neither the README nor docs/ has a code block starting ${JSON.stringify(start)}`);
}
