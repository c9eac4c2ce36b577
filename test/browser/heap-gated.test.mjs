// docs/contract.md §4: calls go to whatever window.heap is, so events before Heap loads arrive through its stub's replay.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForBridge, waitForHeap, settle, finalCalls, hostCalls, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

const queued = {
  classic: () => (Array.isArray(window.heap) ? window.heap.length : -1),
  v5: () => (window.heap && !window.heap.loaded && Array.isArray(window.heapReadyCb) ? window.heapReadyCb.length : -1),
};

for (const kind of ['classic', 'v5']) {
  test(`${kind} Heap snippet with the SDK held back while events happen`, async () => {
    const s = await h.open(document(bridgeTag({ async: false }), userpilotSnippet(), heapSnippet(kind), identify('alice')), { hold: ['heap'] });
    await waitForBridge(s.page);
    await waitForUserpilot(s.page);
    await heap.runFlow7(s.page);
    await settle(s.page);
    assert.equal(await s.page.evaluate(queued[kind]), 4, 'four calls wait in the Heap stub');

    s.release('heap');
    await waitForHeap(s.page);
    assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
    assert.equal(await s.page.evaluate(() => heapStandIn.replayed), 4, 'delivered through the replay');
    assert.deepEqual(await hostCalls(s.page), [7]);
    await assertStatsBalance(s.page);
    await assertNoPageErrors(s);
  });
}
