// docs/contract.md §4 limits: bad payloads are dropped with a reason, odd ones are forwarded clean, nothing throws.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, finalCalls, bridgeStats, heapViolations, assertNoPageErrors, assertStatsBalance } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

// openAnonymous loads everything with no identified user, so tracks carry no userpilot_user_id.
async function openAnonymous() {
  const s = await h.open(document(userpilotSnippet(), heapSnippet('classic'), bridgeTag(), script('userpilot.anonymous();')));
  await waitForAll(s.page);
  return s;
}

async function finish(s, expected) {
  assert.deepEqual(await finalCalls(s.page, expected.length), expected);
  assert.deepEqual(await heapViolations(s.page), []);
  await assertNoPageErrors(s);
  return assertStatsBalance(s.page);
}

test('non-object payloads are dropped as invalid_payload', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    for (const p of [undefined, 5, 'x']) userpilotStandIn.emit('started', p);
    userpilotStandIn.emit('started', { id: 1, token: 'ok' });
  });
  const st = await finish(s, [heap.started(1, 'ok')]);
  assert.equal(st.dropReasons.invalid_payload, 3, JSON.stringify(st));
});

test('a missing or mistyped id is dropped as invalid_id', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    for (const id of [undefined, {}, true, NaN]) userpilotStandIn.emit('started', id === undefined ? { token: 't' } : { id, token: 't' });
    userpilotStandIn.emit('started', { id: 1, token: 'ok' });
  });
  const st = await finish(s, [heap.started(1, 'ok')]);
  assert.equal(st.dropReasons.invalid_id, 4, JSON.stringify(st));
});

test('a 100 KB token is cut to 1023 UTF-16 units', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 1, token: 'a'.repeat(100_000) }));
  await finish(s, [heap.started(1, 'a'.repeat(1023))]);
});

test('a surrogate pair straddling the cut is never split', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 1, token: 'a'.repeat(1022) + '\u{1F600}' + 'b'.repeat(50_000) }));
  await finish(s, [heap.started(1, 'a'.repeat(1022))]);
});

// Fields beyond docs/contract.md §4's are kept under their own names by the property rules (README).
test('extra payload fields are forwarded flattened, joined and limit-safe', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    userpilotStandIn.emit('started', { id: 1, token: 't1', nested: { a: { b: [1, { c: 2 }] } }, list: [1, 2], fn() {} });
  });
  await finish(s, [{ method: 'track', args: ['Userpilot Experience (started)',
    { experience_id: 1, experience_token: 't1', 'nested.a.b.0': 1, 'nested.a.b.1.c': 2, list: '1||2' }] }]);
  const stats = await s.page.evaluate(() => UserpilotHeapBridge.stats());
  assert.equal(stats.propertyDrops.unsupported_value, 1, 'the function is left out and counted');
});

test('cyclic and prototype-polluting payloads are forwarded clean', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    const cyclic = { id: 2, token: 't2' };
    cyclic.self = cyclic;
    cyclic.deep = { back: cyclic };
    userpilotStandIn.emit('started', cyclic);
    userpilotStandIn.emit('started', JSON.parse('{"__proto__":{"x":1},"id":3,"token":"t"}'));
    userpilotStandIn.emit('step', { id: 5, token: 't5', step: 2, totalSteps: 4, constructor: 'x', prototype: 1 });
  });
  await finish(s, [heap.started(2, 't2'), heap.started(3, 't'), heap.step(5, 't5', 2, 4)]);
  assert.equal(await s.page.evaluate(() => ({}).x), undefined, 'Object.prototype untouched');
});

test('a payload whose token getter throws is forwarded without the token', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 4, get token() { throw new Error('boom'); } }));
  await finish(s, [{ method: 'track', args: ['Userpilot Experience (started)', { experience_id: 4 }] }]);
});

test('stats balance after a mix of good and bad events', async () => {
  const s = await openAnonymous();
  await s.page.evaluate(() => {
    userpilotStandIn.emit('started', null);
    userpilotStandIn.emit('completed', { id: [7], token: 't' });
    userpilotStandIn.startFlow(7, 'tok7', 3);
    userpilotStandIn.complete();
  });
  const st = await finish(s, heap.flow7());
  assert.equal(st.forwarded, 3);
  assert.equal(st.dropped, 2, JSON.stringify(await bridgeStats(s.page)));
});
