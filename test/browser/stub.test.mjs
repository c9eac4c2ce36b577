// The pre-tag stub, exactly as the README shows it: calls to configure, setConsent and ready made
// before the loader runs are queued and replayed in order; the stub's ready() settles with the
// real one; a reference kept to the stub keeps working; the stub leaves a running bridge alone.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, waitForUserpilot, waitForHeap, finalCalls, settle, heapCalls, bridgeStats, assertIdle, assertNoPageErrors, TIMEOUT } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify, BRIDGE_SRC } from './pages.mjs';
import { codeBlock } from '../readme.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

// The README's two lines: the stub, then the tag (pointed at this server's dist/).
const [STUB, TAG] = codeBlock('<script>!function(w,q){w.UserpilotHeapBridge||').trim().split('\n');
assert.equal(TAG, '<script src="/assets/userpilot-heap-bridge.js" async></script>', "the README's second line is the tag");
const README_TAG = TAG.replace('/assets/userpilot-heap-bridge.js', BRIDGE_SRC);

// calls runs before the tag: what a page does with the bridge while only the stub is there.
const page = (calls, tag = README_TAG) => document(STUB, script(calls), userpilotSnippet(), heapSnippet('classic'), identify('alice'), tag);

test('the stub is two lines, and the first is one script of under 400 characters', () => {
  assert.ok(STUB.startsWith('<script>') && STUB.endsWith('</script>') && STUB.length < 400, STUB);
});

test('configure, setConsent and ready called before the tag: replayed in order; ready() resolves the stub\'s promise', async () => {
  const s = await h.open(page(`
    window.order = [];
    window.stub = UserpilotHeapBridge;
    UserpilotHeapBridge.ready().then(function () { order.push('ready ' + UserpilotHeapBridge.stats().thread); }, function (e) { order.push('rejected ' + e.message); });
    UserpilotHeapBridge.configure({ consent: 'pending', rename: { 'Userpilot Experience (completed)': 'Tour done' } });
    UserpilotHeapBridge.setConsent('denied');
    UserpilotHeapBridge.setConsent('granted');
    order.push('calls made, bridge ' + (UserpilotHeapBridge.version || 'not loaded'));`));
  await waitForAll(s.page);
  await s.page.waitForFunction(() => window.order.length === 2, null, { timeout: TIMEOUT });
  assert.deepEqual(await s.page.evaluate(() => window.order), ['calls made, bridge not loaded', `ready ${process.env.BRIDGE_THREAD || 'worker'}`]);
  assert.equal(await s.page.evaluate(() => window.stub !== UserpilotHeapBridge && typeof UserpilotHeapBridge.stats), 'function', 'the loader replaced the stub');
  await heap.runFlow7(s.page);
  const [started, step] = heap.flow7('alice');
  // granted came last, so the flow reaches Heap, renamed by the replayed configure.
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), started, step,
    heap.track('Tour done', { experience_id: 7, experience_token: 'tok7' }, 'alice')]);
  assert.deepEqual((await assertIdle(s.page)).dropReasons, {});
  await assertNoPageErrors(s);
});

test('setConsent("granted") then setConsent("denied") before the tag: denied wins, events are dropped', async () => {
  const s = await h.open(page(`UserpilotHeapBridge.setConsent('granted'); UserpilotHeapBridge.setConsent('denied');`));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().dropped === 3, null, { timeout: TIMEOUT });
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  assert.deepEqual((await assertIdle(s.page)).dropReasons, { consent_denied: 3 });
  await assertNoPageErrors(s);
});

test("the stub's ready() rejects with the loader's error when the module cannot load; the page runs on", async () => {
  const s = await h.open(page(`
    UserpilotHeapBridge.configure({ wasmUrl: '/broken/404.wasm' });
    window.outcome = UserpilotHeapBridge.ready().then(function () { return 'resolved'; }, function (e) { return (e instanceof Error) + ' ' + e.message; });`));
  const outcome = await s.page.evaluate(() => window.outcome);
  assert.match(outcome, /^true userpilot-heap-bridge: could not load the module from http:\/\/127\.0\.0\.1:\d+\/broken\/404\.wasm: HTTP 404/);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  assert.deepEqual((await bridgeStats(s.page)).dropReasons, { module_unavailable: 3 });
  await assertNoPageErrors(s);
});

test('a reference kept to the stub still reaches the bridge after the tag ran', async () => {
  const s = await h.open(page('window.kept = UserpilotHeapBridge;'));
  await waitForAll(s.page);
  const thread = await s.page.evaluate(() => window.kept.ready().then(() => UserpilotHeapBridge.stats().thread));
  assert.equal(thread, process.env.BRIDGE_THREAD || 'worker');
  await s.page.evaluate(() => window.kept.setConsent('denied'));
  await heap.runFlow7(s.page);
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().dropped === 3, null, { timeout: TIMEOUT });
  assert.deepEqual((await assertIdle(s.page)).dropReasons, { consent_denied: 3 });
  assert.deepEqual(await heapCalls(s.page), []);
  await assertNoPageErrors(s);
});

test('the stub after the tag leaves the running bridge alone', async () => {
  const s = await h.open(document(bridgeTag({ async: false }), STUB, userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  assert.equal(await s.page.evaluate(() => typeof UserpilotHeapBridge.version === 'string' && !('_q' in UserpilotHeapBridge)), true);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await assertNoPageErrors(s);
});
