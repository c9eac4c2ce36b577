// Where the Go module runs (docs/contract.md §5, setting thread): in a Web Worker by default, falling back
// once to the page's main thread when the page allows no worker, and everything the contract
// promises holds on both threads, across the switch, and when the page is left right after events.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { test, useBrowser, openWith, waitForBridge, waitForUserpilot, waitForHeap, bridgeReady, finalCalls, settle,
  heapCalls, bridgeStats, assertNoPageErrors, waitForIdle, TIMEOUT } from './harness.mjs';
import { startServer } from './server.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify, USERPILOT_LOCAL } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
let cdn, cdnNoWasmCors;
before(async () => {
  cdn = await startServer({ cors: 'all' }); // a CDN on another origin that sends CORS headers
  cdnNoWasmCors = await startServer({ cors: 'scripts' }); // one that forgot them on the .wasm
});
after(async () => {
  await cdn?.close();
  await cdnNoWasmCors?.close();
});

// hostPage loads everything from this server, so a strict CSP can allow it all by origin.
const hostPage = (settings, src) => document(
  bridgeTag({ settings, async: false, src }), userpilotSnippet({ src: USERPILOT_LOCAL }),
  heapSnippet('classic', { cdn: '/heap-cdn' }), identify('alice'));
const csp = (policy) => ({ headers: { 'content-security-policy': policy } });
const SCRIPTS = "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'";
const infoLines = (s) => s.console.filter((m) => m.type === 'info' && m.text.startsWith('userpilot-heap-bridge: ')).map((m) => m.text);

// flowOnce runs flow 7 and checks Heap got it exactly once with the identity first, and where the module ran.
async function flowOnce(s, thread) {
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await waitForIdle(s.page);
  const st = await bridgeStats(s.page);
  assert.equal(st.thread, thread, JSON.stringify(st));
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, dropped: st.dropped }, { received: 3, forwarded: 3, dropped: 0 });
  await assertNoPageErrors(s);
  return st;
}

test('by default the module runs in a Web Worker', async () => {
  const s = await openWith(h, hostPage());
  await flowOnce(s, 'worker');
  assert.deepEqual(infoLines(s), [], 'no fallback line');
});

test('thread "main" runs the module on the main thread', async () => {
  const s = await openWith(h, hostPage({ thread: 'main' }));
  await flowOnce(s, 'main');
});

test("a CSP without 'wasm-unsafe-eval' still runs the module in a Worker, which has its own policy", async () => {
  const s = await openWith(h, hostPage(), csp("script-src 'self' 'unsafe-inline'"));
  await flowOnce(s, 'worker');
});

