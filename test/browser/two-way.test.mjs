// Heap to Userpilot in the page (docs/contract.md §7, setting toUserpilot): the page's own heap.track and
// heap.addUserProperties calls reach Userpilot once, with its value rules, held until Userpilot has
// a user; never the bridge's own Heap calls or Userpilot's native integration.
import assert from 'node:assert/strict';
import { test, useBrowser, openWith, waitForAll, waitForBridge, waitForUserpilot, waitForHeap, addBridgeLate, bridgeStats,
  bridgeConsole, assertNoPageErrors, waitForIdle, TIMEOUT } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const ALL = { events: ['*'], userProperties: true };

const page = (toUserpilot, { kind = 'classic', who = 'alice', extra = [] } = {}) => document(
  bridgeTag({ settings: { toUserpilot }, async: false }), userpilotSnippet(), heapSnippet(kind),
  who ? identify(who) : '', ...extra);

// userpilotCalls returns the track and identify calls Userpilot received (its stand-in's record).
const userpilotCalls = (s, methods = ['track']) => s.page.evaluate((methods) =>
  userpilotStandIn.state().calls.filter((c) => methods.includes(c.method)).map((c) => [c.method, ...c.args]), methods);
const mirrorStats = async (s) => (await bridgeStats(s.page)).toUserpilot;

// settled waits until the mirror holds nothing (calls in flight to the module count as pending).
async function settled(s) {
  await waitForIdle(s.page);
  await s.page.waitForFunction(() => {
    const t = UserpilotHeapBridge.stats().toUserpilot;
    return t && t.pending === 0;
  }, null, { timeout: TIMEOUT });
  const st = await mirrorStats(s);
  assert.equal(st.received, st.forwarded + st.dropped + st.pending, JSON.stringify(st));
  return st;
}

test('names matching the patterns reach userpilot.track with the prefix and Userpilot\'s value rules; others are counted', async () => {
  const s = await openWith(h, page({ events: ['Plan *', 'Signed up'], prefix: 'Heap: ' }));
  await waitForAll(s.page);
  const returned = await s.page.evaluate(() => [
    heap.track('Plan upgraded', { plan: 'pro', seats: 3, trial: false, at: new Date(0), meta: { source: 'billing' }, gone: null, fn() {} }),
    heap.track('Signed up'),
    heap.track('Clicked nothing', { a: 1 }),
  ]);
  assert.deepEqual(returned, [null, null, null].map(() => undefined), "the app's calls return what Heap returns");
  const st = await settled(s);
  assert.deepEqual(await userpilotCalls(s), [
    ['track', 'Heap: Plan upgraded', { plan: 'pro', seats: 3, trial: 'false', at: '1970-01-01T00:00:00.000Z', 'meta.source': 'billing' }],
    ['track', 'Heap: Signed up', {}],
  ]);
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, dropped: st.dropped, reasons: st.dropReasons, props: st.propertyDrops },
    { received: 3, forwarded: 2, dropped: 1, reasons: { not_listed: 1 }, props: { unsupported_value: 2 } });
  // Heap got every call of the app as it was made, the bridge's identify for alice too.
  const tracks = await s.page.evaluate(() => heapStandIn.calls.filter((c) => c.method === 'track').map((c) => c.args[0]));
  assert.deepEqual(tracks, ['Plan upgraded', 'Signed up', 'Clicked nothing']);
  await assertNoPageErrors(s);
});

for (const kind of ['classic', 'v5']) {
  test(`${kind} snippet: calls made on the stub, then replayed by the SDK, reach Userpilot once`, async () => {
    const s = await openWith(h, page(ALL, { kind, extra: [script("heap.track('Early one', { n: 1 }); heap.track('Early two');")] }), { hold: ['heap'] });
    await waitForBridge(s.page);
    await waitForUserpilot(s.page);
    await s.page.evaluate(() => heap.track('On the stub', { n: 2 }));
    s.release('heap');
    await waitForHeap(s.page);
    await s.page.evaluate(() => heap.track('On the SDK', { n: 3 }));
    await heap.runFlow7(s.page); // the bridge's own Heap calls: never mirrored
    const st = await settled(s);
    assert.deepEqual(await userpilotCalls(s), [
      ['track', 'Early one', { n: 1 }], ['track', 'Early two', {}], ['track', 'On the stub', { n: 2 }], ['track', 'On the SDK', { n: 3 }]]);
    assert.deepEqual({ received: st.received, forwarded: st.forwarded, dropped: st.dropped }, { received: 4, forwarded: 4, dropped: 0 });
    const heapTracks = await s.page.evaluate(() => heapStandIn.calls.filter((c) => c.method === 'track').map((c) => c.args[0]));
    assert.deepEqual(heapTracks, ['Early one', 'Early two', 'On the stub', 'On the SDK', ...heap.flow7('alice').map((c) => c.args[0])],
      'Heap got each call once, in order');
    await assertNoPageErrors(s);
  });
}

