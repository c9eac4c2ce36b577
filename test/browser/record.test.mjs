// The kit for headless tests: record keeps the Heap calls made (history()), clearHistory() starts
// over, whenForwarded() waits for an event to reach Heap or rejects with a readable Error.
import assert from 'node:assert/strict';
import { test, useBrowser, openWith, waitForAll, finalCalls } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const COMPLETED = 'Userpilot Experience (completed)';

async function open(settings, query) {
  const s = await openWith(h, document(bridgeTag({ settings, async: false }), userpilotSnippet(), heapSnippet('classic'), identify('alice')), { query });
  await waitForAll(s.page);
  return s;
}
const history = (page) => page.evaluate(() => UserpilotHeapBridge.history());
// whenForwarded returns 'forwarded' or the rejection as "Name: message", and how long it took.
const whenForwarded = (page, name, timeoutMs) => page.evaluate(([n, ms]) => {
  const t0 = performance.now();
  const args = ms === undefined ? [n] : [n, ms];
  return UserpilotHeapBridge.whenForwarded(...args).then(() => 'forwarded', (e) => `${e.name}: ${e.message}`)
    .then((result) => ({ result, ms: performance.now() - t0 }));
}, [name, timeoutMs]);

// assertHistory checks history() against the Heap stand-in's calls: same calls, times in order.
async function assertHistory(page, expected) {
  assert.deepEqual(await finalCalls(page, expected.length), expected);
  const got = await history(page);
  assert.deepEqual(got.map(({ method, args }) => ({ method, args })), expected);
  for (let i = 0; i < got.length; i++) {
    assert.equal(typeof got[i].at, 'number');
    if (i) assert.ok(got[i].at >= got[i - 1].at, 'history is in call order');
  }
}

for (const [how, settings, query] of [['record: true', { record: true }, ''], ['the URL parameter', undefined, '?userpilot-heap-bridge-record']]) {
  test(`record via ${how}: history() holds every Heap call as {method, args, at}`, async () => {
    const s = await open(settings, query);
    await heap.runFlow7(s.page);
    assert.equal((await whenForwarded(s.page, COMPLETED, 5000)).result, 'forwarded');
    await s.page.evaluate(() => userpilot.anonymous());
    await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 8, token: 'tok8' }));
    await assertHistory(s.page, [heap.identify('alice'), ...heap.flow7('alice'), heap.resetIdentity(), heap.started(8, 'tok8')]);
  });
}

test('without record, history() is empty and whenForwarded() still works', async () => {
  const s = await open();
  const waiting = whenForwarded(s.page, COMPLETED, 10000);
  await heap.runFlow7(s.page);
  assert.equal((await waiting).result, 'forwarded');
  assert.deepEqual(await history(s.page), []);
});

test('whenForwarded() resolves at once for an event already forwarded, waits for one still to come', async () => {
  const s = await open({ record: true });
  await heap.runFlow7(s.page);
  await finalCalls(s.page, 4);
  const done = await whenForwarded(s.page, COMPLETED, 5000);
  assert.equal(done.result, 'forwarded');
  assert.ok(done.ms < 100, `resolved in ${done.ms} ms`);
  const later = whenForwarded(s.page, 'Userpilot Experience (dismissed)', 10000);
  await s.page.evaluate(() => { userpilotStandIn.startFlow(8, 'tok8', 2); userpilotStandIn.dismiss(); });
  assert.equal((await later).result, 'forwarded');
});

test('clearHistory() empties history() and forgets what was forwarded', async () => {
  const s = await open({ record: true });
  await heap.runFlow7(s.page);
  await finalCalls(s.page, 4);
  await s.page.evaluate(() => UserpilotHeapBridge.clearHistory());
  assert.deepEqual(await history(s.page), []);
  const gone = await whenForwarded(s.page, COMPLETED, 300);
  assert.equal(gone.result, `Error: userpilot-heap-bridge: no "${COMPLETED}" event was forwarded to Heap within 300 ms`);

  // Only calls made after the clear are kept; Heap identified alice already, so no identify.
  const waiting = whenForwarded(s.page, COMPLETED, 10000);
  await s.page.evaluate(() => { userpilotStandIn.startFlow(9, 'tok9', 1); userpilotStandIn.complete(); });
  assert.equal((await waiting).result, 'forwarded');
  const calls = await history(s.page);
  assert.deepEqual(calls.map(({ method, args }) => ({ method, args })),
    [heap.started(9, 'tok9', 'alice'), heap.step(9, 'tok9', 1, 1, 'alice'), heap.completed(9, 'tok9', 'alice')]);
});

test('whenForwarded() rejects with a readable Error after the default 5000 ms', async () => {
  const s = await open({ record: true });
  const r = await whenForwarded(s.page, 'Never sent');
  assert.equal(r.result, 'Error: userpilot-heap-bridge: no "Never sent" event was forwarded to Heap within 5000 ms');
  assert.ok(r.ms >= 4990 && r.ms < 8000, `rejected after ${r.ms} ms`);
});

test('whenForwarded() waits for the name Heap receives (after rename)', async () => {
  const s = await open({ record: true, rename: { [COMPLETED]: 'Done' } });
  const waiting = whenForwarded(s.page, 'Done', 10000);
  await heap.runFlow7(s.page);
  assert.equal((await waiting).result, 'forwarded');
  assert.equal((await whenForwarded(s.page, COMPLETED, 200)).result,
    `Error: userpilot-heap-bridge: no "${COMPLETED}" event was forwarded to Heap within 200 ms`);
});
