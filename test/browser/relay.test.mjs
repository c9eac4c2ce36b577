// docs/contract.md §6 from the page: with Heap's CDN blocked, events reach Heap's server API through the
// edge relay (the Go Worker in workerd), each exactly once, also when Heap loads late or the page
// is left. Needs `make relay-build` (make test-browser depends on it).
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { test, useBrowser, openWith, waitForBridge, waitForUserpilot, waitForHeap, heapCalls, bridgeStats, bridgeConsole, assertNoPageErrors, settle, TIMEOUT } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';
import { startFakeHeap, relayWith, sign } from '../relay/helpers.mjs';

const h = useBrowser();
const SECRET = 'relay-test-secret';
let fake, relay, signedRelay;

before(async () => {
  fake = await startFakeHeap();
  const origin = new URL(h.url('/')).origin;
  const vars = { HEAP_APP_ID: '3141592653', HEAP_API_URL: fake.url, ALLOWED_ORIGINS: origin };
  [relay, signedRelay] = await Promise.all([relayWith(vars), relayWith({ ...vars, IDENTITY_SECRET: SECRET })]);
});

after(async () => {
  await Promise.all([relay?.stop(), signedRelay?.stop()]);
  await fake?.stop();
});

// blockHeap makes Heap's CDN fail, as an ad-blocker does.
const blockHeap = ['heap'];

const events = (s) => fake.events().then((r) => r.events);

