// js/src/persist.js in Node, with a fake localStorage and a fake Web Locks manager shared by the
// "pages" of one origin (docs/contract.md §9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { persistence, STORED_PREFIX, MAX_STORED } from '../../js/src/persist.js';

// fakeStorage is localStorage's interface over a Map; throws names methods that throw.
function fakeStorage() {
  const map = new Map();
  const s = {
    throws: new Set(),
    ops: 0,
    get length() { return map.size; },
    key(i) { return [...map.keys()][i] ?? null; },
    getItem(k) { s.op('getItem'); return map.has(k) ? map.get(k) : null; },
    setItem(k, v) { s.op('setItem'); map.set(k, String(v)); },
    removeItem(k) { s.op('removeItem'); map.delete(k); },
    op(name) { s.ops++; if (s.throws.has(name)) throw new DOMException('refused', 'QuotaExceededError'); },
    keys() { return [...map.keys()]; },
  };
  return s;
}

// fakeLocks grants one exclusive lock at a time, in request order, across every page given it;
// each grant waits a macrotask, as a browser's lock manager answers in a later task.
function fakeLocks() {
  let tail = Promise.resolve();
  let held = 0, most = 0;
  return {
    get most() { return most; },
    request(name, fn) {
      const run = tail.then(() => new Promise((r) => setTimeout(r, 0))).then(async () => {
        held++; most = Math.max(most, held);
        try { return await fn({ name }); } finally { held--; }
      });
      tail = run.catch(() => {});
      return run;
    },
  };
}

function page(id, storage, locks) {
  return persistence({ storage: () => storage, locks, page: id });
}

// entry is an event entry as the loader stores it.
const entry = (id, who = 'alice', at = 1_799_999_999_000 + Number(id.split('-')[1] || 0)) =>
  [id, who, at, 'event', 'started', 3, 4, 5.5, ['o', 0, 'id', 7, 'token', 't']];

test('nothing pending: storage is not touched', () => {
  const storage = fakeStorage();
  const p = page('a', storage, fakeLocks());
  assert.deepEqual(p.write([]), { written: 0, refused: 0, given: [] });
  assert.equal(storage.ops, 0);
  assert.equal(p.parked(), false);
});

test('no Web Locks: nothing is written or claimed, since a claim could not be atomic', async () => {
  const storage = fakeStorage();
  const p = page('a', storage, null);
  assert.deepEqual(p.write([entry('a-1')]), { written: 0, refused: 0, given: [] });
  assert.equal(storage.ops, 0);
  assert.deepEqual(await p.claim(), { entries: [], overflow: 0, unavailable: 0 });
});

test('a later page claims what a left page wrote, with that page, once', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  assert.deepEqual(a.write([entry('a-2'), entry('a-1')]), { written: 2, refused: 0, given: [] });
  assert.deepEqual(storage.keys(), [STORED_PREFIX + 'a']);
  const b = page('b', storage, locks);
  const got = await b.claim();
  assert.deepEqual(got.entries.map((e) => [e[0], e[1], e[3], e[4], e[5]]), [['a-2', 'alice', 'a', 'event', 'started'], ['a-1', 'alice', 'a', 'event', 'started']]);
  assert.deepEqual(got.entries[1].slice(6), [3, 4, 5.5, ['o', 0, 'id', 7, 'token', 't']]);
  assert.deepEqual(storage.keys(), []);
  assert.deepEqual((await page('c', storage, locks).claim()).entries, []);
});

test('two pages claiming at once take each entry once between them', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  for (const id of ['a', 'b', 'c']) page(id, storage, locks).write([entry(id + '-1'), entry(id + '-2')]);
  const [x, y] = await Promise.all([page('x', storage, locks).claim(), page('y', storage, locks).claim()]);
  const ids = [...x.entries, ...y.entries].map((e) => e[0]).sort();
  assert.deepEqual(ids, ['a-1', 'a-2', 'b-1', 'b-2', 'c-1', 'c-2']);
  assert.equal(locks.most, 1);
});

test('a page never claims its own key; shown again, it takes it back', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1')]);
  assert.deepEqual((await a.claim()).entries, []);
  assert.equal(a.parked(), true);
  assert.deepEqual(await a.takeBack(), []);
  assert.equal(a.parked(), false);
  assert.deepEqual(storage.keys(), []);
  assert.deepEqual((await page('b', storage, locks).claim()).entries, []);
});

test('still hidden when an answer comes: each event stays stored until just before its own call, under the lock', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1'), entry('a-2'), entry('a-3')]);
  a.unstore('a-1'); // outside takeBack: storage is not touched
  const ids = (k) => JSON.parse(storage.getItem(k)).entries.map((e) => e[0]);
  assert.deepEqual(ids('userpilot-heap-bridge:pending:a'), ['a-1', 'a-2', 'a-3']);
  const seen = [];
  const given = await a.takeBack(() => {
    assert.equal(a.parked(), false, 'the held calls are made, not held again');
    a.unstore('a-1');
    seen.push(ids('userpilot-heap-bridge:pending:a')); // what a page ended now would leave
    a.unstore('a-2');
    seen.push(ids('userpilot-heap-bridge:pending:a'));
  });
  assert.deepEqual(given, []);
  assert.deepEqual(seen, [['a-2', 'a-3'], ['a-3']]);
  assert.equal(a.parked(), true, 'a-3, not called yet, stays stored');
  assert.deepEqual((await page('b', storage, locks).claim()).entries.map((e) => e[0]), ['a-3']);
  assert.deepEqual(await a.takeBack(() => assert.fail('the key was claimed')), ['a-3']);
  assert.equal(a.parked(), false);
});