test("CSP worker-src 'none': falls back to the main thread with one line naming the cause; events queued before are sent once", async () => {
  // load first-event: the module starts with the first event, so the flow is queued across the switch.
  const s = await openWith(h, hostPage({ load: 'first-event' }), csp(`${SCRIPTS}; worker-src 'none'`));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  const queued = await s.page.evaluate(() => {
    userpilotStandIn.startFlow(7, 'tok7', 3);
    userpilotStandIn.complete();
    return UserpilotHeapBridge.stats();
  });
  assert.equal(queued.thread, undefined, 'the events came before any module ran');
  assert.equal(queued.pending, 3);
  await waitForBridge(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await waitForIdle(s.page);
  const st = await bridgeStats(s.page);
  assert.deepEqual({ thread: st.thread, received: st.received, forwarded: st.forwarded, dropped: st.dropped },
    { thread: 'main', received: 3, forwarded: 3, dropped: 0 });
  const lines = infoLines(s);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  // Chromium and Firefox report the refused worker as failing to start, WebKit as new Worker() throwing
  // a SecurityError: either way the line points at worker-src.
  assert.match(lines[0], /^userpilot-heap-bridge: running on the main thread: (the worker failed to start|new Worker\(\) threw).*worker-src/);
  await assertNoPageErrors(s);
});

test('new Worker() throwing (a browser or extension that forbids workers): falls back and forwards once', async () => {
  const s = await openWith(h, document(script('window.Worker = function () { throw new DOMException("workers are disabled", "SecurityError"); };'),
    bridgeTag({ async: false }), userpilotSnippet({ src: USERPILOT_LOCAL }), heapSnippet('classic', { cdn: '/heap-cdn' }), identify('alice')));
  await flowOnce(s, 'main');
  assert.match(infoLines(s)[0], /running on the main thread: new Worker\(\) threw \(workers are disabled\)/);
});

test("a blob worker under a CSP without 'wasm-unsafe-eval' reports the module failed; the main thread names the directive", async () => {
  const s = await openWith(h, hostPage(undefined, cdn.url('/dist/userpilot-heap-bridge.js')),
    csp(`script-src 'self' 'unsafe-inline' blob: ${cdn.origin}`));
  const r = await bridgeReady(s.page);
  assert.match(r, /wasm-unsafe-eval/);
  assert.match(r, /in a worker: the module did not load in the worker/);
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  await assertNoPageErrors(s);
});

test('thread "worker" with workers refused: no fallback, ready() rejects naming the worker, events are counted', async () => {
  const s = await openWith(h, hostPage({ thread: 'worker' }), csp(`${SCRIPTS}; worker-src 'none'`));
  assert.match(await bridgeReady(s.page), /^Error: userpilot-heap-bridge: could not run the module in a Web Worker: (the worker failed to start|new Worker\(\) threw).*worker-src/);
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  const st = await bridgeStats(s.page);
  assert.deepEqual({ received: st.received, dropped: st.dropped, reasons: st.dropReasons }, { received: 3, dropped: 3, reasons: { module_unavailable: 3 } });
  assert.match(st.failure, /could not run the module in a Web Worker/);
  await assertNoPageErrors(s);
});

test('a loader on another origin with CORS runs the module in a Worker (a blob worker imports the script)', async () => {
  const s = await openWith(h, hostPage(undefined, cdn.url('/dist/userpilot-heap-bridge.js')));
  await flowOnce(s, 'worker');
  assert.ok(s.loaded.includes(cdn.url('/dist/userpilot-heap-bridge.worker.js')), 'the worker script came from the CDN');
  assert.ok(s.loaded.includes(cdn.url('/dist/userpilot-heap-bridge.wasm')), 'the module came from the CDN');
});

test("a loader on another origin under a CSP without blob: falls back to the main thread and forwards once", async () => {
  const s = await openWith(h, hostPage(undefined, cdn.url('/dist/userpilot-heap-bridge.js')), csp(`${SCRIPTS} ${cdn.origin}`));
  await flowOnce(s, 'main');
  assert.equal(infoLines(s).length, 1, JSON.stringify(infoLines(s)));
});

test('a .wasm on another origin without CORS: the worker fails, the main thread fails, ready() names CORS, the page runs on', async () => {
  const s = await openWith(h, hostPage(undefined, cdnNoWasmCors.url('/dist/userpilot-heap-bridge.js')));
  const r = await bridgeReady(s.page);
  assert.match(r, /could not load the module from http:\/\/127\.0\.0\.1:\d+\/dist\/userpilot-heap-bridge\.wasm: .*CORS/);
  assert.match(r, /in a worker: the module did not load in the worker/);
  assert.deepEqual(infoLines(s), [], 'no "running on the main thread" line before a failure');
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  assert.deepEqual((await bridgeStats(s.page)).dropReasons, { module_unavailable: 3 });
  await assertNoPageErrors(s);
});

test('a missing module: the worker reports it, and since the main thread would fetch the same 404, ready() rejects at once', async () => {
  const s = await openWith(h, hostPage({ wasmUrl: '/broken/404.wasm' }));
  const r = await bridgeReady(s.page);
  assert.match(r, /404\.wasm: HTTP 404/);
  assert.doesNotMatch(r, /in a worker/);
  assert.deepEqual(infoLines(s), [], 'no "running on the main thread" line');
});

test('a worker that does not start in time is given up for the main thread; nothing is lost', async () => {
  let held = 0;
  const s = await openWith(h, hostPage(), {
    // the worker's request never gets an answer; the page script's does
    intercept: (p) => (p.endsWith('/userpilot-heap-bridge.worker.js') && held++ === 0 ? 'hang' : undefined),
  });
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page); // queued while the worker hangs
  await flowReady(s);
  assert.match(infoLines(s)[0], /running on the main thread: the worker did not start within 5000 ms/);
});

