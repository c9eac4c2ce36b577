// Packaging: dist/manifest.json describes every shipped file truthfully, the content-hashed loader
// works under Subresource Integrity and fetches the hashed module, the loader refuses a module
// whose bytes changed, and dist/index.mjs works as an ES module entry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, useBrowser, openWith, waitForAll, waitForUserpilot, waitForHeap, bridgeReady, finalCalls, settle, heapCalls, hostCalls, bridgeStats, wasmRequests, assertNoPageErrors } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify, script } from './pages.mjs';
import { DIST } from './server.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const dist = (f) => readFileSync(path.join(DIST, f));
const manifest = JSON.parse(dist('manifest.json'));
const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');

test('manifest.json lists every shipped file with its true size and sha384', () => {
  assert.deepEqual(Object.keys(manifest.files).sort(), [
    'index.cjs', 'index.d.cts', 'index.d.ts', 'index.mjs', 'server.cjs', 'server.mjs', manifest.loader, manifest.module, manifest.worker,
    'userpilot-heap-bridge.js', 'userpilot-heap-bridge.wasm', 'userpilot-heap-bridge.worker.js', 'wasm-url.mjs'].sort());
  for (const [f, entry] of Object.entries(manifest.files)) {
    const bytes = dist(f);
    assert.deepEqual(entry, { bytes: bytes.length, integrity: sri(bytes) }, f);
  }
  const pkg = JSON.parse(dist('package.json'));
  assert.equal(manifest.version, pkg.version);
  for (const f of pkg.files) dist(f); // every file the npm package ships exists
});

test('manifest.loader, manifest.module and manifest.worker name content-hashed copies', () => {
  assert.match(manifest.loader, /^userpilot-heap-bridge\.[0-9a-f]{12}\.js$/);
  assert.match(manifest.module, /^userpilot-heap-bridge\.[0-9a-f]{12}\.wasm$/);
  assert.match(manifest.worker, /^userpilot-heap-bridge\.[0-9a-f]{12}\.worker\.js$/);
  assert.ok(dist(manifest.module).equals(dist('userpilot-heap-bridge.wasm')), 'the hashed module is the module');
  assert.ok(dist(manifest.worker).equals(dist('userpilot-heap-bridge.worker.js')), 'the hashed worker script is the worker script');
  // Both loaders pin the module's and the worker script's hashes; the hashed one names the hashed files.
  const pins = (file, module, worker) => {
    const text = dist(file).toString();
    for (const s of [module, manifest.files[manifest.module].integrity, worker, manifest.files[manifest.worker].integrity]) {
      assert.ok(text.includes(`"${s}"`), `${file} names ${s}`);
    }
  };
  pins(manifest.loader, manifest.module, manifest.worker);
  pins('userpilot-heap-bridge.js', 'userpilot-heap-bridge.wasm', 'userpilot-heap-bridge.worker.js');
});

// sriTag is the tag a CDN install uses: the hashed loader with its integrity.
const sriTag = (integrity = manifest.files[manifest.loader].integrity) =>
  `<script src="/dist/${manifest.loader}" integrity="${integrity}" crossorigin="anonymous"></script>`;

test('the hashed loader with its SRI integrity loads, fetches the hashed module and forwards events', async () => {
  const s = await h.open(document(sriTag(), userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(wasmRequests(s), [h.url(`/dist/${manifest.module}`)]);
  await assertNoPageErrors(s);
});

test('the hashed loader with a wrong integrity is blocked; the page and its other scripts still run', async () => {
  const wrong = 'sha384-' + Buffer.alloc(48).toString('base64');
  const s = await h.open(document(sriTag(wrong), userpilotSnippet(), heapSnippet('classic'), identify('alice'),
    script('window.laterScriptRan = true;')));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.equal(await s.page.evaluate(() => typeof window.UserpilotHeapBridge), 'undefined');
  assert.equal(await s.page.evaluate(() => window.laterScriptRan), true);
  assert.deepEqual(await hostCalls(s.page), [7], "the host's own handler still fires");
  assert.deepEqual(await heapCalls(s.page), []);
  assert.deepEqual(wasmRequests(s), []);
  assert.ok(s.console.some((m) => m.type === 'error' && /integrity/i.test(m.text) && m.text.includes(manifest.loader)),
    'the browser names the blocked loader');
  await assertNoPageErrors(s);
});

// tampered opens a page whose /dist/userpilot-heap-bridge.wasm has one flipped bit.
const tampered = () => openWith(h, document(bridgeTag({ async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice')), {
  setup: (context) => context.route((u) => u.pathname === '/dist/userpilot-heap-bridge.wasm', (route) => {
    const body = Buffer.from(dist('userpilot-heap-bridge.wasm'));
    body[body.length - 1] ^= 0xff;
    return route.fulfill({ status: 200, contentType: 'application/wasm', body });
  }),
});

test('a module served with altered bytes is refused: ready() rejects, nothing reaches Heap, the page runs on', async () => {
  const s = await tampered();
  assert.match(await bridgeReady(s.page), /^Error: userpilot-heap-bridge: could not load the module from .*\/dist\/userpilot-heap-bridge\.wasm: /);
  assert.ok(s.console.some((m) => m.type === 'error' && /integrity/.test(m.text)), 'the browser reports the integrity failure');
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  assert.deepEqual(await hostCalls(s.page), [7]);
  assert.deepEqual((await bridgeStats(s.page)).dropReasons, { module_unavailable: 3 });
  await assertNoPageErrors(s);
});

test('a module served with altered bytes: the ready() rejection mentions integrity', async () => {
  const s = await tampered();
  assert.match(await bridgeReady(s.page), /integrity/i);
});

test('dist/index.mjs is an ES module entry: default and named exports, the module loaded next to it', async () => {
  const s = await h.open(document(
    `<script type="module">
      import bridge, { whenForwarded, version } from '/dist/index.mjs';
      window.esm = { same: bridge === window.UserpilotHeapBridge, version };
      window.esmForwarded = whenForwarded('Userpilot Experience (completed)', 20000).then(() => 'forwarded', (e) => e.message);
    </script>`,
    userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.equal(await s.page.evaluate(() => window.esmForwarded), 'forwarded');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(await s.page.evaluate(() => window.esm), { same: true, version: manifest.version });
  assert.deepEqual(wasmRequests(s), [h.url('/dist/userpilot-heap-bridge.wasm')]);
  await assertNoPageErrors(s);
});