// waitForFakeHeap polls the fake Heap API until it holds n events, then gives stragglers a moment.
async function waitForFakeHeap(n) {
  const deadline = Date.now() + TIMEOUT;
  while ((await fake.events()).events.length < n) {
    if (Date.now() > deadline) assert.fail(`the fake Heap API got ${(await fake.events()).events.length} events, expected ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  return fake.events();
}

// asServerTrack is what Heap's server API should have received for an expected heap.track call.
const asServerTrack = (call, identity) => ({ identity, event: call.args[0], properties: call.args[1] });
const stored = (e) => ({ identity: e.identity, event: e.event, properties: e.properties });
// inOrder sorts what Heap stored by the bridge's event number (ids are <session>-<n>): two
// batches may be in flight at once and arrive in either order; Heap orders events by timestamp.
const inOrder = (events) => [...events].sort((a, b) => Number(a.idempotency_key.split('-').pop()) - Number(b.idempotency_key.split('-').pop()));

function page({ settings, heapKind = 'classic', user = 'alice' }) {
  return document(bridgeTag({ settings, async: false }), userpilotSnippet(), heapKind ? heapSnippet(heapKind) : '', identify(user));
}

for (const heapKind of ['classic', 'v5']) test(`Heap blocked (${heapKind} snippet): the flow reaches Heap through the relay, once, with the identity`, async () => {
  await fake.reset();
  const before = Date.now();
  const s = await openWith(h, page({ settings: { relayUrl: relay.url + '/v1/events', relayAfter: 300 }, heapKind }), { block: blockHeap });
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);

  const got = await waitForFakeHeap(3);
  assert.deepEqual(inOrder(got.events).map(stored), heap.flow7('alice').map((c) => asServerTrack(c, 'alice')));
  assert.equal(got.duplicates, 0);
  assert.equal(new Set(inOrder(got.events).map((e) => e.idempotency_key)).size, 3, 'each event has its own id');
  // Each timestamp is when the event happened: inside this test, not when it was relayed or stored.
  for (const e of got.events) assert.ok(Date.parse(e.timestamp) >= before - 1000 && Date.parse(e.timestamp) <= Date.now() + 1000, `timestamp ${e.timestamp}`);
  await s.page.waitForFunction(() => window.UserpilotHeapBridge.stats().relayed === 3, null, { timeout: TIMEOUT });
  const st = await bridgeStats(s.page);
  assert.equal(st.received, 3);
  assert.equal(st.forwarded, 3);
  assert.equal(st.relaying, 0);
  assert.equal(st.pending, 0);
  assert.equal(st.dropped, 0);
  assert.deepEqual(await heapCalls(s.page), [], 'nothing reached a Heap SDK');
  await assertNoPageErrors(s);
});

test('no window.heap at all: events go to the relay', async () => {
  await fake.reset();
  const s = await openWith(h, page({ settings: { relayUrl: relay.url + '/v1/events', relayAfter: 0 }, heapKind: null }));
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  const got = await waitForFakeHeap(3);
  assert.deepEqual(inOrder(got.events).map((e) => e.event), heap.flow7('alice').map((c) => c.args[0]));
  await assertNoPageErrors(s);
});

test('Heap loads late: early events go by the relay, later ones by heap.track, none both ways', async () => {
  await fake.reset();
  const s = await openWith(h, page({ settings: { relayUrl: relay.url + '/v1/events', relayAfter: 300 } }), { hold: ['heap'] });
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await s.page.evaluate(() => userpilotStandIn.startFlow(7, 'tok7', 3));
  await waitForFakeHeap(2); // started and step 1
  s.release('heap');
  await waitForHeap(s.page);
  await s.page.evaluate(() => userpilotStandIn.complete());
  await s.page.waitForFunction(() => window.heapStandIn.calls.some((c) => c.method === 'track'), null, { timeout: TIMEOUT });
  await settle(s.page);

  const [flowStarted, flowStep, flowCompleted] = heap.flow7('alice');
  const got = await fake.events();
  assert.deepEqual(inOrder(got.events).map(stored), [flowStarted, flowStep].map((c) => asServerTrack(c, 'alice')));
  assert.deepEqual(await heapCalls(s.page), [heap.identify('alice'), flowCompleted], 'Heap got the identity and only the later event');
  const st = await bridgeStats(s.page);
  assert.equal(st.forwarded, 3);
  assert.equal(st.relayed, 2);
  await assertNoPageErrors(s);
});

test('leaving the page before relayAfter: navigator.sendBeacon carries the held events, signed in the query', async () => {
  await fake.reset();
  const settings = { relayUrl: signedRelay.url + '/v1/events', relayAfter: 600_000, relaySignature: sign(SECRET, 'alice') };
  const s = await openWith(h, page({ settings }), { block: blockHeap });
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page);
  await settle(s.page);
  assert.equal((await fake.events()).events.length, 0, 'nothing relayed before relayAfter');
  assert.equal((await bridgeStats(s.page)).pending, 3);
  await s.page.goto('about:blank');
  const got = await waitForFakeHeap(3);
  assert.deepEqual(inOrder(got.events).map(stored), heap.flow7('alice').map((c) => asServerTrack(c, 'alice')));
  assert.equal(got.duplicates, 0);
});

test('a relay with a secret takes the page signed for the user, and refuses a wrong signature with a counted drop', async () => {
  for (const [signature, accepted] of [[sign(SECRET, 'alice'), true], [sign(SECRET, 'mallory'), false]]) {
    await fake.reset();
    const settings = { relayUrl: signedRelay.url + '/v1/events', relayAfter: 0, relaySignature: signature };
    const s = await openWith(h, page({ settings }), { block: blockHeap });
    await waitForBridge(s.page);
    await waitForUserpilot(s.page);
    await heap.runFlow7(s.page);
    await s.page.waitForFunction(() => { const st = window.UserpilotHeapBridge.stats(); return st.received === 3 && st.pending === 0 && st.relaying === 0; }, null, { timeout: TIMEOUT });
    const st = await bridgeStats(s.page);
    if (accepted) {
      assert.equal(st.relayed, 3);
      assert.equal((await fake.events()).events.length, 3);
    } else {
      assert.equal(st.relayed, 0);
      assert.equal(st.dropReasons.relay_refused, 3);
      assert.equal((await fake.events()).events.length, 0);
      assert.ok(bridgeConsole(s).some((m) => /relay_refused.*HTTP 403/.test(m)), JSON.stringify(bridgeConsole(s)));
    }
    await assertNoPageErrors(s);
  }
});

for (const heapKind of ['classic', 'v5']) test(`Heap loads (${heapKind} snippet): with a relay configured every event still goes to heap.track`, async () => {
  await fake.reset();
  const s = await openWith(h, page({ settings: { relayUrl: relay.url + '/v1/events', relayAfter: 300 }, heapKind }));
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  await s.page.waitForFunction(() => window.heapStandIn.calls.length >= 4, null, { timeout: TIMEOUT });
  await new Promise((r) => setTimeout(r, 600)); // past relayAfter
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.equal((await fake.events()).requests, 0, 'nothing went to the relay');
  const st = await bridgeStats(s.page);
  assert.equal(st.relayed, 0);
  assert.equal(st.forwarded, 3);
  await assertNoPageErrors(s);
});

test('a bad relayUrl is named in the console and events still reach a loaded Heap', async () => {
  const s = await openWith(h, page({ settings: { relayUrl: 'relay.example.com/v1/events' } }));
  await waitForBridge(s.page);
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await heap.runFlow7(s.page);
  await s.page.waitForFunction(() => window.heapStandIn.calls.length >= 4, null, { timeout: TIMEOUT });
  assert.ok(bridgeConsole(s).some((m) => m.includes('"relayUrl"')), JSON.stringify(bridgeConsole(s)));
  assert.deepEqual(await heapCalls(s.page), [heap.identify('alice'), ...heap.flow7('alice')]);
});
