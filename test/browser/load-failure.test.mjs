// docs/contract.md §2: if the module cannot load, ready() rejects readably and the host page keeps working.
import assert from 'node:assert/strict';
import { test, useBrowser, ENGINE, waitForUserpilot, waitForHeap, waitForBridge, settle, heapCalls, hostCalls, finalCalls, TIMEOUT, assertNoPageErrors } from './harness.mjs';
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

// What a 404 and an HTML answer say to do.
const COPY_OR_WASM_URL = /\. Nothing is served at http:\/\/127\.0\.0\.1:\d+\/broken\/404\.wasm: copy dist\/ whole \(the \.js, \.worker\.js and \.wasm side by side\), or set userpilotHeapBridgeSettings\.wasmUrl to where the \.wasm is$/;
const NOT_A_PAGE = /: the server answered with text\/html, not the WebAssembly module.*\. http:\/\/127\.0\.0\.1:\d+\/broken\/spa\.wasm answers with a web page, as a single-page app's fallback does: serve the \.wasm there, or set userpilotHeapBridgeSettings\.wasmUrl to where it is$/;

// How each engine words a module the page's CSP refuses: the bridge keeps those words whole and
// names the directive to allow after them.
const CSP_WORDS = {
  chromium: /'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: "script-src 'self' 'unsafe-inline'"\.? /,
  webkit: /Refused to create a WebAssembly object because 'unsafe-eval' or 'wasm-unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: "script-src 'self' 'unsafe-inline'"\. /,
  firefox: /call to WebAssembly\.(instantiate|compile)(Streaming)?\(\) blocked by CSP /,
}[ENGINE];

const FAILURES = [
  { name: 'a 404 wasm', settings: { wasmUrl: '/broken/404.wasm' }, reason: /404\.wasm: HTTP 404/ },
  { name: 'a 404 wasm (what to do)', settings: { wasmUrl: '/broken/404.wasm' }, reason: COPY_OR_WASM_URL },
  { name: 'a 404 wasm in thread "worker" (what to do)', settings: { wasmUrl: '/broken/404.wasm', thread: 'worker' }, reason: COPY_OR_WASM_URL },
  { name: "an HTML page instead of the wasm (a single-page app's fallback)", settings: { wasmUrl: '/broken/spa.wasm' }, reason: NOT_A_PAGE },
  { name: 'an HTML page instead of the wasm in thread "worker"', settings: { wasmUrl: '/broken/spa.wasm', thread: 'worker' }, reason: NOT_A_PAGE },
  { name: 'a missing worker script', settings: { workerUrl: '/broken/missing.worker.js' },
    reason: /could not load the worker script http:\/\/127\.0\.0\.1:\d+\/broken\/missing\.worker\.js .*\. Check that http:\/\/127\.0\.0\.1:\d+\/broken\/missing\.worker\.js is served: copy dist\/ whole .*, or set userpilotHeapBridgeSettings\.workerUrl to where the \.worker\.js is$/ },
  { name: 'a corrupt wasm', settings: { wasmUrl: '/broken/corrupt.wasm' }, reason: /corrupt\.wasm/ },
  // In a Worker the module runs under the worker script's own policy; on the main thread, the page's.
  { name: "a CSP without 'wasm-unsafe-eval' (thread main)", settings: { thread: 'main' }, headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'" }, reason: /wasm-unsafe-eval/ },
  // The browser's own words come whole, up to the directive it names, never cut inside a word.
  { name: "a CSP without 'wasm-unsafe-eval' (thread main; the browser's message whole)", settings: { thread: 'main' }, headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'" },
    reason: new RegExp(CSP_WORDS.source + /\(the page's Content-Security-Policy must allow script-src 'wasm-unsafe-eval'\); Userpilot events/.source) },
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
