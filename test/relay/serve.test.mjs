// The serving glue (relay/worker/serve.mjs + package relay/worker/serve) in workerd, through its test Worker
// (relay/worker/serve/probe, built by `make relay-probe-build`): one Go instance serves every request
// of the isolate; Go timers wake whichever request armed them last; each request's waitUntil
// covers its own WaitUntil work and no other; bodies past the first read are pulled; a failed
// instance is replaced and counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { startRelay } from '../../relay/worker/run.mjs';
import { ROOT } from './helpers.mjs';

const PROBE_DIR = path.join(ROOT, 'build/relay-probe');

let probe;
let notify; // {url, events: [{event, label}], wait(n)}

// startNotify records GET ?event=&label= in arrival order, and answers 301 on /redirect.
function startNotify() {
  const events = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/redirect') {
      res.writeHead(301, { location: 'http://127.0.0.1:9/elsewhere' });
      return res.end('moved');
    }
    events.push({ event: u.searchParams.get('event'), label: u.searchParams.get('label') });
    for (const w of waiters.splice(0)) w();
    res.end('ok');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}/`;
    resolve({
      url,
      events,
      // until resolves once pred(events) holds, or rejects after ms.
      until: async (pred, ms = 15_000) => {
        const end = Date.now() + ms;
        while (!pred(events)) {
          if (Date.now() > end) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
          await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
        }
      },
      stop: () => new Promise((r) => server.close(() => r()))
    });
  }));
}

before(async () => {
  notify = await startNotify();
  probe = await startRelay({ addr: '127.0.0.1:0', dir: PROBE_DIR, vars: { HEAP_APP_ID: null } });
});

after(async () => {
  await probe?.stop();
  await notify?.stop();
});

const get = async (p) => {
  const res = await fetch(probe.url + p);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json, headers: res.headers };
};
const health = async () => (await get('/v1/health')).json.instance;

test('one Go instance serves every request of the isolate, including 40 at once', async () => {
  const before = await health();
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/sleep?ms=${i % 5}`)));
  for (const a of answers) assert.equal(a.status, 200, a.text);
  const after = await health();
  assert.equal(after.generation, before.generation, 'no new instance');
  assert.equal(after.requests, before.requests + 41, 'the same instance counted all of them');
  assert.equal(after.inFlight, 1, 'only the health request itself is in flight');
});

test('a Go timer armed while serving one request wakes a sleeper after that request has ended', async () => {
  // The long sleep arms Go's timeout in its own request; the short one, arriving later, re-arms it
  // in its own context for 50 ms, and when it wakes Go re-arms the long sleeper's timeout there,
  // in a request that then ends at once. The long sleeper must still wake.
  const before = await health();
  const long = get('/sleep?ms=700');
  await new Promise((r) => setTimeout(r, 100));
  const shorts = [];
  for (let i = 0; i < 5; i++) {
    shorts.push(await get('/sleep?ms=30'));
  }
  for (const s of shorts) assert.equal(s.status, 200, s.text);
  const l = await long;
  assert.equal(l.status, 200, l.text);
  assert.ok(l.json.slept >= 650, `slept ${l.json.slept} ms`);
  const after = await health();
  assert.ok(after.timers.handedOver > before.timers.handedOver, `no timeout was handed over: ${JSON.stringify(after.timers)}`);
  assert.equal(after.timers.late, 0, 'no timeout was lost and fired late by a keep-alive');
});

test('a request waiting on Go with nothing of its own pending is kept, not taken for hung', async () => {
  // /await blocks on a channel that only a later request closes. A sleeper in flight holds Go's
  // nearest timeout in its own context, so the waiting request has no fetch, no body read and no
  // timer of its own: workerd cancels such a request as hung unless the glue arms a keep-alive.
  const sleeper = get('/sleep?ms=1500');
  await new Promise((r) => setTimeout(r, 100));
  const waiting = get('/await?key=k1');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await get('/signal?key=k1')).status, 200);
  const w = await waiting;
  assert.equal(w.status, 200, w.text);
  assert.deepEqual(w.json, { woken: true });
  assert.equal((await sleeper).status, 200);
});

test('a goroutine left sleeping when no request is in flight wakes on the next request', async () => {
  // /background answers at once and leaves a goroutine sleeping 100 ms outside any request: Go's
  // timeout is armed in a request that then ends with none other in flight, and workerd cancels
  // that timer. The next request to arrive finds the timeout overdue and fires it in its own context.
  const before = await health();
  const { woken } = (await get('/background')).json;
  assert.equal((await get('/background?ms=100')).json.started, true);
  await new Promise((r) => setTimeout(r, 400)); // nothing in flight meanwhile
  assert.equal((await get('/background')).json.woken, woken + 1, 'the sleeper woke before the next request was served');
  const after = await health();
  assert.ok(after.timers.adopted > before.timers.adopted, `no timeout was adopted: ${JSON.stringify(after.timers)}`);
  assert.equal(after.timers.late, 0);
});

test('two overlapping requests: each one\'s waitUntil covers its own WaitUntil work, not the other\'s', async () => {
  const n = notify.url;
  // A's work takes 800 ms, B's 100 ms; B arrives while A's work is under way.
  const a = await get(`/wait?label=A&ms=800&notify=${encodeURIComponent(n)}`);
  const b = await get(`/wait?label=B&ms=100&notify=${encodeURIComponent(n)}`);
  assert.deepEqual([a.json, b.json], [{ label: 'A', waiting: true }, { label: 'B', waiting: true }]);
  await notify.until((ev) => ev.filter((e) => e.event === 'settled' && (e.label === 'A' || e.label === 'B')).length === 2);
  const order = notify.events.filter((e) => e.label === 'A' || e.label === 'B').map((e) => `${e.event}:${e.label}`);
  // Each request called the runtime's waitUntil once; its promise settled only after its own
  // work, and B's settled before A's work was done: A's work was not bound to B.
  assert.deepEqual(order, ['waitUntil:A', 'waitUntil:B', 'work:B', 'settled:B', 'work:A', 'settled:A']);
});

test('a body over the glue\'s first read (64 KiB) is pulled through the port whole', async () => {
  const body = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
  const res = await fetch(`${probe.url}/echo`, { method: 'POST', body });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-length'), '300000');
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body);
  const small = await fetch(`${probe.url}/echo`, { method: 'POST', body: 'hello' });
  assert.equal(await small.text(), 'hello');
});

test('Fetch with redirect "manual" hands back the 3xx answer as it is', async () => {
  const manual = await get(`/fetch?redirect=manual&url=${encodeURIComponent(notify.url + 'redirect')}`);
  assert.equal(manual.status, 200, manual.text);
  assert.equal(manual.json.status, 301);
  assert.equal(manual.json.location, 'http://127.0.0.1:9/elsewhere');
  assert.equal(manual.json.body, 'moved');
});

test('a Go instance that fails is replaced: requests in flight get a 500 naming it, the next one a new instance', async () => {
  const before = await health();
  const sleeper = get('/sleep?ms=3000');
  await new Promise((r) => setTimeout(r, 100));
  const crash = await get('/crash');
  assert.equal(crash.status, 500, crash.text);
  assert.match(crash.json.error, /the Go instance stopped/);
  const s = await sleeper;
  assert.equal(s.status, 500, s.text);
  assert.match(s.json.error, /the Go instance stopped/);
  const after = await health();
  assert.equal(after.generation, before.generation + 1);
  assert.equal(after.replacements.afterFailure, before.replacements.afterFailure + 1);
  assert.equal(after.requests, 1, 'the new instance has served only this health request');
  assert.equal((await get('/sleep?ms=10')).status, 200);
});
