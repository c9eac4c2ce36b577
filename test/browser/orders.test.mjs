// docs/contract.md §1/§3/§4: the three tags work in any order, and the host's own handler keeps firing.
import assert from 'node:assert/strict';
import { test, useBrowser, TIMEOUT, waitForAll, finalCalls, hostCalls, heapViolations, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

const ORDERS = [['U', 'H', 'B'], ['U', 'B', 'H'], ['H', 'U', 'B'], ['H', 'B', 'U'], ['B', 'U', 'H'], ['B', 'H', 'U']];

// Both of Heap's snippets, and Userpilot's handlers as one function or as a list.
const VARIANTS = [['classic', 'single'], ['classic', 'list'], ['v5', 'single']];

for (const [kind, mode] of VARIANTS) {
  for (const order of ORDERS) {
    test(`order ${order.join(' ')} (${kind === 'v5' ? 'heap.js 5 snippet, ' : ''}${mode} handlers)`, async () => {
      const part = { U: userpilotSnippet({ mode }), H: heapSnippet(kind), B: bridgeTag() };
      // Userpilot's SDK (app.js) arrives from its CDN after the page's own tags have run, as on a
      // real page; a bridge that runs after the SDK loaded is the documented late case (late.test.mjs).
      const s = await h.open(document(...order.map((k) => part[k]), identify('alice')), { hold: ['userpilotApp'] });
      await s.page.waitForFunction(() => window.UserpilotHeapBridge, null, { timeout: TIMEOUT });
      s.release('userpilotApp');
      await waitForAll(s.page);
      await heap.runFlow7(s.page);

      assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
      assert.deepEqual(await hostCalls(s.page), [7], 'host completed handler fires exactly once');
      assert.deepEqual(await heapViolations(s.page), []);
      const st = await assertStatsBalance(s.page);
      assert.equal(st.forwarded, 3);
      assert.equal(st.identifies, 1);
      await assertNoPageErrors(s);
    });
  }
}
