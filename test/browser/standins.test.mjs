// Checks of the stand-ins themselves, without the bridge: if these fail, nothing else is meaningful.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForHeap, finalCalls, heapViolations, hostCalls, assertNoPageErrors } from './harness.mjs';
import { document, script, userpilotSnippet, userpilotNpm, heapSnippet, identify, USERPILOT_LOCAL } from './pages.mjs';

const h = useBrowser();

for (const mode of ['single', 'list']) {
  test(`userpilot stand-in replays the stub queue and swaps in the SDK (${mode})`, async () => {
    const s = await h.open(document(userpilotSnippet({ mode })), { hold: ['userpilotApp'] });
    const { page } = s;
    assert.equal(await page.evaluate(() => userpilot.initialized), -1);
    await page.evaluate(() => { window.got = []; userpilot.on('started', (e) => got.push(['a', e.id])); userpilot.identify('alice'); });
    assert.equal(await page.evaluate(() => userpilotCallMethods.on.length), 2);
    s.release('userpilotApp');
    await waitForUserpilot(page);
    const r = await page.evaluate(() => {
      userpilot.on('started', (e) => got.push(['b', e.id]));
      userpilotStandIn.emit('started', { id: 1, token: 't' });
      return {
        initialized: userpilot.initialized, queued: userpilotCallMethods.on.length + userpilotCallMethods.identify.length,
        got, user: localStorage.getItem(userpilotStandIn.storageKey()), completed: userpilotStandIn.handlers('completed'),
      };
    });
    assert.equal(r.initialized, true);
    assert.equal(r.queued, 0);
    assert.equal(r.user, 'alice');
    assert.equal(r.completed, 1);
    assert.deepEqual(r.got, mode === 'list' ? [['a', 1], ['b', 1]] : [['b', 1]]);
    await page.evaluate(() => { userpilotStandIn.startFlow(2, 't2', 2); userpilotStandIn.nextStep(); userpilotStandIn.nextStep(); });
    assert.deepEqual(await hostCalls(page), [2]);
    await assertNoPageErrors(s);
  });
}

test('userpilot stand-in: list mode once/off, throwing handler does not stop others', async () => {
  const s = await h.open(document(userpilotSnippet({ mode: 'list', host: false }), identify('u1')));
  const { page } = s;
  await waitForUserpilot(page);
  const r = await page.evaluate(() => {
    const got = [];
    userpilot.once('step', () => got.push('once'));
    userpilot.on('step', () => { throw new Error('boom'); });
    userpilot.on('step', () => got.push('on'));
    userpilotStandIn.emit('step', {});
    userpilotStandIn.emit('step', {});
    const before = userpilotStandIn.handlers('step');
    userpilot.off('step');
    userpilotStandIn.emit('step', {});
    return { got, before, after: userpilotStandIn.handlers('step'), errors: userpilotStandIn.handlerErrors.length };
  });
  assert.deepEqual(r, { got: ['once', 'on', 'on'], before: 2, after: 0, errors: 2 });
});

test('userpilot stand-in: invalid id is refused with a console error', async () => {
  const s = await h.open(document(userpilotSnippet(), identify('ok')));
  await waitForUserpilot(s.page);
  await s.page.evaluate(() => userpilot.identify({ id: 1 }));
  assert.ok(s.console.some((m) => m.type === 'error' && /user id can only be of type string or number/.test(m.text)));
  assert.equal(await s.page.evaluate(() => userpilotStandIn.state().userId), 'ok');
});

test('userpilot stand-in through the real npm wrapper', async () => {
  const s = await h.open(document(userpilotNpm({ mode: 'list' })));
  await waitForUserpilot(s.page);
  await s.page.evaluate(() => { userpilotStandIn.startFlow(3, 't3', 1); userpilotStandIn.complete(); });
  assert.deepEqual(await hostCalls(s.page), [3]);
  assert.equal(await s.page.evaluate(() => userpilotStandIn.state().userId), 'alice');
  assert.ok(s.requests.some((u) => /\/sdk\/version\/v0\/app\.js$/.test(u)), s.requests.join());
});

for (const kind of ['classic', 'v5']) {
  test(`heap stand-in replays the ${kind} queue in order`, async () => {
    const s = await h.open(document(heapSnippet(kind)), { hold: ['heap'] });
    const { page } = s;
    await page.evaluate(() => { heap.identify('alice'); heap.track('A', { a: 1 }); heap.resetIdentity(); });
    assert.equal(await page.evaluate(() => window.heapStandIn), undefined);
    s.release('heap');
    await waitForHeap(page);
    await page.evaluate(() => heap.track('B'));
    if (kind === 'v5') await page.evaluate(() => heapReadyCb.push({ name: 'track', fn: () => heap.track('C') }));
    const calls = await finalCalls(page, kind === 'v5' ? 5 : 4);
    const expected = [
      { method: 'identify', args: ['alice'] }, { method: 'track', args: ['A', { a: 1 }] },
      { method: 'resetIdentity', args: [] }, { method: 'track', args: ['B'] },
    ];
    if (kind === 'v5') expected.push({ method: 'track', args: ['C'] });
    assert.deepEqual(calls, expected);
    assert.deepEqual(await page.evaluate(() => [heap.loaded, heapStandIn.replayed]), [true, 3]);
    assert.deepEqual(await heapViolations(page), []);
  });
}

test('heap stand-in flags calls outside Heap web limits', async () => {
  const s = await h.open(document(heapSnippet('classic')));
  await waitForHeap(s.page);
  const v = await s.page.evaluate(() => {
    heap.track('x'.repeat(256));
    heap.track('ok', { n: NaN, o: {}, s: 'y'.repeat(1024), h: 'a\ud83d', ['k'.repeat(512)]: 1 });
    heap.track('ok', JSON.parse('{"__proto__": 1}'));
    heap.track('ok', [1]);
    heap.identify(''); heap.identify(' Guest '); heap.identify(42); heap.identify('z'.repeat(256));
    heap.track('fine', { a: 'b', n: 1, t: true });
    heap.identify('alice');
    return heapStandIn.violations.map((x) => x.method);
  });
  assert.deepEqual(v, ['track', 'track', 'track', 'track', 'track', 'track', 'track', 'track', 'identify', 'identify', 'identify', 'identify']);
});

test('local CDN aliases serve the stand-ins (pages without route interception)', async () => {
  const s = await h.open(document(
    userpilotSnippet({ src: USERPILOT_LOCAL }), heapSnippet('v5', { cdn: '/heap-cdn' }), identify('bob'),
    script("userpilot.on('started', function (e) { heap.track('seen', { id: e.id }); });"),
  ));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  await s.page.evaluate(() => userpilotStandIn.startFlow(9, 't9', 1));
  assert.deepEqual(await finalCalls(s.page, 1), [{ method: 'track', args: ['seen', { id: 9 }] }]);
  assert.deepEqual(s.requests, []);
});
