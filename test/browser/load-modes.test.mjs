// The load setting: "eager" fetches the module at once, "idle" when the browser is idle (no event
// needed), "first-event" only when the first Userpilot event arrives: a page without one never
// requests the .wasm.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForHeap, waitForBridge, finalCalls, bridgeStats, bridgeConsole, wasmRequests, assertNoPageErrors } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify, script } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const WASM = () => h.url('/dist/userpilot-heap-bridge.wasm');

async function open(settings, ...extra) {
  const s = await h.open(document(bridgeTag({ settings, async: false }), ...extra,
    userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  return s;
}
// readyState tells whether ready() has settled, without waiting for it.
const readyState = (page) => page.evaluate(() => Promise.race([
  UserpilotHeapBridge.ready().then(() => 'resolved', () => 'rejected'),
  new Promise((r) => setTimeout(() => r('pending'), 0)),
]));
const wait = (page, ms) => page.evaluate((ms) => new Promise((r) => setTimeout(r, ms)), ms);

for (const load of [undefined, 'eager', 'idle']) {
  test(`load ${load || '(default)'}: the module is fetched and ready without any Userpilot event`, async () => {
    const s = await open(load && { load });
    await waitForBridge(s.page);
    assert.deepEqual(wasmRequests(s), [WASM()]);
    assert.equal((await bridgeStats(s.page)).received, 0);
    await heap.runFlow7(s.page);
    assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
    assert.deepEqual(bridgeConsole(s), []);
  });
}

test('load first-event: no .wasm request without an event; the first event fetches it once and reaches Heap', async () => {
  const s = await open({ load: 'first-event' });
  await wait(s.page, 1500);
  assert.deepEqual(wasmRequests(s), [], 'no module request before the first event');
  assert.equal(await readyState(s.page), 'pending', 'ready() waits for the module');

  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 7, token: 'tok7' }));
  await waitForBridge(s.page);
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'), heap.started(7, 'tok7', 'alice')]);
  await s.page.evaluate(() => userpilotStandIn.emit('completed', { id: 7, token: 'tok7' }));
  assert.deepEqual(await finalCalls(s.page, 3), [heap.identify('alice'), heap.started(7, 'tok7', 'alice'), heap.completed(7, 'tok7', 'alice')]);
  assert.deepEqual(wasmRequests(s), [WASM()], 'exactly one module request');
  assert.deepEqual(bridgeConsole(s), []);
  await assertNoPageErrors(s);
});

test('load first-event set by configure() before an idle start: no .wasm request without an event', async () => {
  const s = await open({ load: 'idle' }, script(`UserpilotHeapBridge.configure({ load: 'first-event' });`));
  await wait(s.page, 1500);
  assert.deepEqual(wasmRequests(s), []);
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 7, token: 'tok7' }));
  await waitForBridge(s.page);
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'), heap.started(7, 'tok7', 'alice')]);
  assert.deepEqual(wasmRequests(s), [WASM()]);
});
