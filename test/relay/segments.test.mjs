// POST /v1/heap/segments on the Go relay in workerd (relay/worker, built by `make relay-build`), over
// real HTTP, sending to the fake Userpilot API (relay/relaytest/cmd/fakeuserpilot): Heap's signed
// segment.users.sync webhook becomes Bulk Identify requests (docs/contract.md §8).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeHeap, startFakeUserpilot, relayWith, heapHash, post, event, APP_ID, USERPILOT_KEY } from './helpers.mjs';

const SECRET = 'heap-webhook-test-secret';
const SEGMENT = 1338065;
const KEY = `heap_segment_${SEGMENT}`;
let heap, userpilot;
const relays = {};

before(async () => {
  heap = await startFakeHeap();
  userpilot = await startFakeUserpilot();
  const base = { HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url };
  const pair = { HEAP_WEBHOOK_SECRET: SECRET, USERPILOT_API_KEY: USERPILOT_KEY };
  // Started one after the other: each workerd compiles the module.
  relays.main = await relayWith({ ...base, ...pair, USERPILOT_API_URL: userpilot.url });
  relays.unconfigured = await relayWith(base);
  relays.noKey = await relayWith({ ...base, HEAP_WEBHOOK_SECRET: SECRET, USERPILOT_API_URL: userpilot.url });
  relays.unreachable = await relayWith({ ...base, ...pair, USERPILOT_API_URL: 'http://127.0.0.1:9' }); // nothing listens on the discard port
});

after(async () => {
  await Promise.all(Object.values(relays).map((r) => r.stop()));
  await Promise.all([heap?.stop(), userpilot?.stop()]);
});

beforeEach(() => Promise.all([heap.reset(), userpilot.reset()]));

// syncBody is a segment.users.sync body as Heap's spec shows it.
function syncBody(add, remove = []) {
  return JSON.stringify({
    id_token: '7a36ae58-c4b9-11eb-8529-0242ac130003',
    action_type: 'segment.users.sync',
    customer_config: { fields: [{ field_id: 'workspace', field_display_name: 'Workspace', value: { id: 'workspace_1', display_name: 'Workspace 1' } }] },
    data: {
      segment: { id: SEGMENT, name: 'Free Customers' },
      sync_info: { page_number: 1, total_pages: 5, sync_task_id: 'afe74af0-496e-11ec-81d3-0242ac130003' },
      add: add.map((id) => ({ id })),
      remove: remove.map((id) => ({ id }))
    }
  });
}

const now = () => String(Math.floor(Date.now() / 1000));

// webhook posts body to the relay's segments endpoint, signed now unless hash says otherwise
// (null: no Heap-Hash header).
async function webhook(relay, body, { hash = heapHash(SECRET, now(), body), path = '/v1/heap/segments' } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (hash !== null) headers['heap-hash'] = hash;
  const res = await fetch(relay.url + path, { method: 'POST', headers, body });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

const users = (value, ids) => ids.map((user_id) => ({ user_id, metadata: { [KEY]: value } }));

test('a signed webhook becomes one Bulk Identify with the key, JSON and heap_segment_<id> "true"/"false"', async () => {
  const res = await webhook(relays.main, syncBody(['user1@email.com', 'user2@email.com'], ['user3@email.com']));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { users: 3, skipped: [] });
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const got = await userpilot.requests();
  assert.equal(got.requests.length, 1);
  const [req] = got.requests;
  assert.equal(req.authorization, `Token ${USERPILOT_KEY}`);
  assert.equal(req.contentType, 'application/json');
  assert.equal(req.status, 202);
  assert.deepEqual(req.users, [...users('true', ['user1@email.com', 'user2@email.com']), ...users('false', ['user3@email.com'])]);
});

