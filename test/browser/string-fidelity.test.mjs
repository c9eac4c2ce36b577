// Contract checks for two defects the fuzz surfaced, as small deterministic cases:
//  1. Strings the Go module hands to JavaScript lose a leading U+FEFF (wasm_exec.js decodes them
//     with `new TextDecoder("utf-8")`, which strips a BOM), so the identity guard, the event-name
//     check and the property-key rules judge a string Heap never receives.
//  2. The loader once discarded a second delivery of the same emit before Go saw it; it now never
//     registers twice, and every delivery reaches Go, where duplicates are counted.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, finalCalls, settle, heapCalls, heapViolations, bridgeStats, assertNoPageErrors, assertIdle } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

async function openAnonymous(mode = 'single') {
  const s = await h.open(document(
    bridgeTag({ settings: { extraEvents: ['checklist_completed'] }, async: false }), heapSnippet('classic'),
    userpilotSnippet({ mode, host: false }), script('userpilot.anonymous();'),
  ));
  await waitForAll(s.page);
  return s;
}

test('a merge-risk id behind a leading U+FEFF ("\\ufeffguest") never reaches heap.identify', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => { userpilot.identify('\ufeffguest'); userpilotStandIn.emit('started', { id: 1, token: 't' }); });
  await s.page.evaluate(() => { userpilot.identify('\ufeff'); userpilotStandIn.emit('started', { id: 2, token: 't' }); });
  await settle(s.page);
  const identities = (await heapCalls(s.page)).filter((c) => c.method === 'identify').map((c) => c.args[0]);
  assert.deepStrictEqual(await heapViolations(s.page), [], `heap.identify received ${JSON.stringify(identities)}`);
  assert.deepStrictEqual(identities, []);
});

test('an event name or property key of only U+FEFF never reaches Heap empty, and never overwrites a real key', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    userpilotStandIn.nativeTrack('\ufeff', { a: 1 });
    userpilotStandIn.emit('started', { id: 5, token: 't', x: 2, '\ufeffx': 1, '\ufeff': 'v' });
  });
  await settle(s.page);
  const calls = await heapCalls(s.page);
  assert.deepStrictEqual(await heapViolations(s.page), [], JSON.stringify(calls));
  const started = calls.find((c) => c.args[0] === 'Userpilot Experience (started)');
  assert.equal(started.args[1].x, 2, `the payload's own x was overwritten: ${JSON.stringify(started.args[1])}`);
});

test('two occurrences with the same primitive payload in one task are both received', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    userpilotStandIn.emit('checklist_completed', undefined);
    userpilotStandIn.emit('checklist_completed', undefined);
    userpilotStandIn.emit('started', null);
    userpilotStandIn.emit('started', null);
  });
  await settle(s.page);
  const st = await assertIdle(s.page);
  assert.equal(st.received, 4, JSON.stringify(st));
  assert.equal(st.dropReasons.invalid_payload, 2, JSON.stringify(st));
});

test('the stub and the SDK that replaced it: each emit reaches the bridge once', async () => {
  // List mode: the SDK replays the stub's queue, which holds the bridge's registration, and the
  // bridge registers on the SDK too; the second delivery of one emit is recognised and skipped.
  const s = await openAnonymous('list');
  assert.ok(await s.page.evaluate(() => userpilotStandIn.handlers('started')) >= 1, 'registered');
  await heap.runFlow7(s.page);
  assert.deepStrictEqual(await finalCalls(s.page, 3), heap.flow7());
  const st = await assertIdle(s.page);
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, duplicates: st.duplicates }, { received: 3, forwarded: 3, duplicates: 0 });
  await assertNoPageErrors(s);
});
