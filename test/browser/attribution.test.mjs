// Who is the user (issue 22): a call mirrored to Userpilot goes only to the user it was made as; the
// app's window.heap behaves as it did whatever its shape; nothing the bridge sends comes back as an
// echo or a loop; and the identity guard's table (docs/identity.md) holds in the page. Runs with the
// module in a Worker and again on the main thread (make test-browser).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, useBrowser, openWith, waitForAll, waitForBridge, waitForHeap, waitForIdle, bridgeStats, bridgeConsole,
  heapCalls, settle, assertNoPageErrors, TIMEOUT } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const ALL = { events: ['*'], userProperties: true };

const page = (toUserpilot = ALL, { heapKind = 'classic', extra = [] } = {}) => document(
  bridgeTag({ settings: { toUserpilot }, async: false }), userpilotSnippet(), heapKind ? heapSnippet(heapKind) : '', identify('alice'), ...extra);

// userpilotCalls is what Userpilot's stand-in received, in order, as [method, ...arguments].
const userpilotCalls = (s) => s.page.evaluate(() => userpilotStandIn.state().calls.map((c) => [c.method, ...c.args.filter((a) => a !== undefined)]));

// settled waits until the mirror holds nothing and checks its counters balance.
async function settled(s) {
  await waitForIdle(s.page);
  await s.page.waitForFunction(() => UserpilotHeapBridge.stats().toUserpilot.pending === 0, null, { timeout: TIMEOUT });
  await settle(s.page);
  const st = (await bridgeStats(s.page)).toUserpilot;
  assert.equal(st.received, st.forwarded + st.dropped + st.pending, JSON.stringify(st));
  return st;
}

// ---- 1. a mirrored call goes only to the user it was made as ----

const SWITCHES = { 'userpilot.anonymous()': 'userpilot.anonymous()', 'userpilot.clean()': 'userpilot.clean()', 'userpilot.identify("bob")': 'userpilot.identify("bob")' };
for (const [name, code] of Object.entries(SWITCHES)) {
  for (const later of [false, true]) {
    test(`calls made as alice, then ${name} ${later ? 'in the next task' : 'in the same task'}: nothing reaches Userpilot after the switch, Userpilot's user stays switched`, async () => {
      const s = await openWith(h, page());
      await waitForAll(s.page);
      await settled(s);
      await s.page.evaluate(([code, later]) => new Promise((resolve) => {
        heap.addUserProperties({ plan: 'pro' });
        heap.track('Plan upgraded', { seats: 3 });
        const change = () => { (0, eval)(code); resolve(); };
        if (later) setTimeout(change, 0); else change();
      }), [code, later]);
      const st = await settled(s);
      const calls = await userpilotCalls(s);
      const at = calls.findLastIndex((c) => ['anonymous', 'clean'].includes(c[0]) || (c[0] === 'identify' && c[1] === 'bob'));
      assert.ok(at > 0, JSON.stringify(calls));
      assert.deepEqual(calls.slice(at + 1), [], `calls after the switch: ${JSON.stringify(calls)}`);
      assert.equal(await s.page.evaluate(() => userpilotStandIn.state().userId), name.includes('bob') ? 'bob' : null);
      // Each of the two calls was either made before the switch, as alice, or dropped as identity_changed.
      const before = calls.slice(0, at).filter((c) => c[0] === 'track' || (c[0] === 'identify' && c[2]));
      assert.deepEqual(before.filter((c) => c[0] === 'identify').map((c) => c[1]), before.some((c) => c[0] === 'identify') ? ['alice'] : []);
      assert.equal(before.length + (st.dropReasons.identity_changed || 0), 2, `${JSON.stringify(calls)} ${JSON.stringify(st)}`);
      assert.equal(st.forwarded, before.length, JSON.stringify(st));
      if (st.dropReasons.identity_changed) {
        assert.ok(bridgeConsole(s).some((m) => m.includes('(identity_changed)')), JSON.stringify(bridgeConsole(s)));
      }
      await assertNoPageErrors(s);
    });
  }
}

