// Memory over 5,000 requests through one isolate: the Go relay in workerd beside the JavaScript
// baseline, the same load for both (batches of 10 events, 8 in flight), measured after a warm-up
// of 2,000 requests and again at the end.
//
// Go's memory must stay flat: the instance's linear memory (what the isolate holds for Go) and
// Go's live heap (after a collection, GET /v1/health?gc) grow by at most 10%. The process's RSS is
// measured too. workerd's RSS grows for any Worker run locally, the JavaScript baseline included
// (objects of finished requests wait for a lazy garbage collection), and the Go relay's also takes
// a one-time step over its first two thousand requests, Durable Objects or not: measured every 2,000
// requests, the Go relay went 124 -> 322 -> 320 -> 338 -> 332 -> 337 MiB, the Go relay without its
// Durable Objects 112 -> 244 -> 253 -> 253 -> 252 -> 252, the baseline 54 -> 110 -> 142 -> 173 ->
// 207 -> 197 (Go's linear memory 12.5 MiB, its live heap 167 KiB at the end). So after that
// warm-up the Go relay's RSS growth is held to the baseline's plus 10% of its own size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startFakeHeap, relayWith, post, event, APP_ID } from './helpers.mjs';

const WARM_UP = 2000;
const TOTAL = 5000;
const LANES = 8;

let heap;
const relays = {};

before(async () => {
  heap = await startFakeHeap();
  const vars = { HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, RATE_CLIENT_PER_MINUTE: '2000000000', RATE_IDENTITY_EVENTS_PER_MINUTE: '2000000000',
    HEAP_EVENTS_PER_MINUTE: '2000000000', HEAP_IDENTITY_EVENTS_PER_MINUTE: '2000000000' };
  relays.go = await relayWith(vars);
  relays.js = await relayWith(vars, { baseline: true });
});

after(async () => {
  await Promise.all(Object.values(relays).map((r) => r.stop()));
  await heap?.stop();
});

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const mb = (n) => (n / 1024 / 1024).toFixed(1);
const kb = (n) => (n / 1024).toFixed(0);

// drive sends n batches of 10 events, lanes at a time; every event must be accepted.
async function drive(url, n, lanes = LANES) {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next++ < n) {
      const events = Array.from({ length: 10 }, (_, i) => event({ identity: `mem-${i}@example.com` }));
      const res = await post(url, { events });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.accepted.length, 10, res.text);
    }
  }));
}

// goSample reads the Go instance's figures after a garbage collection (GET /v1/health?gc), so
// that the live heap is what is really live, not what requests in flight held at the last one.
const goSample = async (url) => (await (await fetch(`${url}/v1/health?gc`)).json()).instance;

test(`Go memory is flat over ${TOTAL.toLocaleString('en-US')} requests through one isolate (after ${WARM_UP} to warm up)`, async (t) => {
  await drive(relays.go.url, WARM_UP);
  await drive(relays.js.url, WARM_UP);
  const goWarm = await goSample(relays.go.url);
  const rssWarm = { go: rssOf(relays.go.pid), js: rssOf(relays.js.pid) };

  await drive(relays.go.url, TOTAL - WARM_UP);
  await drive(relays.js.url, TOTAL - WARM_UP);
  const goEnd = await goSample(relays.go.url);
  const rssEnd = { go: rssOf(relays.go.pid), js: rssOf(relays.js.pid) };

  t.diagnostic(`Go linear memory ${mb(goWarm.memoryBytes)} -> ${mb(goEnd.memoryBytes)} MiB; live heap after a collection ` +
    `${kb(goWarm.goHeapLiveBytes)} -> ${kb(goEnd.goHeapLiveBytes)} KiB; heap goal ${mb(goEnd.goHeapGoalBytes)} MiB`);
  t.diagnostic(`workerd RSS: Go relay ${mb(rssWarm.go)} -> ${mb(rssEnd.go)} MiB (+${mb(rssEnd.go - rssWarm.go)}), ` +
    `JavaScript baseline ${mb(rssWarm.js)} -> ${mb(rssEnd.js)} MiB (+${mb(rssEnd.js - rssWarm.js)})`);

  assert.equal(goEnd.generation, goWarm.generation, 'one Go instance served every request');
  assert.ok(goEnd.requests >= TOTAL, `the instance counted ${goEnd.requests} requests`);
  assert.equal(goEnd.replacements.afterRequests + goEnd.replacements.afterMemory + goEnd.replacements.afterFailure, 0, 'no instance was replaced');
  assert.ok(goEnd.memoryBytes <= goWarm.memoryBytes * 1.1, `Go linear memory grew from ${goWarm.memoryBytes} to ${goEnd.memoryBytes} bytes`);
  assert.ok(goEnd.goHeapLiveBytes <= goWarm.goHeapLiveBytes * 1.1, `Go's live heap grew from ${goWarm.goHeapLiveBytes} to ${goEnd.goHeapLiveBytes} bytes`);
  assert.ok(rssEnd.go - rssWarm.go <= (rssEnd.js - rssWarm.js) + 0.1 * rssWarm.go,
    `the Go relay's RSS grew ${mb(rssEnd.go - rssWarm.go)} MiB, the baseline's ${mb(rssEnd.js - rssWarm.js)} MiB`);
});
