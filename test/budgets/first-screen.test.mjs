// The README's first screen (everything before "## Contents") cannot go stale: its sizes are the
// real brotli sizes of dist/ (within 5%, each inside its budget), its main-thread figures are the
// Worker column of the cost table `make bench` fills, its install code is short and is the code the
// bundler tests run, and every link in the README to a section of it lands on a heading. The whole
// README is a front door: at most 250 lines, the demo command within its first 80.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sizesOf } from '../../internal/testkit/sizes.mjs';
import { README, codeBlocks } from '../readme.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const budgets = JSON.parse(readFileSync(path.join(ROOT, 'budgets.json'), 'utf8')).brotli;
const firstScreen = README.slice(0, README.indexOf('\n## Contents\n'));

test('the first screen is short and ends at the table of contents', () => {
  assert.ok(firstScreen.length > 0 && README.includes('\n## Contents\n'), 'the README has a "## Contents" heading');
  const lines = firstScreen.split('\n').length;
  assert.ok(lines <= 45, `the first screen is ${lines} lines`);
});

const FILES = [
  ['loader', 'dist/userpilot-heap-bridge.js'],
  ['worker script', 'dist/userpilot-heap-bridge.worker.js'],
  ['module', 'dist/userpilot-heap-bridge.wasm'],
];
for (const [label, file] of FILES) {
  test(`the first screen's ${label} sizes are the real brotli and gzip sizes of ${file}, within 5%, and brotli within its budget`, (t) => {
    const m = firstScreen.replace(/\s+/g, ' ').match(new RegExp(`\\b${label} (\\d+(?:\\.\\d+)?) kB brotli, (\\d+(?:\\.\\d+)?) kB gzip\\b`));
    assert.ok(m, `the first screen states the ${label}'s sizes as "${label} N kB brotli, M kB gzip"`);
    const real = sizesOf(readFileSync(path.join(ROOT, file)));
    for (const [kind, stated] of [['brotli', Number(m[1]) * 1000], ['gzip', Number(m[2]) * 1000]]) {
      t.diagnostic(`${label}: README says ${stated / 1000} kB ${kind}, the file is ${real[kind]} bytes (${(real[kind] / 1000).toFixed(1)} kB)`);
      assert.ok(Math.abs(stated - real[kind]) <= 0.05 * real[kind],
        `the README says ${stated / 1000} kB ${kind} for ${file}, which is ${(real[kind] / 1000).toFixed(1)} kB ${kind} now: update the first screen`);
    }
    t.diagnostic(`budget ${budgets[file]} bytes brotli`);
    assert.ok(Number(m[1]) * 1000 <= budgets[file], `the README's ${m[1]} kB is over the budget of ${budgets[file]} bytes`);
  });
}

// costRow reads the Worker column of a row of the cost table, by the row's first words.
function costRow(start) {
  const row = README.split('\n').find((l) => l.startsWith(`| ${start}`));
  assert.ok(row, `the cost table has a row "${start}"`);
  return row.split('|')[2].trim();
}

test("the first screen's main-thread cost is the cost table's Worker column", () => {
  const flat = firstScreen.replace(/\s+/g, ' ');
  const startup = flat.match(/a longest task of (\d+(?:\.\d+)?) ms while starting/);
  const perEvent = flat.match(/then (\d+(?:\.\d+)?) µs per event/);
  assert.ok(startup && perEvent, 'the first screen states both figures');
  const tableStartup = costRow('longest main-thread task from the tag to `ready()`').match(/^(\d+(?:\.\d+)?) ms$/);
  const tablePerEvent = costRow('main-thread time per event').match(/^(\d+(?:\.\d+)?) µs/);
  assert.ok(tableStartup && tablePerEvent, 'the table has both figures');
  assert.equal(Number(startup[1]), Number(tableStartup[1]), 'start-up: the first screen and the table agree');
  assert.ok(Math.abs(Number(perEvent[1]) - Number(tablePerEvent[1])) <= 0.5,
    `per event: the first screen says ${perEvent[1]} µs, the table ${tablePerEvent[1]} µs`);
});

test('the install code on the first screen is under 20 lines, and the npm snippet is the one the bundler tests build', () => {
  const blocks = codeBlocks(firstScreen);
  assert.deepEqual(blocks.map((b) => b.lang), ['html', 'js']);
  const lines = blocks.reduce((n, b) => n + b.code.trim().split('\n').length, 0);
  assert.ok(lines < 20, `${lines} lines of install code`);
  assert.match(blocks[0].code, /^<script>window\.userpilotHeapBridgeSettings = .*<\/script>\n<script src="\/assets\/userpilot-heap-bridge\.js"><\/script>\n$/);
  const bundlerBlock = codeBlocks().find((b) => b.code.startsWith('// your entry point: the bridge first, then Userpilot\n'));
  assert.ok(bundlerBlock, 'the bundler section has the entry point snippet');
  assert.equal(bundlerBlock.code.replace(/^\/\/.*\n/, ''), blocks[1].code);
});

// slug is GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
const slug = (heading) => heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

test('every link to a section of the README lands on a heading', () => {
  const anchors = new Set(README.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
  const links = [...README.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length >= 10, 'the table of contents links its sections');
  assert.deepEqual(links.filter((a) => !anchors.has(a)), []);
  assert.ok(README.includes('](docs/two-way.md)'), 'the README links the two-way page');
});

test('the README is at most 250 lines, with the demo command within the first 80', () => {
  const lines = README.split('\n');
  const count = lines.length - (lines.at(-1) === '' ? 1 : 0);
  assert.ok(count <= 250, `the README is ${count} lines`);
  const demo = lines.findIndex((l) => /^make demo\b/.test(l));
  assert.ok(demo >= 0 && demo < 80, `the demo command is on line ${demo + 1}`);
});
