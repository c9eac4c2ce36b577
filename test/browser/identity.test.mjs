// docs/contract.md §4 identity: identify once per change, reset once on anonymous()/clean(), never merge strangers.
import assert from 'node:assert/strict';
import { test, onlyIn, useBrowser, waitForAll, waitForBridge, addBridgeLate, finalCalls, heapViolations, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const page = (...extra) => document(userpilotSnippet(), heapSnippet('classic'), bridgeTag(), ...extra);
const emitStarted = (p, id, token) => p.evaluate(([id, token]) => userpilotStandIn.emit('started', { id, token }), [id, token]);

async function finish(s, expected) {
  assert.deepEqual(await finalCalls(s.page, expected.length), expected);
  assert.deepEqual(await heapViolations(s.page), []);
  await assertStatsBalance(s.page);
  await assertNoPageErrors(s);
}

test('identify before the bridge loads, while app.js is still pending', async () => {
  const s = await h.open(document(userpilotSnippet(), heapSnippet('classic'), identify('alice')), { hold: ['userpilotApp'] });
  await addBridgeLate(s.page);
  await waitForBridge(s.page);
  s.release('userpilotApp');
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await finish(s, [heap.identify('alice'), ...heap.flow7('alice')]);
});

test('identify after the bridge is ready', async () => {
  const s = await h.open(page());
  await waitForBridge(s.page);
  await s.page.evaluate(() => userpilot.identify('alice'));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await finish(s, [heap.identify('alice'), ...heap.flow7('alice')]);
});

test('switching users: identify again only when the id changes', async () => {
  const s = await h.open(page(identify('alice')));
  await waitForAll(s.page);
  await s.page.evaluate(() => userpilot.identify('alice', { plan: 'pro' }));
  await emitStarted(s.page, 1, 'a');
  await s.page.evaluate(() => userpilot.identify('bob'));
  await emitStarted(s.page, 2, 'b');
  await finish(s, [heap.identify('alice'), heap.started(1, 'a', 'alice'), heap.identify('bob'), heap.started(2, 'b', 'bob')]);
});

for (const end of ['anonymous', 'clean']) {
  test(`${end}() after an identified event resets Heap exactly once`, async () => {
    const s = await h.open(page(identify('alice')));
    await waitForAll(s.page);
    await emitStarted(s.page, 1, 'a');
    await s.page.evaluate((end) => userpilot[end](), end);
    await emitStarted(s.page, 2, 'b');
    await s.page.evaluate((end) => userpilot[end](), end);
    await emitStarted(s.page, 3, 'c');
    await finish(s, [heap.identify('alice'), heap.started(1, 'a', 'alice'), heap.resetIdentity(), heap.started(2, 'b'), heap.started(3, 'c')]);
    assert.equal((await assertStatsBalance(s.page)).resets, 1);
  });
}

const MERGE_RISK = ['', 'null', 'undefined', 'NaN', 0, '0', -1, 'user', ' Guest ', 'anonymous', 'unknown', 'none', 'n/a', 'TEST', 'u'.repeat(256)];

// Which ids are refused is the Go module's rule, the same in every engine: the other engines check
// a few; Chromium all.
const EVERY_ID = onlyIn(['chromium'], "the merge-risk rules are the Go module's, the same in every engine; four ids run here");

for (const [i, id] of MERGE_RISK.entries()) {
  const label = typeof id === 'string' && id.length > 20 ? `a ${id.length}-char id` : JSON.stringify(id);
  test(`merge-risk id ${label} is never sent to heap.identify`, [0, 1, 7, 14].includes(i) ? {} : EVERY_ID, async () => {
    const s = await h.open(page(script(`userpilot.identify(${JSON.stringify(id)});`)));
    await waitForAll(s.page);
    await heap.runFlow7(s.page);
    await finish(s, heap.flow7());
    assert.equal((await assertStatsBalance(s.page)).identifies, 0);
  });
}

test('numeric id 42 is identified as the string "42"', async () => {
  const s = await h.open(page(script('userpilot.identify(42);')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await finish(s, [heap.identify('42'), ...heap.flow7('42')]);
});

test('no identity at all: events carry no userpilot_user_id', async () => {
  const s = await h.open(page(script('userpilot.anonymous();')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await finish(s, heap.flow7());
});
