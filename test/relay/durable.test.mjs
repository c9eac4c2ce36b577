// The relay keeps state (docs/contract.md §10) in workerd: the event queue's shards are Durable
// Objects with SQLite storage on local disk. Accepted events survive Heap being down and workerd
// being killed, and reach Heap once each; a configuration that cannot work is said by health.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeHeap, relayWith, post, event, waitFor, APP_ID } from './helpers.mjs';

let heap;
const stateDirs = [];
const relays = [];

before(async () => { heap = await startFakeHeap(); });
after(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await heap?.stop();
  for (const d of stateDirs) fs.rmSync(d, { recursive: true, force: true });
});

const start = async (vars, options) => {
  const r = await relayWith({ HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, ...vars }, options);
  relays.push(r);
  return r;
};
const health = async (relay) => {
  const res = await fetch(`${relay.url}/v1/health`);
  return { status: res.status, body: await res.json() };
};
const unique = (events) => new Set(events.map((e) => e.idempotency_key)).size;

test('Heap down, 200 events accepted, workerd killed with SIGKILL and started again on the same state: every event reaches Heap once', async () => {
  await heap.reset();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-state-'));
  stateDirs.push(stateDir);
  await heap.fail(Array(5000).fill(503));
  let relay = await start({}, { stateDir });
  const ids = [];
  for (let r = 0; r < 20; r++) {
    const events = Array.from({ length: 10 }, (_, i) => event({ identity: `user-${(r * 10 + i) % 37}@example.com` }));
    const res = await post(relay.url, { events });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.accepted.length, 10, res.text);
    ids.push(...res.json.accepted);
  }
  const before = await health(relay);
  assert.equal(before.body.events.queued, 200, JSON.stringify(before.body.events));
  assert.match(before.body.events.lastHeapError.cause, /HTTP 503/);
  assert.equal((await heap.events()).events.length, 0);

  process.kill(relay.pid, 'SIGKILL');
  await relay.exited;
  await heap.reset(); // Heap is back
  relay = await start({}, { stateDir });
  const got = await waitFor(async () => {
    const { events } = await heap.events();
    return unique(events) >= 200 && events;
  }, 90_000, 'the 200 events at Heap after the restart');
  assert.equal(unique(got), 200);
  assert.deepEqual(new Set(got.map((e) => e.idempotency_key)), new Set(ids));
  const snap = await heap.events();
  assert.equal(snap.events.length, 200, 'each event stored once');
  const after = await waitFor(async () => { const h = await health(relay); return h.body.events.queued === 0 && h; }, 10_000, 'an empty queue');
  assert.equal(after.body.ok, true);
});

test('events wait in the queue while Heap answers 503, then arrive, with one log line per delivery attempt', async () => {
  await heap.reset();
  const relay = await start({});
  const e = event({ identity: 'queue-test@example.com' });
  await heap.fail([503, 503]);
  const res = await post(relay.url, { events: [e] });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.accepted, [e.id]);
  const queued = await health(relay);
  assert.equal(queued.body.events.queued, 1);
  const got = await waitFor(async () => { const { events } = await heap.events(); return events.length === 1 && events; }, 20_000, 'the event at Heap');
  assert.equal(got[0].idempotency_key, e.id);
  const h = await waitFor(async () => { const x = await health(relay); return x.body.events.queued === 0 && x; }, 5_000, 'an empty queue');
  assert.equal(h.body.events.delivered, 1);
  assert.equal(h.body.events.retried, 2);
  assert.match(relay.logs(), /"what":"heap delivery".*"outcome":"queued","ms":\d+,"cause"/);
});

test('GET /v1/health with a placeholder HEAP_APP_ID answers ok:false, 500, and the reason', async () => {
  const relay = await start({ HEAP_APP_ID: 'YOUR_HEAP_APP_ID' });
  const h = await health(relay);
  assert.equal(h.status, 500);
  assert.equal(h.body.ok, false);
  assert.match(h.body.error, /HEAP_APP_ID "YOUR_HEAP_APP_ID" is not a Heap app id/);
});
