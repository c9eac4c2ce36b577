// docs/contract.md §3: a bridge added after Userpilot's SDK loaded still knows who the user is.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForHeap, waitForBridge, addBridgeLate, finalCalls, hostCalls, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

for (const mode of ['single', 'list']) {
  test(`bridge added after app.js loaded and alice identified (${mode} handlers)`, async () => {
    const s = await h.open(document(userpilotSnippet({ mode }), heapSnippet('classic'), identify('alice')));
    await waitForUserpilot(s.page);
    await waitForHeap(s.page);
    await addBridgeLate(s.page);
    await waitForBridge(s.page);
    await heap.runFlow7(s.page);

    assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
    // With one handler per name a late bridge cannot keep an earlier handler (docs/contract.md §3), so only list mode checks it.
    if (mode === 'list') assert.deepEqual(await hostCalls(s.page), [7]);
    await assertStatsBalance(s.page);
    await assertNoPageErrors(s);
  });
}
