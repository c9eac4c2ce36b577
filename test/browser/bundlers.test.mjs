// Bundlers, as the README's "With a bundler" section says, from the project a new user makes:
// `npm init -y` (so "type": "commonjs"), the package installed from the tarball `make pack` writes
// with the README's own `npm install` line, the README's entry point, then the README's lines for
// Vite, webpack (its webpack.config.cjs, also under "type": "module") and esbuild (`npx esbuild`)
// run word for word. Each build is served from 127.0.0.1 and run in the browser: ready() resolves,
// the module runs in the Worker, the module and the worker script come from the build, and a flow
// reaches Heap. webpack's main-thread fallback is checked with docs/install.md's config, and without
// it (where the docs say it fails).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { createServer as viteServer } from 'vite';
import { test, useBrowser, waitForAll, waitForUserpilot, waitForHeap, finalCalls, bridgeReady, wasmRequests, assertNoPageErrors } from './harness.mjs';
import { heapSnippet } from './pages.mjs';
import { ROOT, DIST, startServer } from './server.mjs';
import { tempDir } from '../package/install.mjs';
import { codeBlock } from '../readme.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const apps = [];
after(() => { for (const dir of apps) fs.rmSync(dir, { recursive: true, force: true }); });

const ENTRY = codeBlock('// your entry point: the bridge first, then Userpilot\n');
const INSTALL = codeBlock('npm install ./userpilot-heap-bridge-');
const VITE = codeBlock('npm install --save-dev vite\n');
const WEBPACK_CONFIG = codeBlock('// webpack.config.cjs: reads');
const WEBPACK = codeBlock('npm install --save-dev webpack webpack-cli\n');
const WEBPACK_MAIN_CONFIG = codeBlock('// webpack.config.cjs for the main-thread fallback');
const ESBUILD = codeBlock('npm install --save-dev esbuild\n');

// The app: the README's entry point, then what a test needs (a user, and a handle on the import).
function appCode({ settings } = {}) {
  let code = ENTRY.replace('"YOUR_APP_TOKEN"', '"app-token"');
  if (settings) code = code.replace('configure({ /* optional, see Settings */ });', `configure(${JSON.stringify(settings)});`);
  assert.ok(!settings || code.includes(JSON.stringify(settings)), 'the entry point calls configure');
  return `${code}
import bridge from "userpilot-heap-bridge";
Userpilot.identify("alice");
window.bundled = { same: bridge === window.UserpilotHeapBridge };
`;
}

// linkPackage puts a package of the repository's node_modules into the app, with its commands in
// node_modules/.bin, as npm would install it from the registry; npx then finds it and never
// downloads anything.
function linkPackage(app, name) {
  const modules = path.join(app, 'node_modules');
  fs.mkdirSync(path.join(modules, '.bin'), { recursive: true });
  const dir = path.join(ROOT, 'node_modules', name);
  assert.ok(fs.existsSync(dir), `${name} is a devDependency of the repository`);
  if (!fs.existsSync(path.join(modules, name))) fs.symlinkSync(dir, path.join(modules, name), 'dir');
  const { bin = {} } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const [cmd, file] of Object.entries(typeof bin === 'string' ? { [name]: bin } : bin)) {
    const link = path.join(modules, '.bin', cmd);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(dir, file), link);
  }
}

// run runs a README block's lines in the app folder, word for word, except `npm install`: the
// tarball is installed by npm (offline), registry packages are linked from the repository.
function run(app, block) {
  for (const line of block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean)) {
    const install = /^npm install (.*)$/.exec(line);
    if (install) {
      const args = install[1].split(/\s+/);
      const tarballs = args.filter((a) => a.endsWith('.tgz'));
      if (tarballs.length) execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], { cwd: app, stdio: 'pipe' });
      for (const name of args.filter((a) => !a.startsWith('-') && !a.endsWith('.tgz'))) linkPackage(app, name);
      continue;
    }
    try {
      execFileSync('bash', ['-euo', 'pipefail', '-c', line], { cwd: app, env: { ...process.env, npm_config_offline: 'true' }, stdio: 'pipe' });
    } catch (e) {
      assert.fail(`\`${line}\` failed in the app: ${e.message}\n${e.stdout}\n${e.stderr}`);
    }
  }
}