test('under a route prefix, as on a first-party route', async () => {
  const res = await webhook(relays.main, syncBody(['alice']), { path: '/heap-relay/v1/heap/segments' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual((await userpilot.requests()).users, users('true', ['alice']));
});

test('over 1,000 users go in requests of at most 1,000, in order', async () => {
  const add = Array.from({ length: 1500 }, (_, i) => `add-${i}`);
  const remove = Array.from({ length: 845 }, (_, i) => `rm-${i}`);
  const res = await webhook(relays.main, syncBody(add, remove));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { users: 2345, skipped: [] });
  const got = await userpilot.requests();
  assert.deepEqual(got.requests.map((r) => [r.status, r.users.length]), [[202, 1000], [202, 1000], [202, 345]]);
  assert.deepEqual(got.users, [...users('true', add), ...users('false', remove)]);
});

test('stale ts, ts ahead, wrong hmac, missing header, tampered body, malformed header: 403 and nothing sent', async () => {
  const body = syncBody(['alice']);
  const t = Number(now());
  const cases = {
    'stale (301 s old)': [body, heapHash(SECRET, String(t - 301), body), /ts is 5m\d+s from the relay's clock/],
    'ahead (400 s)': [body, heapHash(SECRET, String(t + 400), body), /from the relay's clock/],
    'wrong secret': [body, heapHash('not the secret', String(t), body), /hmac does not match/],
    'missing header': [body, null, /Heap-Hash header is missing/],
    'tampered body': [syncBody(['mallory']), heapHash(SECRET, String(t), body), /hmac does not match/],
    'no hmac': [body, `ts:${t}`, /malformed: hmac is missing/],
    'hmac not hex': [body, `ts:${t},hmac:${'z'.repeat(64)}`, /malformed: hmac is not 64 hex digits/]
  };
  for (const [name, [sent, hash, why]] of Object.entries(cases)) {
    const res = await webhook(relays.main, sent, { hash });
    assert.equal(res.status, 403, `${name}: ${res.text}`);
    assert.match(res.json.error, why, name);
  }
  assert.deepEqual((await userpilot.requests()).requests, [], 'nothing reached Userpilot');
});

test('a ts in milliseconds (as Heap\'s own example code signs) within 300 s is taken', async () => {
  const body = syncBody(['alice']);
  const res = await webhook(relays.main, body, { hash: heapHash(SECRET, String(Date.now()), body) });
  assert.equal(res.status, 200, res.text);
});

test('Userpilot 429 then 503, then 202: retried, 200', async () => {
  await userpilot.fail([429, 503], '1');
  const res = await webhook(relays.main, syncBody(['alice'], ['bob']));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { users: 2, skipped: [] });
  const got = await userpilot.requests();
  assert.deepEqual(got.requests.map((r) => r.status), [429, 503, 202]);
  assert.ok(got.requests.every((r) => JSON.stringify(r.users) === JSON.stringify(got.requests[0].users)), 'each try sends the same users');
  assert.deepEqual(got.users, [...users('true', ['alice']), ...users('false', ['bob'])]);
});

test('Userpilot still failing at the deadline: 503 with Retry-After, so Heap sends the page again', async () => {
  await userpilot.fail(Array(50).fill(503));
  const res = await webhook(relays.main, syncBody(['alice']));
  assert.equal(res.status, 503, res.text);
  assert.match(res.json.error, /Userpilot's API did not take the Bulk Identify of users 1 to 1 of 1: HTTP 503/);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After ${res.headers.get('retry-after')}`);
  const tries = (await userpilot.requests()).requests.length;
  assert.ok(tries >= 3 && tries < 50, `${tries} tries within the deadline`);
});

test('Userpilot unreachable: transport errors retried, then 503 with Retry-After', async () => {
  const res = await webhook(relays.unreachable, syncBody(['alice']));
  assert.equal(res.status, 503, res.text);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
});

test('Userpilot refusing (401): 502 with its status, not retried', async () => {
  await userpilot.fail([401]);
  const res = await webhook(relays.main, syncBody(['alice']));
  assert.equal(res.status, 502, res.text);
  assert.match(res.json.error, /HTTP 401/);
  assert.equal((await userpilot.requests()).requests.length, 1);
});

test('a 301 from Userpilot is a failure (503), not followed', async () => {
  await userpilot.fail([301], '', '/_requests'); // answers GET with 200: a followed redirect would look like success
  const res = await webhook(relays.main, syncBody(['alice']));
  assert.equal(res.status, 503, res.text);
  assert.match(res.json.error, /HTTP 301/);
  assert.equal((await userpilot.requests()).requests.length, 1);
});

test('merge-risk ids and ids both added and removed are skipped and listed; the rest are sent once', async () => {
  const res = await webhook(relays.main, syncBody(['guest', 'alice', '', ' NULL ', 'carol', 'alice', 'x'.repeat(256)], ['bob', 'carol', 'undefined']));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.users, 2);
  assert.deepEqual(res.json.skipped.map((s) => [s.id, s.reason.slice(0, s.reason.indexOf(':'))]), [
    ['guest', 'invalid_identity'], ['', 'invalid_identity'], [' NULL ', 'invalid_identity'], ['carol', 'add_and_remove'],
    ['x'.repeat(256), 'invalid_identity'], ['undefined', 'invalid_identity']
  ]);
  assert.match(res.json.skipped[0].reason, /"guest" is shared by many people/);
  assert.deepEqual((await userpilot.requests()).users, [...users('true', ['alice']), ...users('false', ['bob'])]);
});

test('not configured: 404 naming what is missing, and POST /v1/events still works', async () => {
  for (const [relay, want] of [[relays.unconfigured, /HEAP_WEBHOOK_SECRET and USERPILOT_API_KEY/], [relays.noKey, /set USERPILOT_API_KEY \(/]]) {
    const res = await webhook(relay, syncBody(['alice']));
    assert.equal(res.status, 404, res.text);
    assert.match(res.json.error, want);
    const e = event();
    const events = await post(relay.url, { events: [e] });
    assert.equal(events.status, 200, events.text);
    assert.deepEqual(events.json.accepted, [e.id]);
  }
  assert.deepEqual((await userpilot.requests()).requests, []);
  assert.equal((await heap.events()).events.length, 2, 'both relays forwarded their event to Heap');
});

test('a body not of the shape: 400 naming what is wrong, nothing sent', async () => {
  const seg = (data) => JSON.stringify({ action_type: 'segment.users.sync', data });
  for (const [body, why] of [
    ['not json', /invalid character/],
    [JSON.stringify([1]), /not a JSON object/],
    [JSON.stringify({ action_type: 'segment.users.sync', app_id: '1', data: { segment: { id: 7 } } }), /unknown field "app_id"/],
    [JSON.stringify({ action_type: 'segment.users.drain', data: { segment: { id: 7 } } }), /takes only "segment.users.sync"/],
    [seg({ segment: { id: '7' } }), /"id" is "7", not a whole number/],
    [seg({ segment: { id: 7 }, add: [{ id: 42 }] }), /data\.add\[0\]/],
    [seg({ segment: { id: 7 }, remove: [{ id: 'a', email: 'a@example.com' }] }), /data\.remove\[0\]: unknown field "email"/]
  ]) {
    const res = await webhook(relays.main, body);
    assert.equal(res.status, 400, `${body}: ${res.text}`);
    assert.match(res.json.error, why, body);
  }
  assert.deepEqual((await userpilot.requests()).requests, []);
});

test('a body over the 4 MiB cap: 413, nothing sent', async () => {
  const add = Array.from({ length: 140_000 }, (_, i) => `user-${i}@example.com`);
  const body = syncBody(add);
  assert.ok(body.length > 4 << 20, `${body.length} bytes`);
  const res = await webhook(relays.main, body);
  assert.equal(res.status, 413, res.text);
  assert.deepEqual((await userpilot.requests()).requests, []);
});

test('other methods: 405 with Allow: POST', async () => {
  const res = await fetch(`${relays.main.url}/v1/heap/segments`);
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'POST');
  await res.arrayBuffer();
});