async function flowReady(s) {
  await waitForBridge(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await waitForIdle(s.page);
  const st = await bridgeStats(s.page);
  assert.deepEqual({ thread: st.thread, received: st.received, forwarded: st.forwarded }, { thread: 'main', received: 3, forwarded: 3 });
  await assertNoPageErrors(s);
}

// Leaving the page: a page hide in the same task as an event, while the Worker still holds it. The
// page survives the hide (as it does when it goes into the back/forward cache), so each event must
// end forwarded or counted. The test counts how many were still unanswered at the hide.
for (const thread of ['worker', 'main']) {
  test(`a page hidden right after each event (${thread}): every event is forwarded or counted`, async (t) => {
    // persist off: a hide the page survives is not a leave, and storage is leaving.test.mjs's subject;
    // with it on, another open page of the origin may rightly claim what this page stored.
    const s = await openWith(h, hostPage({ thread, persist: false }));
    await waitForBridge(s.page);
    await waitForUserpilot(s.page);
    await waitForHeap(s.page);
    const rounds = 20;
    let unanswered = 0;
    for (let i = 0; i < rounds; i++) {
      unanswered += await s.page.evaluate((id) => {
        const before = UserpilotHeapBridge.stats().pending;
        userpilotStandIn.emit('completed', { id, token: 't' });
        window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
        return UserpilotHeapBridge.stats().pending - before; // 1 while the module has not answered
      }, 100 + i);
    }
    t.diagnostic(`${thread}: ${unanswered} of ${rounds} events were unanswered by the module when the page was hidden`);
    await waitForIdle(s.page);
    const st = await bridgeStats(s.page);
    assert.equal(st.received, rounds);
    assert.equal(st.forwarded + st.dropped + st.duplicates, rounds, JSON.stringify(st));
    assert.equal(st.forwarded, rounds, 'with Heap loaded every one is forwarded');
    assert.equal((await heapCalls(s.page)).filter((c) => c.method === 'track').length, rounds);
    if (thread === 'main') assert.equal(unanswered, 0, 'the main thread answers within the task');
    await assertNoPageErrors(s);
  });
}

// A real navigation right after an event: the page is gone, so what reached Heap is written to
// sessionStorage by a wrapper around heap.track and read on the next page.
for (const thread of ['worker', 'main']) {
  test(`a page left by navigation right after an event (${thread}): how many reach heap.track first`, async (t) => {
    const next = h.server.page(document(script('window.arrived = true;')));
    const page = document(bridgeTag({ settings: { thread }, async: false }), userpilotSnippet({ src: USERPILOT_LOCAL }),
      heapSnippet('classic', { cdn: '/heap-cdn' }), identify('alice'));
    const s = await openWith(h, page);
    const rounds = 10;
    let reached = 0;
    for (let i = 0; i < rounds; i++) {
      if (i > 0) await s.page.goto(h.server.page(page), { waitUntil: 'domcontentloaded' });
      await waitForBridge(s.page);
      await waitForUserpilot(s.page);
      await waitForHeap(s.page);
      await s.page.evaluate(([id, next]) => {
        const track = heap.track;
        heap.track = function (name, props) {
          sessionStorage.setItem('tracked', String(props && props.experience_id));
          return track.apply(this, arguments);
        };
        sessionStorage.removeItem('tracked');
        userpilotStandIn.emit('completed', { id, token: 't' });
        location.href = next;
      }, [200 + i, next]);
      await s.page.waitForFunction(() => window.arrived === true, null, { timeout: TIMEOUT });
      if (await s.page.evaluate((id) => sessionStorage.getItem('tracked') === String(id), 200 + i)) reached++;
    }
    t.diagnostic(`${thread}: ${reached} of ${rounds} events reached heap.track before the page was left`);
    if (thread === 'main') assert.equal(reached, rounds);
    await assertNoPageErrors(s);
  });
}
