// Issue 10, item 11, in the page: ids that would merge strangers, or two users with each other,
// never reach heap.identify. Lone surrogates matter here: a JavaScript string reaches Go with each
// one as U+FFFD, so "\ud800x" and "\udc00x" would both become "\ufffdx".
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, finalCalls, heapViolations, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const page = (...extra) => document(userpilotSnippet(), heapSnippet('classic'), bridgeTag(), ...extra);

// JSON.stringify writes a lone surrogate as an escape, so the page's script holds it as it is.
const RISKY = ['null\u0000', 'nu\u00adll', 'ｎｕｌｌ', 'undefined\u180e', '\ud800x', '\udc00x', 'unde\ufb01ned', 'gu\u200best'];

for (const id of RISKY) {
  test(`id ${JSON.stringify(id)} is never sent to heap.identify`, async () => {
    const s = await h.open(page(script(`userpilot.identify(${JSON.stringify(id)});`)));
    await waitForAll(s.page);
    await heap.runFlow7(s.page);
    assert.deepEqual(await finalCalls(s.page, heap.flow7().length), heap.flow7());
    assert.deepEqual(await heapViolations(s.page), []);
    assert.equal((await assertStatsBalance(s.page)).identifies, 0);
    await assertNoPageErrors(s);
  });
}

test('a fullwidth id that is no shared one is identified as it is', async () => {
  const s = await h.open(page(script(`userpilot.identify(${JSON.stringify('ａｌｉｃｅ')});`)));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 1 + heap.flow7().length), [heap.identify('ａｌｉｃｅ'), ...heap.flow7('ａｌｉｃｅ')]);
  await assertNoPageErrors(s);
});
