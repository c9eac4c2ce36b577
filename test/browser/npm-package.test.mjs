// The npm package is dist/ as `make build` leaves it: the files its package.json names, nothing
// else (no hashed CDN copies), each one present and every entry point in it; the README, LICENSE
// and CHANGELOG travel with it; the version has one source.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

// targets lists every file an exports map (with its nested conditions) points at.
const targets = (e) => (typeof e === 'string' ? [e] : Object.values(e).flatMap(targets));

test('npm pack of dist/ holds exactly the loader, the module, the worker script, the entries, types, manifest, README, LICENSE and CHANGELOG', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', dist], { encoding: 'utf8' }));
  const pkg = JSON.parse(readFileSync(dist + 'package.json', 'utf8'));
  assert.equal(pack.name, 'userpilot-heap-bridge');
  assert.equal(pack.version, pkg.version);
  assert.deepEqual(pack.files.map((f) => f.path).sort(), [
    'CHANGELOG.md', 'LICENSE', 'README.md', 'index.cjs', 'index.d.cts', 'index.d.ts', 'index.mjs', 'manifest.json', 'package.json',
    'server.cjs', 'server.mjs', 'userpilot-heap-bridge.js', 'userpilot-heap-bridge.wasm', 'userpilot-heap-bridge.worker.js', 'wasm-url.mjs',
  ]);
  const entries = [pkg.main, pkg.module, pkg.types, ...targets(pkg.exports)];
  assert.ok(entries.length > 20, 'the exports map has its conditions');
  for (const entry of entries) {
    assert.ok(pack.files.some((f) => './' + f.path === entry), `${entry} is in the package`);
  }
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
    assert.ok(readFileSync(dist + f).equals(readFileSync(root + f)), `the package's ${f} is the repository's`);
  }
  assert.match(readFileSync(dist + 'LICENSE', 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} The userpilot-heap-bridge authors\n/);
  assert.equal(pkg.license, 'MIT');
});

test('one version: js/package.json, the built package, manifest, loader, worker script, server entry and CHANGELOG agree', () => {
  const source = JSON.parse(readFileSync(root + 'js/package.json', 'utf8')).version;
  assert.match(source, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assert.equal(JSON.parse(readFileSync(dist + 'package.json', 'utf8')).version, source);
  assert.equal(JSON.parse(readFileSync(dist + 'manifest.json', 'utf8')).version, source);
  assert.ok(readFileSync(dist + 'userpilot-heap-bridge.js', 'utf8').startsWith(`/*! userpilot-heap-bridge ${source} |`));
  assert.ok(readFileSync(dist + 'userpilot-heap-bridge.worker.js', 'utf8').startsWith(`/*! userpilot-heap-bridge ${source} (worker)`));
  assert.ok(readFileSync(dist + 'server.cjs', 'utf8').includes(`version: '${source}'`));
  assert.equal(readFileSync(root + 'CHANGELOG.md', 'utf8').match(/^## (\S+)/m)[1], source, "CHANGELOG.md's newest entry");
  // Nowhere else in the sources is a version written down.
  const sources = execFileSync('git', ['ls-files', 'js', 'bridge', 'wasm', 'README.md', 'examples'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const written = sources.filter((f) => f !== 'js/package.json' && readFileSync(root + f, 'utf8').includes(`"${source}"`));
  assert.deepEqual(written, []);
});