// makeApp makes the new user's project: `npm init -y`, the tarball `make pack` writes copied in and
// installed with the README's line, src/index.js, and index.html for Vite.
function makeApp(name, { type, ...opts } = {}) {
  const app = tempDir(`bundler-${name}`);
  apps.push(app);
  execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'pipe' });
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  assert.equal(manifest.type ?? 'commonjs', 'commonjs', 'npm init -y makes a CommonJS project');
  if (type) fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ ...manifest, type }, null, 2));
  execFileSync('npm', ['pack', DIST, '--pack-destination', app], { stdio: 'pipe' });
  run(app, INSTALL);
  fs.mkdirSync(path.join(app, 'src'));
  fs.writeFileSync(path.join(app, 'src/index.js'), appCode(opts));
  fs.writeFileSync(path.join(app, 'index.html'), page('<script type="module" src="/src/index.js"></script>'));
  return app;
}

// page is the app's HTML: Heap's snippet (Userpilot comes from the npm wrapper) and the bundle.
const page = (bundleTag) => `<!doctype html><html><head><meta charset="utf-8"><title>bundled app</title>
${heapSnippet('classic')}
${bundleTag}
</head><body></body></html>`;

// serve serves a folder of built files on 127.0.0.1 until the test file ends.
async function serve(dir) {
  const server = await startServer({ root: dir });
  after(() => server.close());
  return server;
}

// runApp opens the app and checks the bridge: ready, in the expected thread, the files from the
// build (not from anywhere else), and the flow in Heap.
async function runApp(url, { thread = 'worker', files } = {}) {
  const s = await h.visit(url);
  await waitForAll(s.page);
  assert.deepEqual(await s.page.evaluate(() => ({ thread: UserpilotHeapBridge.stats().thread, same: window.bundled.same })),
    { thread, same: true }, 'the module runs where expected; the import is window.UserpilotHeapBridge');
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  const wasm = wasmRequests(s);
  assert.equal(wasm.length, 1, wasm.join());
  const worker = s.loaded.filter((u) => /userpilot-heap-bridge[^/]*\.worker[^/]*\.js$|\/[0-9a-f]{20}\.js$/.test(new URL(u).pathname));
  if (files) files({ wasm: new URL(wasm[0]).pathname, worker: worker.map((u) => new URL(u).pathname) });
  await assertNoPageErrors(s);
  return s;
}

const shipped = (f) => fs.readFileSync(path.join(DIST, f));

test("Vite (the README's `npx vite build`): the entry point runs, the module in the Worker, a flow reaches Heap", async () => {
  const app = makeApp('vite');
  run(app, VITE);
  const out = path.join(app, 'dist');
  const server = await serve(out);
  await runApp(server.url('/index.html'), {
    files: ({ wasm }) => {
      assert.match(wasm, /^\/assets\/userpilot-heap-bridge-[\w-]+\.wasm$/, 'Vite emitted the module with a hashed name');
      assert.ok(fs.readFileSync(path.join(out, wasm)).equals(shipped('userpilot-heap-bridge.wasm')));
      const emitted = fs.readdirSync(path.join(out, 'assets')).filter((f) => f.includes('.worker'));
      assert.equal(emitted.length, 1, emitted.join());
      assert.ok(fs.readFileSync(path.join(out, 'assets', emitted[0])).equals(shipped('userpilot-heap-bridge.worker.js')), 'the worker script as shipped');
    },
  });
});

// freePort finds a port on 127.0.0.1 for Vite's dev server.
const freePort = () => new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

test('Vite dev server: the same app runs, the module in the Worker, a flow reaches Heap', async () => {
  const app = makeApp('vite-dev');
  linkPackage(app, 'vite');
  const server = await viteServer({ root: app, configFile: false, logLevel: 'silent', server: { host: '127.0.0.1', port: await freePort(), strictPort: true } });
  after(() => server.close());
  await server.listen();
  await runApp(server.resolvedUrls.local[0], {
    files: ({ wasm, worker }) => {
      assert.equal(wasm, '/node_modules/userpilot-heap-bridge/userpilot-heap-bridge.wasm', 'the dev server serves the module from the package');
      assert.deepEqual(worker, ['/node_modules/userpilot-heap-bridge/userpilot-heap-bridge.worker.js']);
    },
  });
});

// webpackBuild writes a webpack.config.cjs and runs the README's webpack lines (`npx webpack`);
// the page loads dist/main.js.
function webpackBuild(app, config = WEBPACK_CONFIG) {
  fs.writeFileSync(path.join(app, 'webpack.config.cjs'), config);
  run(app, WEBPACK);
  const out = path.join(app, 'dist');
  fs.writeFileSync(path.join(out, 'index.html'), page('<script src="main.js"></script>'));
  return out;
}

