// The npm package is dist/ as `make build` leaves it: the files its package.json names, nothing
// else (no hashed CDN copies), each one present and the entry points resolvable.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

test('npm pack of dist/ holds exactly the loader, the module, the worker script, the ES entry, types and manifest', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', dist], { encoding: 'utf8' }));
  const pkg = JSON.parse(readFileSync(dist + 'package.json', 'utf8'));
  assert.equal(pack.name, 'userpilot-heap-bridge');
  assert.equal(pack.version, pkg.version);
  assert.deepEqual(pack.files.map((f) => f.path).sort(), [
    'index.d.ts', 'index.mjs', 'manifest.json', 'package.json', 'userpilot-heap-bridge.js',
    'userpilot-heap-bridge.wasm', 'userpilot-heap-bridge.worker.js', 'wasm-url.mjs',
  ]);
  for (const entry of [pkg.main, pkg.module, pkg.types, pkg.exports['.'].import, pkg.exports['./userpilot-heap-bridge.wasm'],
    pkg.exports['./userpilot-heap-bridge.worker.js']]) {
    assert.ok(pack.files.some((f) => './' + f.path === entry || f.path === entry), `${entry} is in the package`);
  }
  const manifest = JSON.parse(readFileSync(dist + 'manifest.json', 'utf8'));
  assert.equal(manifest.version, pkg.version);
});
