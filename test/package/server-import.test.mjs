// Safe to import anywhere: the package installed from its tarball, imported and required in Node
// as a server-side renderer does, throws nothing and reads or writes no global; Node resolves the
// inert server entries, which have the bridge's API; the browser entries, if a server build takes
// them anyway, do no harm either; and TypeScript sees the right shape for import and for require.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DIST, ROOT, installPackage, tempDir } from './install.mjs';

const pkg = JSON.parse(fs.readFileSync(path.join(DIST, 'package.json'), 'utf8'));
let app;
before(() => {
  app = tempDir('ssr');
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'ssr-app', private: true }));
  installPackage(app);
});
after(() => fs.rmSync(app, { recursive: true, force: true }));

// PROBE runs in a fresh Node: it watches the globals a browser has (reads through accessors that
// note each read) and every key of globalThis, loads the package with LOAD, and prints what it saw.
const PROBE = String.raw`
const WATCHED = ['window', 'document', 'self', 'navigator', 'location', 'localStorage', 'Worker', 'userpilot',
  'userpilotSettings', 'heap', 'UserpilotHeapBridge', 'userpilotHeapBridgeSettings'];
const reads = [];
for (const name of WATCHED) {
  const had = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { configurable: true, get() { reads.push(name); return had && (had.get ? had.get.call(globalThis) : had.value); } });
}
const keysBefore = Reflect.ownKeys(globalThis).map(String);
const out = { reads, error: null };
const report = async (mod) => {
  const api = mod && mod.default && !LOADS_CJS ? mod.default : mod;
  out.readsAtLoad = reads.slice();
  out.newGlobals = Reflect.ownKeys(globalThis).map(String).filter((k) => !keysBefore.includes(k));
  out.members = Object.keys(api).sort();
  out.named = Object.keys(mod).sort();
  out.hasDefault = 'default' in mod;
  out.version = api.version;
  out.configure = api.configure({ consent: 'pending' });
  out.setConsent = api.setConsent('granted');
  out.stats = api.stats();
  out.history = api.history();
  out.ready = await api.ready().then((v) => (v === undefined ? 'resolved' : 'resolved with ' + v), (e) => 'rejected: ' + e.message);
  out.whenForwarded = await api.whenForwarded('x', 10).then(() => 'resolved', (e) => 'rejected: ' + e.message);
};
`;

// probe loads spec in a fresh Node from the app folder, with require or import, and returns the report.
function probe(spec, { cjs = false, conditions = [] } = {}) {
  const load = cjs ? `report(require(${JSON.stringify(spec)}))` : `import(${JSON.stringify(spec)}).then(report)`;
  const code = `const LOADS_CJS = ${cjs};${PROBE}
    Promise.resolve().then(() => ${load}).catch((e) => { out.error = String(e && e.stack || e); })
      .then(() => process.stdout.write(JSON.stringify(out)));`;
  const flags = conditions.map((c) => `--conditions=${c}`);
  const text = execFileSync(process.execPath, [...flags, cjs ? '--input-type=commonjs' : '--input-type=module', '-e', code], { cwd: app, encoding: 'utf8' });
  return JSON.parse(text);
}

const API = ['clearHistory', 'configure', 'history', 'ready', 'setConsent', 'stats', 'version', 'whenForwarded'];
const ZEROS = { received: 0, forwarded: 0, dropped: 0, duplicates: 0, identifies: 0, resets: 0, pending: 0, relayed: 0,
  relaying: 0, identityRejected: 0, truncated: 0, dropReasons: {}, propertyDrops: {}, events: {}, interfaceIgnored: {} };

// assertInert checks a report: nothing thrown, no global read (but the ones in onlyReads) or
// written, the API doing nothing.
function assertInert(r, { onlyReads = [] } = {}) {
  assert.equal(r.error, null, r.error);
  assert.deepEqual([...new Set(r.readsAtLoad)], onlyReads, 'globals read while loading');
  assert.deepEqual(r.newGlobals, [], 'globals written');
  assert.deepEqual(r.members, API);
  assert.equal(r.version, pkg.version);
  assert.equal(r.configure, undefined);
  assert.equal(r.setConsent, undefined);
  assert.deepEqual(r.stats, ZEROS);
  assert.deepEqual(r.history, []);
  assert.equal(r.ready, 'resolved', 'ready() resolves: nothing to wait for outside a page');
  assert.match(r.whenForwarded, /^rejected: userpilot-heap-bridge: whenForwarded\(\) was called outside a browser page/);
}

test('import "userpilot-heap-bridge" in Node: the server entry, nothing thrown, no global read or written', () => {
  const r = probe('userpilot-heap-bridge');
  assertInert(r);
  assert.deepEqual(r.named, [...API, 'default'].sort(), 'a default export and every member as a named export');
});

test('require("userpilot-heap-bridge") in Node: the server entry, nothing thrown, no global read or written, no default property', () => {
  const r = probe('userpilot-heap-bridge', { cjs: true });
  assertInert(r);
  assert.equal(r.hasDefault, false, 'require() gives the API itself, as index.d.cts says');
});