test('still hidden, every event called: the record is removed', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1')]);
  await a.takeBack(() => a.unstore('a-1'));
  assert.equal(a.parked(), false);
  assert.deepEqual(storage.keys(), []);
});

test('a page in the back/forward cache whose key was claimed learns which ids it gave away', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1'), entry('a-2')]);
  await page('b', storage, locks).claim();
  assert.deepEqual((await a.takeBack()).sort(), ['a-1', 'a-2']);
  assert.deepEqual(await a.takeBack(), []);
});

test('hidden again before taking back: a claimed earlier write is left out, the rest is written', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1')]);
  await page('b', storage, locks).claim();
  assert.deepEqual(a.write([entry('a-1'), entry('a-2')]), { written: 1, refused: 0, given: ['a-1'] });
  const got = await page('c', storage, locks).claim();
  assert.deepEqual(got.entries.map((e) => e[0]), ['a-2']);
});

test('hidden again with the earlier write unclaimed: it is replaced, not added to', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  a.write([entry('a-1')]);
  assert.deepEqual(a.write([entry('a-1'), entry('a-2')]), { written: 2, refused: 0, given: [] });
  assert.deepEqual((await page('b', storage, locks).claim()).entries.map((e) => e[0]), ['a-1', 'a-2']);
});

test('pagehide then visibilitychange with the same events pending: written once, counted once', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const a = page('a', storage, locks);
  assert.deepEqual(a.write([entry('a-1'), entry('a-2')]), { written: 2, refused: 0, given: [] });
  const ops = storage.ops;
  assert.deepEqual(a.write([entry('a-1'), entry('a-2')]), { written: 0, refused: 0, given: [] });
  assert.equal(storage.ops - ops, 1, 'only the check that the key is still there');
  assert.deepEqual(a.write([entry('a-1'), entry('a-2'), entry('a-3')]), { written: 3, refused: 0, given: [] }, 'another event: written again');
  assert.deepEqual(await a.takeBack(), []);
  assert.deepEqual(a.write([entry('a-1'), entry('a-2'), entry('a-3')]), { written: 3, refused: 0, given: [] }, 'taken back, then hidden again: written again');
  assert.deepEqual((await page('b', storage, locks).claim()).entries.map((e) => e[0]), ['a-1', 'a-2', 'a-3']);
});

test('storage that throws never reaches the page: refused writes, empty claims, unremovable entries left out', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  storage.throws.add('setItem');
  const a = page('a', storage, locks);
  assert.deepEqual(a.write([entry('a-1'), entry('a-2')]), { written: 0, refused: 2, given: [] });
  assert.equal(a.parked(), false);
  storage.throws.clear();
  a.write([entry('a-1'), entry('a-2')]);
  storage.throws.add('removeItem');
  assert.deepEqual(await page('b', storage, locks).claim(), { entries: [], overflow: 0, unavailable: 2 });
  storage.throws.add('getItem');
  assert.deepEqual(await page('c', storage, locks).claim(), { entries: [], overflow: 0, unavailable: 0 });
  const gone = persistence({ storage: () => { throw new DOMException('denied', 'SecurityError'); }, locks, page: 'd' });
  assert.deepEqual(gone.write([entry('d-1')]), { written: 0, refused: 1, given: [] });
  assert.deepEqual(await gone.claim(), { entries: [], overflow: 0, unavailable: 0 });
});

test('at most MAX_STORED entries a page: it writes its newest, and the record says how many it left out', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  const many = (p, n) => Array.from({ length: n }, (_, i) => entry(p + '-' + i, 'alice', 1_799_999_000_000 + i * 10));
  assert.deepEqual(page('a', storage, locks).write(many('a', MAX_STORED + 3)), { written: MAX_STORED, refused: 0, given: [] });
  page('b', storage, locks).write(many('b', 10));
  const got = await page('c', storage, locks).claim();
  assert.equal(got.entries.length, MAX_STORED + 10, 'the module applies the limit over what it is handed');
  assert.equal(got.overflow, 3);
  assert.equal(got.entries.filter((e) => e[3] === 'a')[0][0], 'a-3', 'a-0..a-2 were never written');
});

test('a record that is not one of ours is removed and ignored; entries that are not arrays are left out (the module checks the rest)', async () => {
  const storage = fakeStorage(), locks = fakeLocks();
  storage.setItem(STORED_PREFIX + 'x', '{nope');
  storage.setItem(STORED_PREFIX + 'y', JSON.stringify({ v: 1, page: 'y', entries: ['x', ['y-1', null, 5, 'event', 'started', 0, 0, 0, {}]] }));
  storage.setItem(STORED_PREFIX + 'z', JSON.stringify({ v: 2, page: 'z', entries: [['z-1']] }));
  storage.setItem('other', 'kept');
  const got = await page('c', storage, locks).claim();
  assert.deepEqual(got.entries.map((e) => e[0]), ['y-1']);
  assert.deepEqual(storage.keys(), ['other']);
});
