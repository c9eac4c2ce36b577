// Bundlers, as the README's "With a bundler" section says: a tiny app whose entry point is the
// README's snippet, with the package installed from its tarball, built by Vite (build and dev
// server), webpack (no config) and esbuild (the README's two commands), served from 127.0.0.1 and
// run in Chromium: ready() resolves, the module runs in the Worker, the module and the worker
// script come from the build, and a flow reaches Heap. webpack's main-thread fallback is checked
// with the README's config, and without it (where the README says it fails).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { build as viteBuild, createServer as viteServer } from 'vite';
import webpack from 'webpack';
import { test, useBrowser, waitForAll, waitForUserpilot, waitForHeap, finalCalls, bridgeReady, wasmRequests, assertNoPageErrors } from './harness.mjs';
import { heapSnippet } from './pages.mjs';
import { ROOT, DIST, startServer } from './server.mjs';
import { installPackage, tempDir } from '../package/install.mjs';
import { codeBlock } from '../readme.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const apps = [];
after(() => { for (const dir of apps) fs.rmSync(dir, { recursive: true, force: true }); });

const ENTRY = codeBlock('// your entry point: the bridge first, then Userpilot\n');
const ESBUILD = codeBlock('esbuild src/index.js');
const WEBPACK_CONFIG = codeBlock('// webpack.config.js');

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

// makeApp writes the app (src/index.js, and index.html for Vite) with the package installed.
function makeApp(name, opts) {
  const app = tempDir(`bundler-${name}`);
  apps.push(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: `bundled-app-${name}`, private: true, type: 'module' }));
  installPackage(app, { link: ['userpilot'] });
  fs.mkdirSync(path.join(app, 'src'));
  fs.writeFileSync(path.join(app, 'src/index.js'), appCode(opts));
  fs.writeFileSync(path.join(app, 'index.html'), page('<script type="module" src="/src/index.js"></script>'));
  return app;
}

// page is the app's HTML: Heap's snippet (Userpilot comes from the npm wrapper) and the bundle.
// Heap's real CDN host, which Chromium's routing answers, since Vite's dev server has no /cdn/.
const page = (bundleTag) => `<!doctype html><html><head><meta charset="utf-8"><title>bundled app</title>
${heapSnippet('classic', { cdn: 'https://cdn.heapanalytics.com' })}
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

test('Vite (vite build, no config): the README entry point runs, the module in the Worker, a flow reaches Heap', async () => {
  const app = makeApp('vite');
  await viteBuild({ root: app, configFile: false, logLevel: 'silent' });
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

// webpackBuild runs webpack as its CLI does in the app folder with no config: production mode,
// src/index.js to dist/main.js; extra is a config (the README's) merged in.
async function webpackBuild(app, extra = {}) {
  const config = { mode: 'production', context: app, ...extra, output: { path: path.join(app, 'dist'), ...extra.output } };
  const stats = await new Promise((resolve, reject) => webpack(config, (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
  const out = path.join(app, 'dist');
  fs.writeFileSync(path.join(out, 'index.html'), page('<script src="main.js"></script>'));
  return out;
}

test('webpack (production, no config): the README entry point runs, the module in the Worker, a flow reaches Heap', async () => {
  const app = makeApp('webpack');
  const out = await webpackBuild(app);
  const server = await serve(out);
  await runApp(server.url('/index.html'), {
    files: ({ wasm, worker }) => {
      assert.ok(fs.readFileSync(path.join(out, wasm)).equals(shipped('userpilot-heap-bridge.wasm')), 'webpack emitted the module as shipped');
      assert.equal(worker.length, 1, 'the Worker loaded the worker script webpack emitted');
    },
  });
});

// The README's webpack.config.js, loaded as a webpack user would (CommonJS, from the app folder).
function readmeWebpackConfig(app) {
  fs.symlinkSync(path.join(ROOT, 'node_modules/minimizer-webpack-plugin'), path.join(app, 'node_modules/minimizer-webpack-plugin'), 'dir');
  const file = path.join(app, 'webpack.config.cjs');
  fs.writeFileSync(file, WEBPACK_CONFIG);
  return createRequire(file)(file);
}

test("webpack with the README's config: the main-thread fallback (thread \"main\") loads the worker script as shipped", async () => {
  const app = makeApp('webpack-main', { settings: { thread: 'main' } });
  const out = await webpackBuild(app, readmeWebpackConfig(app));
  const emitted = fs.readdirSync(out).filter((f) => f.startsWith('userpilot-heap-bridge.worker.'));
  assert.equal(emitted.length, 1, fs.readdirSync(out).join());
  assert.ok(fs.readFileSync(path.join(out, emitted[0])).equals(shipped('userpilot-heap-bridge.worker.js')), 'left as shipped');
  const main = fs.readFileSync(path.join(out, 'main.js'), 'utf8');
  assert.ok(main.length < fs.statSync(path.join(DIST, 'userpilot-heap-bridge.js')).size * 3, 'the app bundle is still minified');
  const server = await serve(out);
  await runApp(server.url('/index.html'), { thread: 'main' });
});

test("webpack without that config: the main-thread fallback refuses the minified worker script, as the README says; the page runs on", async () => {
  const app = makeApp('webpack-main-default', { settings: { thread: 'main' } });
  const out = await webpackBuild(app);
  const server = await serve(out);
  const s = await h.visit(server.url('/index.html'));
  assert.match(await bridgeReady(s.page), /could not load the worker script .*not the file this loader was built with/);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await assertNoPageErrors(s);
});

// The README's esbuild commands, run in the app folder with the repository's esbuild on the PATH.
function esbuild(app, format) {
  const commands = format ? ESBUILD.replace('--bundle', `--bundle --format=${format}`) : ESBUILD;
  execFileSync('bash', ['-euo', 'pipefail', '-c', commands], {
    cwd: app, env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` }, stdio: 'pipe',
  });
  const out = path.join(app, 'dist');
  const tag = format === 'esm' ? '<script type="module" src="index.js"></script>' : '<script src="index.js"></script>';
  fs.writeFileSync(path.join(out, 'index.html'), page(tag));
  return out;
}

for (const format of [undefined, 'esm']) {
  test(`esbuild (${format ? `--format=${format}` : 'the default IIFE'}) with the README's copy step: the module in the Worker, a flow reaches Heap`, async () => {
    const app = makeApp(`esbuild-${format || 'iife'}`);
    const out = esbuild(app, format);
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
  execFileSync(path.join(ROOT, 'node_modules/.bin/esbuild'), ['src/index.js', '--bundle', '--outdir=dist', '--log-level=error'], { cwd: app });
  fs.writeFileSync(path.join(app, 'dist/index.html'), page('<script src="index.js"></script>'));
  const server = await serve(path.join(app, 'dist'));
  const s = await h.visit(server.url('/index.html'));
  assert.match(await bridgeReady(s.page), /could not load the worker script http:\/\/127\.0\.0\.1:\d+\/userpilot-heap-bridge\.worker\.js .*\. Check that http:\/\/127\.0\.0\.1:\d+\/userpilot-heap-bridge\.worker\.js is served: copy dist\/ whole/);
  await waitForUserpilot(s.page);
  await assertNoPageErrors(s);
});
