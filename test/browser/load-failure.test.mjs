// CONTRACT §2: if the module cannot load, ready() rejects readably and the host page keeps working.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForHeap, waitForBridge, settle, heapCalls, hostCalls, finalCalls, TIMEOUT, assertNoPageErrors } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify, USERPILOT_LOCAL } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

// readyOutcome returns how ready() settled: {ok} or {isError, message}.
function readyOutcome(page) {
  return page.waitForFunction(() => window.UserpilotHeapBridge, null, { timeout: TIMEOUT }).then(() => page.evaluate(() =>
    window.UserpilotHeapBridge.ready().then(
      () => ({ ok: true }),
      (e) => ({ ok: false, isError: e instanceof Error, message: String(e && e.message) }),
    )));
}

// The host page: the tag first as the README says (so it hooks Userpilot before the SDK can load),
// Userpilot and Heap from this server (works under CSP 'self'), then an inline script.
const hostPage = (settings) => document(
  bridgeTag({ settings, async: false }), userpilotSnippet({ src: USERPILOT_LOCAL }),
  heapSnippet('classic', { cdn: '/heap-cdn' }), script('window.afterTag = true;'), identify('alice'),
);

async function assertHostUnharmed(s) {
  assert.equal(await s.page.evaluate(() => window.afterTag), true, 'inline script after the tag ran');
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await hostCalls(s.page), [7], 'host completed handler still fires');
  assert.deepEqual(await heapCalls(s.page), [], 'nothing reaches Heap from a bridge that did not load');
  await assertNoPageErrors(s);
}

const FAILURES = [
  { name: 'a 404 wasm', settings: { wasmUrl: '/broken/404.wasm' }, reason: /404\.wasm: HTTP 404/ },
  { name: 'a corrupt wasm', settings: { wasmUrl: '/broken/corrupt.wasm' }, reason: /corrupt\.wasm/ },
  // In a Worker the module runs under the worker script's own policy; on the main thread, the page's.
  { name: "a CSP without 'wasm-unsafe-eval' (thread main)", settings: { thread: 'main' }, headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'" }, reason: /wasm-unsafe-eval/ },
];

for (const f of FAILURES) {
  test(`ready() rejects readably for ${f.name}`, async () => {
    const s = await h.open(hostPage(f.settings), { headers: f.headers });
    const r = await readyOutcome(s.page);
    assert.equal(r.ok, false, 'ready() must reject');
    assert.equal(r.isError, true, 'rejects with an Error');
    assert.match(r.message, f.reason);
    await assertHostUnharmed(s);
  });
}

test('a wasm served as application/octet-stream still loads', async () => {
  const s = await h.open(hostPage({ wasmUrl: '/broken/wrong-mime.wasm' }));
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await assertNoPageErrors(s);
});
