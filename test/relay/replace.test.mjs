// The safety net: relay/worker/serve.mjs replaces the Go instance after INSTANCE_MAX_REQUESTS requests or
// once its memory reaches INSTANCE_MAX_MEMORY_BYTES. Requests in flight on the old instance finish
// there, Heap retries included, and GET /v1/health counts the replacements.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeHeap, relayWith, post, event, waitFor, APP_ID } from './helpers.mjs';

let heap;
const relays = [];
const start = async (vars) => {
  const r = await relayWith({ HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, RATE_CLIENT_PER_MINUTE: '2000000000', RATE_IDENTITY_EVENTS_PER_MINUTE: '2000000000', HEAP_EVENTS_PER_MINUTE: '2000000000', HEAP_IDENTITY_EVENTS_PER_MINUTE: '2000000000', ...vars });
  relays.push(r);
  return r;
};

before(async () => { heap = await startFakeHeap(); });
after(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await heap?.stop();
});

const health = async (url) => (await (await fetch(`${url}/v1/health`)).json()).instance;

// drive sends n batches of 3 events in scope, 8 at a time, queuing a Heap failure before every
// 5th so that requests sleep in the relay's backoff while instances are replaced. Every event must
// be accepted; it returns the accepted ids and the failures queued.
async function drive(url, n, scope) {
  let next = 0;
  let failures = 0;
  const accepted = [];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = next++; i < n; i = next++) {
      if (i % 5 === 4) {
        failures++;
        await heap.fail([503], '', scope);
      }
      const events = Array.from({ length: 3 }, () => {
        const e = event({ identity: `swap-${i % 7}@example.com` });
        e.id = `sc_${scope}:${e.id}`;
        return e;
      });
      const res = await post(url, { events });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.accepted, events.map((e) => e.id));
      accepted.push(...res.json.accepted);
    }
  }));
  return { accepted, failures };
}

test('after INSTANCE_MAX_REQUESTS the instance is replaced; requests in flight and events kept for a retry are not lost', async () => {
  const relay = await start({ INSTANCE_MAX_REQUESTS: '25' });
  const { accepted, failures } = await drive(relay.url, 200, 'swap');
  await post(relay.url, { events: [{ ...event(), id: `sc_swap:drain-${Date.now()}` }] }); // takes any failure still queued
  // Each post goes to Heap at once (one identity, one shard); what a failure left is kept and sent
  // again from the queue, in batches.
  const got = await waitFor(async () => { const g = await heap.events('swap'); return g.events.length >= accepted.length + 1 && g; }, 30_000, 'every accepted event at Heap');
  assert.equal(got.duplicates, 0);
  assert.ok(failures > 0 && got.requests > 201, `${got.requests} Heap requests for 201 posts and ${failures} failures: the failed ones were sent again`);
  assert.deepEqual(got.events.map((e) => e.idempotency_key).filter((k) => !k.includes('drain')).sort(), accepted.sort());
  const h = await health(relay.url);
  assert.ok(h.generation >= 8, `generation ${h.generation}: 203 requests at 25 per instance`);
  assert.equal(h.replacements.afterRequests, h.generation - 1);
  assert.equal(h.replaceAfter.requests, 25);
  assert.ok(h.requests <= 25, `the current instance has taken ${h.requests} requests`);
});

test('an instance whose memory reaches INSTANCE_MAX_MEMORY_BYTES is replaced on the next request', async () => {
  // Any running instance is over 1 byte: each request that finds one running replaces it
  // (requests that arrive while the new one starts share it).
  const relay = await start({ INSTANCE_MAX_MEMORY_BYTES: '1' });
  const { accepted } = await drive(relay.url, 24, 'memcap');
  assert.equal(accepted.length, 72);
  const h = await health(relay.url);
  assert.ok(h.replacements.afterMemory >= 3, `replaced after memory ${h.replacements.afterMemory} times`);
  assert.equal(h.generation, h.replacements.afterMemory + 1);
  assert.equal(h.requests, 1, 'the health request came to a fresh instance');
  assert.equal(h.replaceAfter.memoryBytes, 1);
});

test('a bad INSTANCE_MAX_REQUESTS or INSTANCE_MAX_MEMORY_BYTES answers 500 naming it', async () => {
  for (const [name, value] of [['INSTANCE_MAX_REQUESTS', 'many'], ['INSTANCE_MAX_MEMORY_BYTES', '-5']]) {
    const relay = await start({ [name]: value });
    assert.equal(relay.status, 500);
    const res = await post(relay.url, { events: [event()] });
    assert.equal(res.status, 500);
    assert.match(res.json.error, new RegExp(`relay is misconfigured: ${name} "${value}" must be a whole number above 0`));
  }
});
