// The demo server (examples/demo) end to end: buttons in, Heap table rows and bridge stats out.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, DIST } from './server.mjs';
import { test, LAUNCH, TIMEOUT } from './harness.mjs';

let demo, origin, browser, tmp;

before(async () => {
  // Build, then run the binary itself: `go run` would leave the server running if only go were signalled.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uhb-demo-'));
  const bin = path.join(tmp, 'demo');
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, './examples/demo'], { cwd: ROOT, stdio: 'inherit' });
  demo = spawn(bin, ['-addr', '127.0.0.1:0', '-dist', DIST], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  origin = await new Promise((resolve, reject) => {
    let out = '';
    demo.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/demo: (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve(m[1]);
    });
    demo.once('exit', (code) => reject(new Error(`demo server exited (${code}): ${out}`)));
  });
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo.once('exit', r));
    demo.kill('SIGINT');
    await exited;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

// runFlow opens the demo at path, identifies alice with the page's form and clicks through a flow
// (start, next, complete), as a visitor would; page errors are collected.
async function runFlow(path, beforeIdentify = async () => {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(origin + path);
  await beforeIdentify(page);
  await page.fill('#user-id', 'alice');
  await page.click('#identify');
  await page.waitForFunction(() => window.userpilotStandIn.loaded && window.UserpilotHeapBridge, null, { timeout: TIMEOUT });
  await page.evaluate(() => UserpilotHeapBridge.ready());
  await page.click('#start');
  await page.click('#next');
  await page.click('#complete');
  return { context, page, errors };
}

test('demo: identify, run a flow, see Heap calls and bridge stats', async () => {
  const { context, page, errors } = await runFlow('/');
  await page.waitForFunction(() => document.querySelectorAll('#heap-calls tbody tr').length >= 5, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-calls tbody tr', (trs) => trs.map((tr) => tr.cells[1].textContent + ' ' + tr.cells[2].textContent));
  assert.equal(rows.length, 5, rows.join('\n'));
  assert.match(rows[0], /^identify "alice"/);
  assert.match(rows[4], /^track "Userpilot Experience \(completed\)"/);
  await page.waitForFunction(() => /"forwarded": 4/.test(document.getElementById('bridge-stats').textContent), null, { timeout: TIMEOUT });
  assert.match(await page.textContent('#host-status'), /fired 1 time\b/);
  assert.deepEqual(errors, []);
  await context.close();
});

// heapAPI reads what the demo's fake Heap server API stored (GET /heap-server-api/_events).
const heapAPI = async () => (await fetch(origin + '/heap-server-api/_events')).json();

test('demo ?heap=blocked: Heap\'s CDN fails, the flow reaches the fake Heap API through the relay, once', async () => {
  const reset = await fetch(origin + '/heap-server-api/_reset', { method: 'POST' });
  assert.equal(reset.status, 204);
  // The blocked mode says so and links back.
  const { context, page, errors } = await runFlow('/?heap=blocked', (p) => p.click('text=Let Heap load', { trial: true }));

  const names = ['Userpilot Experience (started)', 'Userpilot Experience (step)', 'Userpilot Experience (step)', 'Userpilot Experience (completed)'];
  // Settled: every event received and none still held for Heap's SDK or in flight to the relay.
  await page.waitForFunction((n) => {
    const s = UserpilotHeapBridge.stats();
    return s.received === n && s.pending === 0 && s.relaying === 0;
  }, names.length, { timeout: TIMEOUT });
  const st = await page.evaluate(() => UserpilotHeapBridge.stats());
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, relayed: st.relayed, dropped: st.dropped },
    { received: names.length, forwarded: names.length, relayed: names.length, dropped: 0 }, JSON.stringify(st));
  const got = await heapAPI();
  // Two relay requests may be in flight at once and land in either order; the bridge numbers its events.
  const seq = (e) => Number(e.idempotency_key.split('-').pop());
  assert.deepEqual([...got.events].sort((a, b) => seq(a) - seq(b)).map((e) => e.event), names, JSON.stringify(got.events));
  assert.ok(got.events.every((e) => e.identity === 'alice'), JSON.stringify(got.events));
  assert.equal(new Set(got.events.map((e) => e.idempotency_key)).size, names.length, 'each event has its own idempotency key');
  assert.equal(got.duplicates, 0, 'no event was sent twice');
  assert.equal(got.received, names.length);
  // The page polls the fake Heap API every second; its table shows what arrived.
  await page.waitForFunction((n) => document.querySelectorAll('#heap-api-events tbody tr').length === n, names.length, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-api-events tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => [r[1], r[2], r[4]]), got.events.map((e) => [e.identity, e.event, e.idempotency_key]));

  await page.waitForFunction((n) => new RegExp(`"relayed": ${n}\\b`).test(document.getElementById('bridge-stats').textContent), names.length, { timeout: TIMEOUT });
  const heapSDK = await page.evaluate(() => ({
    loaded: Boolean(window.heapStandIn && window.heapStandIn.loaded),
    tracks: ((window.heapStandIn && window.heapStandIn.calls) || []).filter((c) => c.method === 'track').length,
    stub: Array.isArray(window.heap),
  }));
  assert.deepEqual(heapSDK, { loaded: false, tracks: 0, stub: true }, 'Heap\'s SDK never loaded and took no track call');
  assert.equal(await page.$$eval('#heap-calls tbody tr', (trs) => trs.length), 0);
  assert.match(await page.textContent('#host-status'), /fired 1 time\b/);
  assert.deepEqual(errors, []);
  // Still exactly once after the bridge has settled.
  assert.equal((await heapAPI()).events.length, names.length);
  await context.close();
});

test('demo /segments.html: Heap\'s stand-in sends a signed segment webhook, the relay\'s Bulk Identify reaches the fake Userpilot API', async () => {
  const reset = await fetch(origin + '/userpilot-api/_reset', { method: 'POST' });
  assert.equal(reset.status, 204);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(origin + '/');
  await page.click('text=Heap segments to Userpilot, at the edge');
  await page.waitForURL(/\/segments\.html$/, { timeout: TIMEOUT });
  await page.fill('#segment-id', '77');
  await page.fill('#add', 'alice, carol, guest');
  await page.fill('#remove', 'bob');
  await page.click('#send');
  await page.waitForFunction(() => document.querySelectorAll('#bulk-identify tbody tr').length === 3, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#bulk-identify tbody tr', (trs) => trs.map((tr) => [tr.cells[2].textContent, tr.cells[3].textContent]));
  assert.deepEqual(rows, [
    ['alice', '{"heap_segment_77":"true"}'], ['carol', '{"heap_segment_77":"true"}'], ['bob', '{"heap_segment_77":"false"}']
  ]);
  const answer = await page.textContent('#relay-answer');
  assert.match(answer, /^HTTP 200\n/);
  assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\n') + 1)).users, 3);
  assert.match(answer, /"id": "guest"[\s\S]*invalid_identity/);
  assert.match(await page.textContent('#webhook'), /^POST \/heap-relay\/v1\/heap\/segments\nHeap-Hash: ts:\d+,hmac:[0-9a-f]{64}\n/);
  assert.match(await page.textContent('#userpilot-status'), /1 Bulk Identify request, 3 users taken; the last with Authorization: Token demo-userpilot-api-key, Content-Type: application\/json/);
  assert.deepEqual(errors, []);
  await context.close();
});
