// Size budgets, the way size-limit checks them in JavaScript projects: each file a page downloads
// is compressed as a CDN would send it (brotli, quality 11) and compared with its budget in
// budgets.json. Sizes are deterministic for a build, so this is a test; speeds are in make bench.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sizesOf } from '../../internal/testkit/sizes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const budgets = JSON.parse(readFileSync(path.join(ROOT, 'budgets.json'), 'utf8')).brotli;

for (const [file, budget] of Object.entries(budgets)) {
  test(`${file} fits its brotli budget`, (t) => {
    const size = sizesOf(readFileSync(path.join(ROOT, file))).brotli;
    t.diagnostic(`${file}: ${size} bytes brotli, budget ${budget} (${((100 * size) / budget).toFixed(1)}%)`);
    assert.ok(size <= budget, `${file} is ${size} bytes brotli, over its budget of ${budget} bytes by ${size - budget}`);
  });
}

test('every file of the page (loader, worker script, module) has a budget', () => {
  assert.deepEqual(Object.keys(budgets).sort(),
    ['dist/userpilot-heap-bridge.js', 'dist/userpilot-heap-bridge.wasm', 'dist/userpilot-heap-bridge.worker.js']);
});
