// A hostile page: a window.heap whose reads throw, counters that stay true when the
// module stops, names that live on Object.prototype, and host handlers that run exactly once
// however Userpilot's SDK takes over its stub.
import assert from 'node:assert/strict';
import { test, useBrowser, openWith, waitForAll, waitForBridge, waitForUserpilot, waitForHeap, finalCalls, settle,
  heapCalls, hostCalls, bridgeStats, bridgeConsole, assertNoPageErrors, waitForIdle, TIMEOUT } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const page = (...parts) => document(bridgeTag({ async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice'), ...parts);

async function settledStats(s) {
  await waitForIdle(s.page);
  const st = await bridgeStats(s.page);
  assert.equal(st.received, st.forwarded + st.dropped + st.duplicates, JSON.stringify(st));
  return st;
}

// ---- 1. reading window.heap throws ----

test('a heap.track getter that throws once: the bridge carries on and every event reaches Heap', async () => {
  const s = await openWith(h, page());
  await waitForAll(s.page);
  await s.page.evaluate(() => {
    const real = heap.track;
    let thrown = false;
    Object.defineProperty(heap, 'track', {
      configurable: true,
      get() { if (!thrown) { thrown = true; throw new Error('getter broke once'); } return real; },
    });
  });
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  const st = await settledStats(s);
  assert.equal(st.forwarded, 3);
  assert.equal(st.failure, undefined);
  await assertNoPageErrors(s);
});

test('window.heap replaced by a Proxy whose get throws: each call is dropped and counted, later events reach a good Heap', async () => {
  const s = await openWith(h, page());
  await waitForAll(s.page);
  await s.page.evaluate(() => {
    window.goodHeap = window.heap;
    window.heap = new Proxy({}, { get() { throw new Error('no reading me'); }, has() { throw new Error('no asking me'); } });
  });
  await heap.runFlow7(s.page);
  await waitForIdle(s.page);
  let st = await bridgeStats(s.page);
  assert.deepEqual({ forwarded: st.forwarded, dropped: st.dropped, reasons: st.dropReasons }, { forwarded: 0, dropped: 3, reasons: { heap_error: 3 } });
  assert.ok(bridgeConsole(s).some((m) => /heap_error.*no reading me/.test(m)), JSON.stringify(bridgeConsole(s)));
  await s.page.evaluate(() => { window.heap = window.goodHeap; userpilotStandIn.startFlow(8, 't8', 1); });
  await s.page.waitForFunction(() => heapStandIn.calls.some((c) => c.args[1] && c.args[1].experience_id === 8), null, { timeout: TIMEOUT });
  st = await settledStats(s);
  assert.equal(st.forwarded, 2, JSON.stringify(st)); // started and step of flow 8 (identify was skipped with a warning)
  assert.equal(st.failure, undefined);
  assert.equal(await s.page.evaluate(() => UserpilotHeapBridge.ready().then(() => 'ready')), 'ready');
  await assertNoPageErrors(s);
});

test("reading Userpilot's heap interface with a throwing window.heap returns undefined to Userpilot, never throws", async () => {
  const s = await openWith(h, page());
  await waitForAll(s.page);
  const got = await s.page.evaluate(() => {
    window.heap = new Proxy({}, { get() { throw new Error('boom'); } });
    const iface = window.userpilotSettings.integrations_interfaces.heap;
    return { loaded: iface.loaded, userId: iface.getUserId() };
  });
  assert.deepEqual(got, { loaded: undefined, userId: undefined });
  await assertNoPageErrors(s);
});

// ---- 2. counters through a failure ----

// withWorkerControl keeps the page's Workers reachable, so a test can make one fail or vanish.
const workerControl = script(`window.__workers = []; window.Worker = class extends window.Worker {
  constructor(...args) { super(...args); window.__workers.push(this); } };`);

test('a Worker that fails after 2 events were delivered: counters stay true, the stop shows in stats() and ready()', async () => {
  const s = await openWith(h, document(workerControl, bridgeTag({ async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await s.page.evaluate(() => userpilotStandIn.startFlow(7, 'tok7', 3)); // started, step
  await finalCalls(s.page, 3);
  await waitForIdle(s.page);
  await s.page.evaluate(() => {
    __workers[0].terminate();
    __workers[0].dispatchEvent(new ErrorEvent('error', { message: 'the worker crashed' }));
    userpilotStandIn.complete();
    userpilotStandIn.startFlow(8, 't8', 1);
  });
  const st = await bridgeStats(s.page);
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, dropped: st.dropped, reasons: st.dropReasons },
    { received: 5, forwarded: 2, dropped: 3, reasons: { module_unavailable: 3 } });
  assert.match(st.failure, /the module stopped: the worker crashed/);
  assert.match(await s.page.evaluate(() => UserpilotHeapBridge.ready().then(() => 'ready', (e) => e.message)), /the module stopped: the worker crashed/);
  await assertNoPageErrors(s);
});

test('a Worker that stops answering without a word: after 10 s it is taken as stopped and its events counted', async (t) => {
  const s = await openWith(h, document(workerControl, bridgeTag({ async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await s.page.evaluate(() => userpilotStandIn.startFlow(7, 'tok7', 3));
  await finalCalls(s.page, 3);
  await waitForIdle(s.page);
  await s.page.evaluate(() => { __workers[0].terminate(); userpilotStandIn.complete(); window.stoppedAt = performance.now(); });
  assert.equal((await bridgeStats(s.page)).pending, 1, 'waiting for the module');
  // The watchdog gives up STALL_MS after the module's last sign of life; the wait allows a slow machine.
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().failure, null, { timeout: TIMEOUT });
  t.diagnostic(`taken as stopped ${Math.round(await s.page.evaluate(() => performance.now() - stoppedAt))} ms after the Worker was`);
  const st = await bridgeStats(s.page);
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, pending: st.pending, reasons: st.dropReasons },
    { received: 3, forwarded: 2, pending: 0, reasons: { module_unavailable: 1 } });
  assert.match(st.failure, /has not answered for 10 s/);
  await assertNoPageErrors(s);
});

// ---- 3. names that live on Object.prototype ----

test('extraEvents named constructor and toString: the host handlers run and the events are tracked', async () => {
  const s = await openWith(h, document(bridgeTag({ settings: { extraEvents: ['constructor', 'toString', 'hasOwnProperty'] }, async: false }),
    userpilotSnippet({ mode: 'list' }), heapSnippet('classic'), identify('alice'),
    script(`window.seen = []; ['constructor', 'toString', 'hasOwnProperty'].forEach(function (n) {
      userpilot.on(n, function (p) { seen.push(n + ':' + (p && p.v)); }); });`)));
  await waitForAll(s.page);
  await s.page.evaluate(() => ['constructor', 'toString', 'hasOwnProperty'].forEach((n, i) => userpilotStandIn.emit(n, { v: i })));
  const calls = await finalCalls(s.page, 4);
  assert.deepEqual(calls.slice(1).map((c) => c.args[0]),
    ['Userpilot Event (constructor)', 'Userpilot Event (toString)', 'Userpilot Event (hasOwnProperty)']);
  assert.deepEqual(await s.page.evaluate(() => window.seen), ['constructor:0', 'toString:1', 'hasOwnProperty:2']);
  await settledStats(s);
  await assertNoPageErrors(s);
});

test('settings whose keys are inherited names are reported as unknown, never read from Object.prototype', async () => {
  const s = await openWith(h, document(script(`window.userpilotHeapBridgeSettings = Object.create({ load: 'first-event', thread: 'main', record: true });`),
    '<script src="/dist/userpilot-heap-bridge.js"></script>', userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page); // load first-event would have held the module back until an event
  await heap.runFlow7(s.page);
  await finalCalls(s.page, 4);
  const st = await settledStats(s);
  assert.equal(st.thread, 'worker');
  assert.deepEqual(await s.page.evaluate(() => UserpilotHeapBridge.history()), []);
  await assertNoPageErrors(s);
});

// ---- 4. host handlers exactly once, however the SDK takes over its stub ----

// A host handler registered before the bridge's tag, or after it; SDKs that replay the stub's
// queue by method, an ordered log of copies of the calls, or nothing; one handler per name or a list.
for (const replay of ['arrays', 'log', 'none']) {
  for (const mode of ['single', 'list']) {
    for (const when of ['before', 'after']) {
      test(`exactly once: SDK replays ${replay}, ${mode} handlers, host handler registered ${when} the tag`, async () => {
        const up = userpilotSnippet({ mode, settings: { standInReplay: replay } });
        const parts = when === 'before' ? [up, bridgeTag({ async: false })] : [bridgeTag({ async: false }), up];
        const s = await openWith(h, document(...parts, heapSnippet('classic'), identify('alice')), { hold: ['userpilotApp'] });
        await waitForBridge(s.page);
        s.release('userpilotApp');
        await waitForAll(s.page);
        await heap.runFlow7(s.page);
        await s.page.evaluate(() => { userpilotStandIn.startFlow(8, 't8', 1); userpilotStandIn.complete(); });
        assert.deepEqual(await finalCalls(s.page, 7), [heap.identify('alice'), ...heap.flow7('alice'),
          heap.started(8, 't8', 'alice'), heap.step(8, 't8', 1, 1, 'alice'), heap.completed(8, 't8', 'alice')]);
        assert.deepEqual(await hostCalls(s.page), [7, 8], 'the host handler ran once per emit');
        const st = await settledStats(s);
        assert.equal(st.duplicates, 0, 'no emit reached the bridge twice');
        await assertNoPageErrors(s);
      });
    }
  }
}

test('exactly once when window.userpilot is replaced twice (a hot reload runs the SDK again)', async () => {
  const s = await openWith(h, document(userpilotSnippet({ mode: 'list' }), bridgeTag({ async: false }), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await s.page.evaluate(() => userpilotStandIn.reloadSdk());
  await s.page.evaluate(() => userpilotStandIn.reloadSdk());
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(await hostCalls(s.page), [7]);
  await settledStats(s);
  await assertNoPageErrors(s);
});
