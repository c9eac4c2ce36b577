// Consent: "pending" holds every Heap call in order, "granted" delivers what was held, "denied"
// drops held and new events (identity calls stay held for a later grant); setConsent() before the
// module is ready takes its place in order with the events.
import assert from 'node:assert/strict';
import { test, TIMEOUT, useBrowser, openWith, waitForAll, waitForUserpilot, waitForHeap, waitForBridge, finalCalls, settle, heapCalls, bridgeStats, bridgeConsole, assertIdle, assertNoPageErrors } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

async function open(settings) {
  const s = await h.open(document(bridgeTag({ settings, async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  return s;
}
const setConsent = (page, state) => page.evaluate((st) => UserpilotHeapBridge.setConsent(st), state);
// nothingYet checks that no call reached Heap and that n events are held, once the module (in a
// Worker, a moment later) has answered for the rest.
async function nothingYet(page, n) {
  await page.waitForFunction((n) => UserpilotHeapBridge.stats().pending === n, n, { timeout: TIMEOUT });
  await settle(page);
  assert.deepEqual(await heapCalls(page), []);
  assert.equal((await bridgeStats(page)).pending, n);
}

test('pending → granted: held calls go out in order, identify first', async () => {
  const s = await open({ consent: 'pending' });
  await heap.runFlow7(s.page);
  await nothingYet(s.page, 3);
  const waiting = s.page.evaluate(() => UserpilotHeapBridge.whenForwarded('Userpilot Experience (completed)', 10000).then(() => 'forwarded'));
  await setConsent(s.page, 'granted');
  assert.equal(await waiting, 'forwarded');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await assertIdle(s.page);
  assert.deepEqual(bridgeConsole(s), []);
});

test('pending → denied: held events and new events are dropped as consent_denied', async () => {
  const s = await open({ consent: 'pending' });
  await heap.runFlow7(s.page);
  await nothingYet(s.page, 3);
  await setConsent(s.page, 'denied');
  await s.page.evaluate(() => userpilotStandIn.startFlow(8, 'tok8', 2)); // two more, dropped at once
  await nothingYet(s.page, 0);
  const st = await assertIdle(s.page);
  assert.deepEqual(st.dropReasons, { consent_denied: 5 });
  assert.equal(st.forwarded, 0);
  assert.deepEqual(bridgeConsole(s), [], 'a denial is the user\'s choice: counted, not warned about');
});

test('pending → denied → granted: the held identify goes out on the grant, the dropped events do not', async () => {
  const s = await open({ consent: 'pending' });
  await heap.runFlow7(s.page);
  await setConsent(s.page, 'denied');
  await setConsent(s.page, 'granted');
  assert.deepEqual(await finalCalls(s.page, 1), [heap.identify('alice')]);
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 8, token: 'tok8' }));
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'), heap.started(8, 'tok8', 'alice')]);
  assert.deepEqual((await assertIdle(s.page)).dropReasons, { consent_denied: 3 });
});

test('denied → granted: events while denied are dropped; after the grant events reach Heap with identify', async () => {
  const s = await open({ consent: 'denied' });
  await heap.runFlow7(s.page);
  await nothingYet(s.page, 0);
  await setConsent(s.page, 'granted');
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 8, token: 'tok8' }));
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'), heap.started(8, 'tok8', 'alice')]);
  const st = await assertIdle(s.page);
  assert.deepEqual(st.dropReasons, { consent_denied: 3 });
  assert.deepEqual(bridgeConsole(s), [], 'a denial is the user\'s choice: counted, not warned about');
});

test('granted → pending → granted: events in between are held, then delivered in order', async () => {
  const s = await open({});
  await s.page.evaluate(() => {
    userpilotStandIn.emit('started', { id: 7, token: 'tok7' });
    UserpilotHeapBridge.setConsent('pending');
    userpilotStandIn.emit('step', { id: 7, token: 'tok7', step: 1, totalSteps: 3 });
    userpilotStandIn.emit('completed', { id: 7, token: 'tok7' });
  });
  await settle(s.page);
  const [started] = heap.flow7('alice');
  assert.deepEqual(await heapCalls(s.page), [heap.identify('alice'), started]);
  assert.equal((await bridgeStats(s.page)).pending, 2);
  await setConsent(s.page, 'granted');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await assertIdle(s.page);
});

test('pending holds up to 1000 events; more are dropped as consent_queue_full', async () => {
  const s = await open({ consent: 'pending' });
  await s.page.evaluate(() => { for (let i = 1; i <= 1001; i++) userpilotStandIn.emit('started', { id: i, token: 't' }); });
  // The module answers all 1,001 a moment later (from a Worker): the last one is then dropped.
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().dropped === 1, null, { timeout: 30_000 });
  await nothingYet(s.page, 1000);
  await setConsent(s.page, 'granted');
  const calls = await finalCalls(s.page, 1001);
  assert.equal(calls.length, 1001);
  assert.deepEqual(calls[0], heap.identify('alice'));
  assert.deepEqual(calls.slice(1).map((c) => c.args[1].experience_id), Array.from({ length: 1000 }, (_, i) => i + 1));
  assert.deepEqual((await assertIdle(s.page)).dropReasons, { consent_queue_full: 1 });
});

test('setConsent() before the module is ready is applied in order with the events', async () => {
  // Hold the module back so every call below happens before the bridge is ready.
  const s = await openWith(h, document(bridgeTag({ settings: { consent: 'pending' }, async: false }),
    userpilotSnippet(), heapSnippet('classic'), identify('alice')), { hold: ['wasm'] });
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await s.page.evaluate(() => {
    userpilotStandIn.emit('started', { id: 7, token: 'tok7' }); // pending: held with alice's identify
    UserpilotHeapBridge.setConsent('denied'); // drops it, keeps the identify
    userpilotStandIn.emit('step', { id: 7, token: 'tok7', step: 1, totalSteps: 3 }); // dropped
    UserpilotHeapBridge.setConsent('granted');
    userpilotStandIn.emit('completed', { id: 7, token: 'tok7' });
  });
  assert.equal((await bridgeStats(s.page)).pending, 3, 'all three wait in the loader');
  s.release('wasm');
  await waitForBridge(s.page);
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'), heap.completed(7, 'tok7', 'alice')]);
  assert.deepEqual((await assertIdle(s.page)).dropReasons, { consent_denied: 2 });
  await assertNoPageErrors(s);
});

test('setConsent() with an unknown state: one warning naming it, consent unchanged', async () => {
  const s = await open({ consent: 'pending' });
  await heap.runFlow7(s.page);
  await setConsent(s.page, 'yes');
  await nothingYet(s.page, 3);
  assert.deepEqual(bridgeConsole(s), ['userpilot-heap-bridge: setConsent("yes") ignored; expected one of "granted", "pending", "denied"']);
  await setConsent(s.page, 'granted');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
});