// A ready() nobody catches, in code the server and the page share, must not end the process.
for (const [how, load] of [['import', "import('userpilot-heap-bridge').then((m) => m.ready())"], ['require', "require('userpilot-heap-bridge').ready()"]]) {
  test(`ready() with no catch, after ${how} in Node: the process goes on and exits 0 with nothing on stderr`, () => {
    const code = `${load}; setTimeout(() => process.stdout.write('still running'), 50);`;
    const r = spawnSync(process.execPath, [how === 'import' ? '--input-type=module' : '--input-type=commonjs', '-e', code], { cwd: app, encoding: 'utf8' });
    assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 0, stdout: 'still running', stderr: '' });
  });
}

test('Node resolves the server entries; a browser resolution gets the page entries', () => {
  const resolve = (how, conditions = []) => execFileSync(process.execPath,
    [...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e',
      `import { createRequire } from 'node:module'; const r = createRequire(process.cwd() + '/'); process.stdout.write(${how === 'require' ? "r.resolve('userpilot-heap-bridge')" : "import.meta.resolve('userpilot-heap-bridge')"})`],
    { cwd: app, encoding: 'utf8' });
  const file = (s) => path.basename(s);
  assert.equal(file(resolve('import')), 'server.mjs');
  assert.equal(file(resolve('require')), 'server.cjs');
  assert.equal(file(resolve('import', ['browser'])), 'index.mjs');
  assert.equal(file(resolve('require', ['browser'])), 'index.cjs');
});

// A server build that ignores the "node" condition (or imports the browser entry by path) still
// gets no error and no global: each of its files only asks whether there is a window (typeof
// window), and the entry is then the server entry.
for (const [name, spec, cjs] of [['index.mjs', 'index.mjs', false], ['index.cjs', 'index.cjs', true]]) {
  test(`the browser entry ${name}, loaded in Node, throws nothing and writes no global`, () => {
    const r = probe(path.join(app, 'node_modules/userpilot-heap-bridge', spec), { cjs });
    assertInert(r, { onlyReads: ['window'] });
  });
}

test('with --conditions=browser, import and require in Node throw nothing and write no global', () => {
  assertInert(probe('userpilot-heap-bridge', { conditions: ['browser'] }), { onlyReads: ['window'] });
  assertInert(probe('userpilot-heap-bridge', { conditions: ['browser'], cjs: true }), { onlyReads: ['window'] });
});

// ---- types: TypeScript (the repo's pinned tsc) on consumers of each module system ----

const CONSUMERS = {
  'esm.mts': `import bridge, { configure, ready, type UserpilotHeapBridgeSettings, type UserpilotHeapBridgeStats } from 'userpilot-heap-bridge';
const settings: UserpilotHeapBridgeSettings = { consent: 'pending', thread: 'worker', userProperties: ['plan'] };
configure(settings);
const done: Promise<void> = ready();
const thread: 'worker' | 'main' | undefined = bridge.stats().thread;
const viaWindow: UserpilotHeapBridgeStats = window.UserpilotHeapBridge.stats();
// @ts-expect-error thread takes only "auto", "worker" or "main"
configure({ thread: 'gpu' });
// @ts-expect-error the ES entry's default export is the API, which has no default member
bridge.default;
export { done, thread, viaWindow };
`,
  'cjs.cts': `import bridge = require('userpilot-heap-bridge');
const settings: bridge.UserpilotHeapBridgeSettings = { consent: 'pending', load: 'first-event' };
bridge.configure(settings);
const done: Promise<void> = bridge.ready();
const version: string = bridge.version;
// @ts-expect-error require() returns the API itself: there is no default property
bridge.default.ready();
// @ts-expect-error setConsent takes "granted", "pending" or "denied"
bridge.setConsent('yes');
export = { done, version };
`,
};

test('TypeScript: import (nodenext, .mts) and require (nodenext, .cts) both type-check, with no default on require', () => {
  const dir = path.join(app, 'ts');
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(CONSUMERS)) fs.writeFileSync(path.join(dir, f), text);
  const tsconfig = (options) => JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['es2020', 'dom'], ...options }, files: Object.keys(CONSUMERS) });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }));
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
  const run = (project) => {
    try {
      execFileSync(tsc, ['-p', project], { cwd: dir, encoding: 'utf8' });
      return '';
    } catch (e) {
      return `${e.stdout}${e.stderr}`;
    }
  };
  assert.equal(run('tsconfig.json'), '', 'tsc reports nothing');
  // The same ES consumer under moduleResolution "bundler", as Vite and webpack projects use it.
  fs.writeFileSync(path.join(dir, 'tsconfig.bundler.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, types: [], lib: ['es2020', 'dom'], module: 'esnext', moduleResolution: 'bundler' }, files: ['esm.mts'] }));
  assert.equal(run('tsconfig.bundler.json'), '', 'tsc reports nothing (bundler resolution)');
});