test('a call made as alice and sent after a switch to bob and back to alice still goes to alice; userpilot.identify is only ever called with Userpilot\'s own user', async () => {
  const s = await openWith(h, page());
  await waitForAll(s.page);
  await settled(s);
  await s.page.evaluate(() => {
    heap.addUserProperties({ plan: 'pro' });
    userpilot.identify('bob');
    heap.addUserProperties({ plan: 'free' });
    userpilot.identify('alice');
  });
  const st = await settled(s);
  const calls = await userpilotCalls(s);
  // Whatever the timing, every identify the bridge made names the user Userpilot had just been given.
  let user = null;
  for (const c of calls) {
    if (c[0] === 'identify' && c.length === 2) user = c[1];
    if (c[0] === 'identify' && c[2]) assert.equal(c[1], user, `the bridge identified ${c[1]} while Userpilot's user was ${user}: ${JSON.stringify(calls)}`);
  }
  assert.equal(await s.page.evaluate(() => userpilotStandIn.state().userId), 'alice');
  assert.equal(st.received, 2);
  await assertNoPageErrors(s);
});

// ---- 2. window.heap behaves as it did, whatever its shape ----

// SHAPES builds, in the page, a Heap-like object of each shape; each records its calls on itself and
// returns a value, so what the app sees can be compared with an untouched twin.
const SHAPES = `
  window.shapes = {
    own: () => ({ calls: [], track(n, p) { this.calls.push(['track', n, p]); return 'tracked ' + n; },
      addUserProperties(p) { this.calls.push(['addUserProperties', p]); return 'added'; }, identify(id) { this.calls.push(['identify', id]); return 'identified'; } }),
    class: () => { class HeapLike { constructor() { this.calls = []; } track(n, p) { this.calls.push(['track', n, p]); return 'tracked ' + n; }
      addUserProperties(p) { this.calls.push(['addUserProperties', p]); return 'added'; } identify(id) { this.calls.push(['identify', id]); return 'identified'; } }
      window.HeapLike = window.HeapLike || HeapLike; return new window.HeapLike(); },
    frozen: () => Object.freeze(shapes.own()),
    'frozen class instance': () => Object.freeze(shapes.class()),
    proxy: () => new Proxy(shapes.own(), { get: (t, k, r) => Reflect.get(t, k, r) }),
    'proxy of a class instance': () => new Proxy(shapes.class(), {}),
  };
  window.view = (h) => ({
    type: typeof h.track, own: Object.prototype.hasOwnProperty.call(h, 'track'), keys: Object.keys(h).sort(), inKeys: 'track' in h,
    returned: [h.track('Plan seen', { seats: 2 }), h.addUserProperties({ plan: 'pro' }), h.identify('alice')], calls: h.calls,
  });`;

const MIRRORED = [['track', 'Plan seen', { seats: 2 }], ['identify', 'alice', { heap_plan: 'pro' }]];
for (const [shape, mirrored] of [['own', true], ['class', true], ['frozen', false], ['frozen class instance', true], ['proxy', true],
  ['proxy of a class instance', true]]) {
  test(`window.heap as ${shape === 'own' ? 'an object with its own methods' : `a ${shape}`}: the app sees what it saw without the bridge; ${mirrored ? 'its calls are mirrored' : 'the console says its calls cannot be mirrored'}`, async () => {
    const s = await openWith(h, page(ALL, { heapKind: null, extra: [script(SHAPES)] }));
    await waitForBridge(s.page);
    const seen = await s.page.evaluate((shape) => {
      const twin = shapes[shape]();
      window.heap = shapes[shape]();
      return { app: view(window.heap), twin: view(twin), same: window.heap === heap };
    }, shape);
    assert.deepEqual(seen.app, seen.twin, 'what the app sees');
    assert.equal(seen.app.type, 'function');
    await settled(s);
    const sent = (await userpilotCalls(s)).filter((c) => c[0] === 'track' || (c[0] === 'identify' && c[2]));
    assert.deepEqual(sent, mirrored ? MIRRORED : []);
    if (!mirrored) {
      assert.ok(bridgeConsole(s).some((m) => /window\.heap\.track cannot be wrapped/.test(m)), JSON.stringify(bridgeConsole(s)));
    }
    await assertNoPageErrors(s);
  });
}