for (const type of [undefined, 'module']) {
  test(`webpack (the README's webpack.config.cjs and \`npx webpack\`, "type": "${type || 'commonjs'}"): the module in the Worker, a flow reaches Heap`, async () => {
    const app = makeApp(`webpack-${type || 'commonjs'}`, { type });
    const out = webpackBuild(app);
    const server = await serve(out);
    await runApp(server.url('/index.html'), {
      files: ({ wasm, worker }) => {
        assert.ok(fs.readFileSync(path.join(out, wasm)).equals(shipped('userpilot-heap-bridge.wasm')), 'webpack emitted the module as shipped');
        assert.equal(worker.length, 1, 'the Worker loaded the worker script webpack emitted');
      },
    });
  });
}

test('webpack without a config, in a project made by npm init -y: the build fails as docs/install.md says', () => {
  const app = makeApp('webpack-noconfig');
  assert.throws(() => run(app, WEBPACK), /'import' and 'export' may appear only with 'sourceType: module'/);
});

test("webpack with docs/install.md's config: the main-thread fallback (thread \"main\") loads the worker script as shipped", async () => {
  const app = makeApp('webpack-main', { settings: { thread: 'main' } });
  linkPackage(app, 'minimizer-webpack-plugin'); // npm hoists it with webpack
  const out = webpackBuild(app, WEBPACK_MAIN_CONFIG);
  const emitted = fs.readdirSync(out).filter((f) => f.startsWith('userpilot-heap-bridge.worker.'));
  assert.equal(emitted.length, 1, fs.readdirSync(out).join());
  assert.ok(fs.readFileSync(path.join(out, emitted[0])).equals(shipped('userpilot-heap-bridge.worker.js')), 'left as shipped');
  const main = fs.readFileSync(path.join(out, 'main.js'), 'utf8');
  assert.ok(main.length < fs.statSync(path.join(DIST, 'userpilot-heap-bridge.js')).size * 3, 'the app bundle is still minified');
  const server = await serve(out);
  await runApp(server.url('/index.html'), { thread: 'main' });
});

test("webpack with the README's config only: the main-thread fallback refuses the minified worker script, as docs/install.md says; the page runs on", async () => {
  const app = makeApp('webpack-main-default', { settings: { thread: 'main' } });
  const out = webpackBuild(app);
  const server = await serve(out);
  const s = await h.visit(server.url('/index.html'));
  assert.match(await bridgeReady(s.page), /could not load the worker script .*not the file this loader was built with/);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await assertNoPageErrors(s);
});

// esbuildApp runs the README's esbuild lines (with --format added when given); the page loads dist/index.js.
function esbuildApp(app, format) {
  run(app, format ? ESBUILD.replace('--bundle', `--bundle --format=${format}`) : ESBUILD);
  const out = path.join(app, 'dist');
  const tag = format === 'esm' ? '<script type="module" src="index.js"></script>' : '<script src="index.js"></script>';
  fs.writeFileSync(path.join(out, 'index.html'), page(tag));
  return out;
}

for (const format of [undefined, 'esm']) {
  test(`esbuild (the README's \`npx esbuild\` and copy step, ${format ? `--format=${format}` : 'the default IIFE'}): the module in the Worker, a flow reaches Heap`, async () => {
    const app = makeApp(`esbuild-${format || 'iife'}`);
    const out = esbuildApp(app, format);
    const server = await serve(out);
    await runApp(server.url('/index.html'), {
      files: ({ wasm, worker }) => {
        assert.equal(wasm, '/userpilot-heap-bridge.wasm', 'the module copied next to the bundle');
        assert.deepEqual(worker, ['/userpilot-heap-bridge.worker.js'], 'the worker script copied next to the bundle');
      },
    });
  });
}

test('esbuild without the copy step: ready() rejects saying to copy dist/ whole or set workerUrl; the page runs on', async () => {
  const app = makeApp('esbuild-nocopy');
  run(app, ESBUILD.split('\n').filter((l) => !l.startsWith('cp ')).join('\n'));
  fs.writeFileSync(path.join(app, 'dist/index.html'), page('<script src="index.js"></script>'));
  const server = await serve(path.join(app, 'dist'));
  const s = await h.visit(server.url('/index.html'));
  assert.match(await bridgeReady(s.page), /could not load the worker script http:\/\/127\.0\.0\.1:\d+\/userpilot-heap-bridge\.worker\.js .*\. Check that http:\/\/127\.0\.0\.1:\d+\/userpilot-heap-bridge\.worker\.js is served: copy dist\/ whole/);
  await waitForUserpilot(s.page);
  await assertNoPageErrors(s);
});
