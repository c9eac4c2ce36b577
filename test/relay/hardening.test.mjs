// The Go relay in workerd (wasm/edge, built by `make relay-build`) against what an adversarial pass
// found (issue 10, items 5 to 12): each test sends what broke the relay and checks what Heap got
// and what the page was told.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeHeap, relayWith, post, event, APP_ID } from './helpers.mjs';

const HIGH = '100000'; // a rate no test reaches
let heap;
const relays = {};

before(async () => {
  heap = await startFakeHeap();
  const base = { HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, RATE_CLIENT_PER_MINUTE: HIGH, RATE_IDENTITY_EVENTS_PER_MINUTE: HIGH };
  relays.main = await relayWith(base);
});

after(async () => {
  await Promise.all(Object.values(relays).map((r) => r.stop()));
  await heap?.stop();
});

beforeEach(() => heap.reset());

// redirect queues 3xx answers from the fake Heap, each with Location.
async function redirect(statuses, location) {
  const res = await fetch(`${heap.url}/_fail`, { method: 'POST', body: JSON.stringify({ statuses, location }) });
  assert.equal(res.status, 204);
}

test('a 301 from Heap is a failure (503), never accepted, and not followed as a GET', async () => {
  await redirect([301], '/_events'); // answers GET with 200: a followed redirect would look like success
  const e = event();
  const res = await post(relays.main.url, { events: [e] });
  assert.equal(res.status, 503, res.text);
  assert.match(res.json.error, /HTTP 301/);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  const got = await heap.events();
  assert.equal(got.requests, 1, 'one POST, no retry of a redirect');
  assert.deepEqual(got.events, []);
});

test('a 307 or 308 to the same host is followed with the body', async () => {
  for (const status of [307, 308]) {
    await heap.reset();
    await redirect([status], '/api/track');
    const e = event();
    const res = await post(relays.main.url, { events: [e] });
    assert.equal(res.status, 200, `${status}: ${res.text}`);
    assert.deepEqual(res.json.accepted, [e.id]);
    const got = await heap.events();
    assert.equal(got.requests, 2, `${status}: the redirect and the POST it led to`);
    assert.deepEqual(got.events.map((x) => x.idempotency_key), [e.id]);
  }
});

test('a 308 to another host is not followed', async () => {
  const other = heap.url.replace('127.0.0.1', 'localhost'); // the same fake Heap under another host name
  await redirect([308], `${other}/api/track`);
  const res = await post(relays.main.url, { events: [event()] });
  assert.equal(res.status, 503, res.text);
  assert.match(res.json.error, /HTTP 308.*localhost.*same host/);
  const got = await heap.events();
  assert.equal(got.requests, 1);
  assert.deepEqual(got.events, []);
});