for (const how of ['a value', 'a getter']) {
  test(`window.heap put in place with Object.defineProperty as ${how} after the bridge: the app's calls are mirrored`, async () => {
    const s = await openWith(h, page(ALL, { heapKind: null, extra: [script(SHAPES)] }));
    await waitForBridge(s.page);
    await s.page.evaluate((how) => {
      const o = shapes.own();
      Object.defineProperty(window, 'heap', how === 'a value' ? { value: o, writable: true, configurable: true } : { get: () => o, configurable: true });
    }, how);
    await new Promise((r) => setTimeout(r, 600)); // the bridge looks again within 250 ms
    const returned = await s.page.evaluate(() => [heap.track('Plan seen', { seats: 2 }), heap.addUserProperties({ plan: 'pro' }), heap.identify('alice'), heap.calls.length]);
    assert.deepEqual(returned, ['tracked Plan seen', 'added', 'identified', 3]);
    await settled(s);
    assert.deepEqual((await userpilotCalls(s)).filter((c) => c[0] === 'track' || (c[0] === 'identify' && c[2])), MIRRORED);
    await assertNoPageErrors(s);
  });
}

test('a page getter for window.heap keeps answering: the bridge hooks what it returns and never freezes it', async () => {
  const s = await openWith(h, document(script(`${SHAPES}; window.which = 'first'; window.pair = { first: shapes.own(), second: shapes.own() };
      Object.defineProperty(window, 'heap', { get: () => pair[which], configurable: true });`),
  bridgeTag({ settings: { toUserpilot: ALL }, async: false }), userpilotSnippet(), identify('alice')));
  await waitForBridge(s.page);
  const got = await s.page.evaluate(() => { const a = heap === pair.first; which = 'second'; return [a, heap === pair.second, heap.track('Plan seen', { seats: 2 })]; });
  assert.deepEqual(got, [true, true, 'tracked Plan seen']);
  await settled(s);
  assert.deepEqual((await userpilotCalls(s)).filter((c) => c[0] === 'track'), [MIRRORED[0]]);
  await assertNoPageErrors(s);
});

// ---- 3. no echo, no loop ----

// forward makes Userpilot send each track on to window.heap.track, as an integration might: at once,
// a task later with the very object it was given, or a task later with a copy of it.
const forward = (s, how) => s.page.evaluate((how) => {
  const track = userpilot.track;
  window.forwarded = 0;
  userpilot.track = function (name, props) {
    const r = track.apply(this, arguments);
    const send = () => { forwarded++; heap.track(name, how.endsWith('copy') ? { ...props } : props); };
    if (how === 'sync') send(); else setTimeout(send, 0);
    return r;
  };
}, how);

for (const [how, prefix] of [['sync', 'Heap: '], ['async', 'Heap: '], ['async', ''], ['async copy', 'Heap: '], ['async copy', '']]) {
  test(`Userpilot forwarding its track to heap.track (${how}${prefix ? ', with a prefix' : ', no prefix'}): one call reaches Userpilot, no loop`, async () => {
    const s = await openWith(h, page({ events: ['*'], prefix }));
    await waitForAll(s.page);
    await forward(s, how);
    await s.page.evaluate(() => heap.track('Plan upgraded', { seats: 3 }));
    await settled(s);
    await new Promise((r) => setTimeout(r, 500)); // a loop would go on making calls meanwhile
    const st = await settled(s);
    const tracks = (await userpilotCalls(s)).filter((c) => c[0] === 'track');
    assert.deepEqual(tracks, [['track', `${prefix}Plan upgraded`, { seats: 3 }]], `${tracks.length} calls, the last ${JSON.stringify(tracks.at(-1))}`);
    assert.equal(await s.page.evaluate(() => forwarded), 1);
    assert.equal(st.forwarded, 1, JSON.stringify(st));
    await assertNoPageErrors(s);
  });
}

