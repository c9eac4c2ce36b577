// Helpers for the relay tests: the fake Heap and Userpilot APIs (relay/relaytest/cmd/fakeheap and
// relay/relaytest/cmd/fakeuserpilot, built once into build/) and the relay in workerd (relay/worker/run.mjs). They build nothing else: `make test-relay` runs
// `make relay-build` first. Everything listens on 127.0.0.1 and is stopped by the tests' after().
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../../relay/worker/run.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The fake Heap and Userpilot APIs are shared with bench/relay.mjs: internal/testkit/fakes.mjs.
import { startFakeUserpilot as startTestkitUserpilot } from '../../internal/testkit/fakes.mjs';
export { APP_ID, USERPILOT_KEY, buildFakeHeap, startFakeHeap } from '../../internal/testkit/fakes.mjs';

// startFakeUserpilot is the testkit's fake Userpilot, plus jobs(rowsPerMinute): the fake then runs
// one bulk job at a time at that pace, answering 429 with Retry-After meanwhile (0: off).
export async function startFakeUserpilot(...args) {
  const fake = await startTestkitUserpilot(...args);
  fake.jobs = async (rowsPerMinute) => {
    const res = await fetch(`${fake.url}/_jobs`, { method: 'POST', body: JSON.stringify({ rowsPerMinute }) });
    if (res.status !== 204) throw new Error(`fakeuserpilot POST /_jobs: ${res.status} ${await res.text()}`);
  };
  return fake;
}

// heapHash is the Heap-Hash header Heap sends for body at ts (unix seconds, as a string).
export const heapHash = (secret, ts, body) => `ts:${ts},hmac:${createHmac('sha256', secret).update(ts + body).digest('hex')}`;

// relayWith starts the Go relay in workerd with vars, on a port workerd picks.
export function relayWith(vars, options = {}) {
  return startRelay({ addr: '127.0.0.1:0', vars: { IDENTITY_SECRET: null, ALLOWED_ORIGINS: null, MAX_BODY_BYTES: null,
    RATE_CLIENT_PER_MINUTE: null, RATE_IDENTITY_EVENTS_PER_MINUTE: null, HEAP_API_URL: null, HEAP_APP_ID: null,
    INSTANCE_MAX_REQUESTS: null, INSTANCE_MAX_MEMORY_BYTES: null, HEAP_WEBHOOK_SECRET: null, USERPILOT_API_KEY: null,
    USERPILOT_API_URL: null, HEAP_EVENTS_PER_MINUTE: null, HEAP_IDENTITY_EVENTS_PER_MINUTE: null, DELIVERY_MAX_HOURS: null,
    USERPILOT_ROWS_PER_MINUTE: null, ...vars }, ...options });
}

// sign is the X-Bridge-Signature for identity under secret.
export const sign = (secret, identity) => createHmac('sha256', secret).update(identity).digest('hex');

let seq = 0;
// event returns a valid event with a fresh id, overridden by fields.
export function event(fields = {}) {
  seq++;
  return {
    id: `ev-${process.pid}-${seq}`,
    name: 'Userpilot Flow (started)',
    properties: { flow_id: 7, flow_token: 'tok7', 'userpilot.step': 'intro', completed: false },
    identity: 'alice@example.com',
    timestamp: new Date().toISOString(),
    ...fields
  };
}

// post sends body (an object is JSON-encoded) to the relay's /v1/events and reads the answer.
export async function post(relayUrl, body, { headers = {}, query = '', contentType = 'application/json', method = 'POST' } = {}) {
  const res = await fetch(`${relayUrl}/v1/events${query}`, {
    method,
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// waitFor polls fn until it returns a truthy value, for at most ms.
export async function waitFor(fn, ms = 10_000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// shardOf is relay.ShardOf: fnv32a of the identity's UTF-8 bytes, modulo the 16 shards of the event
// queue. The Go relay sends a request's events to Heap in one request per shard they fall in.
export function shardOf(identity) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(identity)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % 16;
}
