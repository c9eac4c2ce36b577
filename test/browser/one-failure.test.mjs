// One failure, one message: a missing or wrong .wasm is fetched once per thread tried (a file that
// is wrong in the Worker is wrong on the main thread too, so it is fetched once), the console gets
// one line of the bridge's that names the cause and the fix, no "running on the main thread" line
// comes before a failure, and a plain 404 draws no integrity error from the browser.
import assert from 'node:assert/strict';
import { test, useBrowser, bridgeReady, waitForUserpilot, waitForHeap, assertNoPageErrors, wasmRequests } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify, USERPILOT_LOCAL } from './pages.mjs';

const h = useBrowser();

const hostPage = (settings) => document(
  bridgeTag({ settings, async: false }), userpilotSnippet({ src: USERPILOT_LOCAL }),
  heapSnippet('classic', { cdn: '/heap-cdn' }), identify('alice'));

const bridgeLines = (s) => s.console.filter((m) => m.text.startsWith('userpilot-heap-bridge: '));

const CASES = [
  { name: 'a missing .wasm (404)', wasmUrl: '/broken/404.wasm', says: /: HTTP 404 .*Nothing is served at .*404\.wasm: copy dist\/ whole/ },
  { name: 'a web page instead of the .wasm', wasmUrl: '/broken/spa.wasm', says: /text\/html.*serve the \.wasm there, or set userpilotHeapBridgeSettings\.wasmUrl/ },
  { name: 'a .wasm of another build', wasmUrl: '/broken/corrupt.wasm', says: /does not match the sha384 integrity hash .*serve the module from the same build as the loader/ },
];

for (const c of CASES) {
  for (const thread of ['auto', 'worker', 'main']) {
    test(`${c.name}, thread "${thread}": fetched once, one console line naming cause and fix, no fallback line, no integrity error`, async () => {
      const s = await h.open(hostPage({ wasmUrl: c.wasmUrl, thread }));
      const ready = await bridgeReady(s.page);
      assert.match(ready, c.says);
      await waitForUserpilot(s.page);
      await waitForHeap(s.page);
      assert.deepEqual(wasmRequests(s).map((u) => new URL(u).pathname), [c.wasmUrl], 'the .wasm is fetched once');
      const lines = bridgeLines(s);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0].type, 'error');
      assert.equal(lines[0].text, ready.replace(/^Error: /, ''), 'the console line is the rejection');
      assert.deepEqual(s.console.filter((m) => /integrity/i.test(m.text) && !m.text.startsWith('userpilot-heap-bridge: ')), [],
        'no integrity error from the browser');
      await assertNoPageErrors(s);
    });
  }
}

test('a fallback that works says "running on the main thread" once, after the worker failed', async () => {
  // A CSP that refuses workers: the module runs on the main thread, and the console says why once.
  const s = await h.open(hostPage(), { headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'none'" } });
  assert.equal(await bridgeReady(s.page), 'ready');
  const lines = bridgeLines(s);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.match(lines[0].text, /^userpilot-heap-bridge: running on the main thread: /);
  assert.equal(wasmRequests(s).length, 1);
});