for (const kind of ['classic', 'v5']) {
  test(`${kind} snippet: the bridge's own Heap calls made on the stub and replayed by the SDK never reach Userpilot`, async () => {
    const s = await openWith(h, page(ALL, { heapKind: kind }), { hold: ['heap'] });
    await waitForBridge(s.page);
    await s.page.waitForFunction(() => window.userpilotStandIn && userpilotStandIn.loaded, null, { timeout: TIMEOUT });
    await heap.runFlow7(s.page); // forwarded to Heap's stub, which the SDK replays when it loads
    await waitForIdle(s.page);
    s.release('heap');
    await waitForHeap(s.page);
    await s.page.evaluate(() => heap.track('Plan after', { n: 1 }));
    const st = await settled(s);
    const heapTracks = (await heapCalls(s.page)).filter((c) => c.method === 'track').map((c) => c.args[0]);
    assert.deepEqual(heapTracks, [...heap.flow7('alice').map((c) => c.args[0]), 'Plan after'], 'Heap got the bridge\'s calls, replayed');
    assert.deepEqual((await userpilotCalls(s)).filter((c) => c[0] === 'track'), [['track', 'Plan after', { n: 1 }]]);
    assert.deepEqual({ received: st.received, forwarded: st.forwarded }, { received: 1, forwarded: 1 }, JSON.stringify(st));
    await assertNoPageErrors(s);
  });
}

test('Userpilot\'s own names in any case and after any kind of space never go back to Userpilot', async () => {
  const s = await openWith(h, page({ events: ['*'] }));
  await waitForAll(s.page);
  const names = ['userpilot Experience (started)', 'Userpilot\u00a0Experience (started)', 'USERPILOT\u2003NPS (score)', 'Userpilot\tChecklist (completed)', 'Userpilots rock'];
  await s.page.evaluate((names) => names.forEach((n) => heap.track(n)), names);
  const st = await settled(s);
  assert.deepEqual((await userpilotCalls(s)).filter((c) => c[0] === 'track'), [['track', 'Userpilots rock', {}]]);
  assert.deepEqual(st.dropReasons, { userpilot_name: 4 });
  await assertNoPageErrors(s);
});

// ---- 4. the identity guard's table, in the page ----

// The rows of docs/identity.md: a Go string literal (JSON reads the escapes it uses) or a number.
const ROWS = readFileSync(new URL('../../docs/identity.md', import.meta.url), 'utf8').split('| id | result | the reason says |')[1]
  .split('\n').filter((l) => l.startsWith('| `')).map((l) => {
    const [cell, result, reason] = l.split('|').slice(1, 4).map((c) => c.trim());
    const lit = cell.slice(1, -1);
    return { lit, id: lit.startsWith('"') ? JSON.parse(lit) : Number(lit), accepted: result === 'accepted', reason };
  });

test(`the identity guard's table (${ROWS.length} rows of docs/identity.md): heap.identify gets exactly the accepted ids; each refusal is counted and said`, async () => {
  assert.ok(ROWS.length > 50, `${ROWS.length} rows read`);
  // 'first' lets Userpilot's SDK load; Heap hears of it only with an event, and none comes.
  const s = await openWith(h, document(bridgeTag({ async: false }), userpilotSnippet(), heapSnippet('classic'), identify('first')));
  await waitForAll(s.page);
  await s.page.evaluate((ids) => ids.forEach((id, i) => {
    userpilot.anonymous();
    userpilot.identify(id);
    userpilotStandIn.emit('started', { id: i, token: 't' });
  }), ROWS.map((r) => r.id));
  await waitForIdle(s.page);
  const calls = await heapCalls(s.page);
  const started = calls.filter((c) => c.method === 'track' && c.args[0] === 'Userpilot Experience (started)');
  assert.equal(started.length, ROWS.length);
  ROWS.forEach((row, i) => {
    const user = started[i].args[1].userpilot_user_id;
    if (row.accepted) assert.equal(user, String(row.id), `${row.lit} is accepted`);
    else assert.equal(user, undefined, `${row.lit} is refused (${row.reason})`);
  });
  const identified = calls.filter((c) => c.method === 'identify').map((c) => c.args[0]);
  assert.deepEqual(identified, [...ROWS.filter((r) => r.accepted).map((r) => String(r.id))]);
  const st = await bridgeStats(s.page);
  assert.equal(st.identityRejected, ROWS.filter((r) => !r.accepted).length, JSON.stringify(st));
  const said = bridgeConsole(s).join('\n').toLowerCase();
  for (const reason of new Set(ROWS.filter((r) => !r.accepted).map((r) => r.reason.toLowerCase()))) {
    assert.ok(said.includes(reason), `the console names "${reason}"`);
  }
  await assertNoPageErrors(s);
});