test('a bridge added after Heap loaded mirrors the calls made after it', async () => {
  const s = await openWith(h, document(userpilotSnippet(), heapSnippet('classic'), identify('alice'),
    script(`window.userpilotHeapBridgeSettings = ${JSON.stringify({ toUserpilot: ALL })};`)));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await s.page.evaluate(() => heap.track('Before the bridge'));
  await addBridgeLate(s.page);
  await waitForBridge(s.page);
  await s.page.evaluate(() => heap.track('After the bridge', { x: 'y' }));
  await settled(s);
  assert.deepEqual(await userpilotCalls(s), [['track', 'After the bridge', { x: 'y' }]]);
  await assertNoPageErrors(s);
});

test('calls before userpilot.identify are held and sent right after it; after anonymous() they are dropped and counted', async () => {
  const s = await openWith(h, page(ALL, { who: null }));
  await waitForBridge(s.page);
  await waitForHeap(s.page); // Userpilot's SDK loads only once someone is identified
  await s.page.evaluate(() => { heap.track('Held one', { i: 1 }); heap.addUserProperties({ plan: 'pro' }); heap.track('Held two'); });
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().toUserpilot.received === 3, null, { timeout: TIMEOUT });
  await waitForIdle(s.page);
  assert.equal((await mirrorStats(s)).pending, 3, 'held');
  assert.deepEqual(await s.page.evaluate(() => userpilotCallMethods.track), [], 'nothing before identify');
  await s.page.evaluate(() => userpilot.identify('alice'));
  await waitForUserpilot(s.page);
  await s.page.waitForFunction(() => userpilotStandIn.state().calls.filter((c) => c.method === 'track').length === 2, null, { timeout: TIMEOUT });
  // Userpilot's stub queues each method apart, so its SDK replays identify calls before tracks.
  assert.deepEqual(await userpilotCalls(s), [['track', 'Held one', { i: 1 }], ['track', 'Held two', {}]]);
  assert.deepEqual((await userpilotCalls(s, ['identify'])).map((c) => c.slice(1).filter((x) => x !== undefined)),
    [['alice'], ['alice', { heap_plan: 'pro' }]]);
  await s.page.evaluate(() => { userpilot.anonymous(); heap.track('While anonymous'); });
  const st = await settled(s);
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, reasons: st.dropReasons }, { received: 4, forwarded: 3, reasons: { anonymous: 1 } });
  assert.equal((await userpilotCalls(s)).length, 2);
  await assertNoPageErrors(s);
});

