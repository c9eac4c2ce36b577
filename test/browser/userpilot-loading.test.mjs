// docs/contract.md §3: Userpilot via the npm wrapper or via the CDN stub later swapped for app.js, both handler modes.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, waitForBridge, finalCalls, hostCalls, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, userpilotSnippet, userpilotNpm, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

async function flowAndCheck(s) {
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(await hostCalls(s.page), [7], 'host completed handler fires exactly once');
  await assertStatsBalance(s.page);
  await assertNoPageErrors(s);
}

for (const mode of ['single', 'list']) {
  test(`npm wrapper, bridge ready before the shim arrives (${mode} handlers)`, async () => {
    const s = await h.open(document(bridgeTag(), heapSnippet('classic'), userpilotNpm({ mode })), { hold: ['userpilotShim'] });
    await waitForBridge(s.page);
    assert.equal(await s.page.evaluate(() => typeof window.userpilot), 'undefined');
    s.release('userpilotShim');
    await flowAndCheck(s);
  });

  test(`npm wrapper, default loading (${mode} handlers)`, async () => {
    // Userpilot's SDK arrives from its CDN after the page's own tags have run, as on a real page; a
    // bridge that runs after the SDK loaded is the documented late case (late.test.mjs).
    const s = await h.open(document(heapSnippet('classic'), userpilotNpm({ mode }), bridgeTag()), { hold: ['userpilotApp'] });
    await s.page.waitForFunction(() => window.UserpilotHeapBridge, null, { timeout: 30_000 });
    s.release('userpilotApp');
    await flowAndCheck(s);
  });

  test(`CDN stub replaced by app.js after the bridge is ready (${mode} handlers)`, async () => {
    const s = await h.open(document(userpilotSnippet({ mode }), heapSnippet('classic'), bridgeTag(), identify('alice')), { hold: ['userpilotApp'] });
    await waitForBridge(s.page);
    assert.equal(await s.page.evaluate(() => window.userpilot.initialized), -1, 'still the stub');
    s.release('userpilotApp');
    await flowAndCheck(s);
  });
}
