// Heap's limits hold in workerd (docs/contract.md §10): with a small per-app rate, the fake Heap
// answers 429 beyond it (as Heap does), yet it never has to: the event queue's 16 shard objects
// send at most their share of HEAP_EVENTS_PER_MINUTE each, and what is over waits in the queue
// and arrives a minute later. Eight clients send at once, one identity per request as a page does,
// their identities covering every shard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeHeap, relayWith, post, event, waitFor, shardOf, APP_ID } from './helpers.mjs';

const APP_PER_MINUTE = 48; // 3 a minute for each of the 16 shards
const PER_IDENTITY = 5; // 80 events in all: 48 at once, 32 a minute later

let heap;
let relay;
before(async () => {
  heap = await startFakeHeap();
  await heap.rates({ appPerMinute: APP_PER_MINUTE, identityPerMinute: 1000 });
  relay = await relayWith({ HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, HEAP_EVENTS_PER_MINUTE: String(APP_PER_MINUTE),
    RATE_CLIENT_PER_MINUTE: '100000', RATE_IDENTITY_EVENTS_PER_MINUTE: '100000' });
});
after(async () => {
  await relay?.stop();
  await heap?.stop();
});

// oneIdentityPerShard returns 16 identities, the i-th in shard i.
function oneIdentityPerShard() {
  const out = new Array(16);
  for (let n = 0, left = 16; left > 0; n++) {
    const id = `limits-${process.pid}-${n}`;
    if (out[shardOf(id)] === undefined) { out[shardOf(id)] = id; left--; }
  }
  return out;
}

test('limits hold with a small per-app rate: Heap never answers 429, and everything arrives later', async () => {
  const identities = oneIdentityPerShard();
  const sent = [];
  // Client c sends for identities 2c and 2c+1, one event a request, from its own address.
  await Promise.all(Array.from({ length: 8 }, async (_, c) => {
    for (let k = 0; k < PER_IDENTITY; k++) {
      for (const identity of [identities[2 * c], identities[2 * c + 1]]) {
        const e = event({ identity });
        const res = await post(relay.url, { events: [e] }, { headers: { 'cf-connecting-ip': `192.0.2.${c + 1}` } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.accepted, [e.id], res.text);
        sent.push(e.id);
      }
    }
  }));
  const total = 16 * PER_IDENTITY;
  assert.equal(sent.length, total);
  const h = await (await fetch(`${relay.url}/v1/health`)).json();
  assert.equal(h.events.queued, total - APP_PER_MINUTE, `over the rate, queued: ${JSON.stringify(h.events)}`);
  assert.equal((await heap.events()).events.length, APP_PER_MINUTE);

  // The shards look again once their minute has passed: about 65 s.
  const got = await waitFor(async () => {
    const snap = await heap.events();
    return snap.events.length >= total && snap;
  }, 150_000, `the ${total} events at Heap`);
  assert.equal(got.limited, 0, 'Heap answered 429');
  assert.equal(got.events.length, total);
  assert.deepEqual(new Set(got.events.map((e) => e.idempotency_key)), new Set(sent));
  const after = await waitFor(async () => {
    const x = await (await fetch(`${relay.url}/v1/health`)).json();
    return x.events.queued === 0 && x;
  }, 10_000, 'an empty queue');
  assert.equal(after.events.delivered, total);
  assert.deepEqual(after.events.refused, {});
});