test('heap.identify that disagrees with Userpilot\'s user: one warning and a count; Userpilot\'s user is kept', async () => {
  const s = await openWith(h, page(ALL));
  await waitForAll(s.page);
  await s.page.evaluate(() => { heap.identify('bob'); heap.identify('bob'); heap.identify('alice'); heap.track('After'); });
  const st = await settled(s);
  assert.equal(st.identityMismatch, 2);
  const warned = bridgeConsole(s).filter((m) => m.includes('differs from Userpilot'));
  assert.equal(warned.length, 1, JSON.stringify(bridgeConsole(s)));
  assert.match(warned[0], /heap\.identify\("bob"\) differs from Userpilot's user "alice"/);
  assert.equal(await s.page.evaluate(() => userpilotStandIn.state().userId), 'alice');
  await assertNoPageErrors(s);
});

test('loop guards: the bridge\'s own Heap calls, Userpilot\'s native integration and "Userpilot " names never reach Userpilot', async () => {
  const s = await openWith(h, document(bridgeTag({ settings: { toUserpilot: ALL }, async: false }),
    userpilotSnippet({ settings: { standInNativeHeap: true } }), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page); // the bridge and the native integration both reach Heap's interface
  await s.page.evaluate(() => {
    userpilotStandIn.checklist('completed', { id: 1 });
    userpilotStandIn.nps('score', { score: 9 });
    heap.track('Userpilot Experience (started)', { by: 'the app' }); // the app itself, with Userpilot's name
  });
  const st = await settled(s);
  assert.deepEqual(await userpilotCalls(s), []);
  assert.deepEqual({ received: st.received, reasons: st.dropReasons }, { received: 1, reasons: { userpilot_name: 1 } });
  assert.ok((await s.page.evaluate(() => heapStandIn.calls.length)) >= 4, 'Heap got the bridge\'s calls');
  await assertNoPageErrors(s);
});

test('bad toUserpilot values are named in the console; a Userpilot that throws is counted; the app\'s call is unharmed', async () => {
  const s = await openWith(h, page({ events: ['*', 7], prefix: 9, surplus: true }));
  await waitForAll(s.page);
  const warnings = bridgeConsole(s);
  for (const want of ['"toUserpilot.events" has an entry that is the number 7', '"toUserpilot.prefix" is the number 9', 'unknown key "surplus" in setting "toUserpilot"']) {
    assert.ok(warnings.some((m) => m.includes(want)), `${want} in ${JSON.stringify(warnings)}`);
  }
  const got = await s.page.evaluate(() => {
    // stats() right after the throw, and until the module has heard of it: never counted forwarded.
    window.before = UserpilotHeapBridge.stats().toUserpilot;
    window.seen = [];
    const look = () => { const t = UserpilotHeapBridge.stats().toUserpilot; seen.push(t); if (!t.dropped) setTimeout(look, 0); };
    userpilot.track = function () { queueMicrotask(look); throw new Error('userpilot broke'); };
    const inner = heap.track;
    heap.track = function () { inner.apply(this, arguments); return 42; };
    return heap.track('Works anyway');
  });
  assert.equal(got, 42, "the app's heap.track returns what Heap's returns");
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().toUserpilot.dropped === 1, null, { timeout: TIMEOUT });
  const { before, seen } = await s.page.evaluate(() => ({ before, seen }));
  assert.ok(seen.length > 0, 'stats() was read after the throw');
  for (const t of seen) {
    assert.equal(t.forwarded, before.forwarded, `the call that threw read as forwarded: ${JSON.stringify(seen)}`);
    assert.equal(t.received, t.forwarded + t.dropped + t.pending, JSON.stringify(t));
  }
  const st = await settled(s);
  assert.deepEqual(st.dropReasons, { userpilot_error: 1 });
  assert.ok(bridgeConsole(s).some((m) => /userpilot\.track threw: userpilot broke/.test(m)));
  await assertNoPageErrors(s);
});

test('fuzz: 2,000 random heap.track and addUserProperties calls are each mirrored once or counted, with Userpilot-safe values', async (t) => {
  const s = await openWith(h, page({ events: ['Plan *', 'Event *', '*ed'], userProperties: true }));
  await waitForAll(s.page);
  const sent = await s.page.evaluate(() => {
    let seed = 20261130;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
    const value = (d) => {
      const r = rnd();
      if (d > 2 || r < 0.4) return pick(['x', '', 'é😀', 'a'.repeat(2000), 0, -1.5, 1e300, NaN, Infinity, true, false, null, undefined, new Date(rnd() * 1e12), new Date(NaN), Symbol('s'), () => 1, 10n]);
      if (r < 0.7) { const o = {}; for (let i = 0; i < 4; i++) o[pick(['a', 'b', 'c.d', '', '__proto__', 'constructor', 'k'.repeat(600)])] = value(d + 1); return o; }
      return [value(d + 1), value(d + 1)];
    };
    const names = () => pick(['Plan up', 'Event x', 'Clicked', 'Signed', 'Userpilot X (y)', '', 7, null, 'Plan ' + 'p'.repeat(300)]);
    let tracks = 0, props = 0;
    for (let i = 0; i < 2000; i++) {
      if (rnd() < 0.8) { tracks++; heap.track(names(), rnd() < 0.8 ? value(0) : 'not an object'); } else { props++; heap.addUserProperties(value(0)); }
    }
    return { tracks, props };
  });
  const st = await settled(s);
  const calls = await s.page.evaluate(() => userpilotStandIn.state().calls.filter((c) => c.method === 'track' || (c.method === 'identify' && c.args[1])));
  t.diagnostic(`fuzz: ${sent.tracks} tracks and ${sent.props} addUserProperties; Userpilot got ${calls.length}; ${JSON.stringify(st)}`);
  assert.equal(st.received, 2000);
  assert.equal(st.received, st.forwarded + st.dropped);
  assert.equal(calls.length, st.forwarded, 'each forwarded call reached Userpilot once');
  for (const c of calls) {
    const props = c.method === 'track' ? c.args[1] : c.args[1];
    if (c.method === 'track') assert.ok(typeof c.args[0] === 'string' && c.args[0].length > 0 && c.args[0].length <= 255 && !c.args[0].startsWith('Userpilot '), c.args[0]);
    for (const [k, v] of Object.entries(props)) {
      assert.ok(k.length > 0 && k.length < 512 && !/(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(k), `key ${k}`);
      assert.ok(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)), `${k}: ${JSON.stringify(v)}`);
    }
  }
  await assertNoPageErrors(s);
});
