// Helpers for the relay tests: the fake Heap and Userpilot APIs (relay/relaytest/cmd/fakeheap and
// relay/relaytest/cmd/fakeuserpilot, built once into build/) and the relay in workerd (relay/worker/run.mjs). They build nothing else: `make test-relay` runs
// `make relay-build` first. Everything listens on 127.0.0.1 and is stopped by the tests' after().
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../../relay/worker/run.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_ID = '3141592653';
export const USERPILOT_KEY = 'userpilot-test-key';
const GO = process.env.GO || 'go';

const built = new Set();

// buildFake builds relay/relaytest/cmd/<name> into build/<name>, once per test process, and returns its path.
function buildFake(name) {
  const bin = path.join(ROOT, 'build', name);
  if (!built.has(name)) {
    execFileSync(GO, ['build', '-o', bin, `./relay/relaytest/cmd/${name}`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    built.add(name);
  }
  return bin;
}

// buildFakeHeap builds relay/relaytest/cmd/fakeheap into build/fakeheap.
export const buildFakeHeap = () => buildFake('fakeheap');

// startFake runs relay/relaytest/cmd/<name> with args on a free port of 127.0.0.1 and resolves to
// {url, control(method, path, body), stop()}.
async function startFake(name, args) {
  const child = spawn(buildFake(name), ['-addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 15_000);
    const onData = (chunk) => {
      out += chunk;
      const m = new RegExp(`${name} listening on (http://\\S+)`).exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c) => { out += c; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${out}`)); });
  });
  const control = async (method, p, body) => {
    const res = await fetch(url + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`${name} ${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { url, control, stop };
}

// startFakeHeap runs the fake Heap API on a free port of 127.0.0.1.
export async function startFakeHeap(appID = APP_ID) {
  const { url, control, stop } = await startFake('fakeheap', ['-app-id', appID]);
  return {
    url,
    // scope (optional) names the fake Heap's scope: events whose ids start "sc_<scope>:".
    events: (scope = '') => control('GET', `/_events?scope=${encodeURIComponent(scope)}`),
    reset: () => control('POST', '/_reset', {}),
    fail: (statuses, retryAfter = '', scope = '') => control('POST', `/_fail?scope=${encodeURIComponent(scope)}`, { statuses, retryAfter }),
    stop
  };
}

// startFakeUserpilot runs the fake Userpilot Bulk Identify API (relay/relaytest/cmd/fakeuserpilot) on a
// free port of 127.0.0.1, taking apiKey.
export async function startFakeUserpilot(apiKey = USERPILOT_KEY) {
  const { url, control, stop } = await startFake('fakeuserpilot', ['-api-key', apiKey]);
  return {
    url,
    // {requests: [{authorization, contentType, status, reason, users}], users: [...]}
    requests: () => control('GET', '/_requests'),
    reset: () => control('POST', '/_reset', {}),
    fail: (statuses, retryAfter = '', location = '') => control('POST', '/_fail', { statuses, retryAfter, location }),
    // jobs makes the fake run one bulk job at a time at rowsPerMinute (0: off), answering 429 meanwhile.
    jobs: (rowsPerMinute) => control('POST', '/_jobs', { rowsPerMinute }),
    stop
  };
}

// heapHash is the Heap-Hash header Heap sends for body at ts (unix seconds, as a string).
export const heapHash = (secret, ts, body) => `ts:${ts},hmac:${createHmac('sha256', secret).update(ts + body).digest('hex')}`;

// relayWith starts the Go relay in workerd with vars, on a port workerd picks.
export function relayWith(vars, options = {}) {
  return startRelay({ addr: '127.0.0.1:0', vars: { IDENTITY_SECRET: null, ALLOWED_ORIGINS: null, MAX_BODY_BYTES: null,
    RATE_CLIENT_PER_MINUTE: null, RATE_IDENTITY_EVENTS_PER_MINUTE: null, HEAP_API_URL: null, HEAP_APP_ID: null,
    INSTANCE_MAX_REQUESTS: null, INSTANCE_MAX_MEMORY_BYTES: null, HEAP_WEBHOOK_SECRET: null, USERPILOT_API_KEY: null,
    USERPILOT_API_URL: null, HEAP_EVENTS_PER_MINUTE: null, HEAP_IDENTITY_EVENTS_PER_MINUTE: null, DELIVERY_MAX_HOURS: null, USERPILOT_ROWS_PER_MINUTE: null,
    ...vars }, ...options });
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
