// The demo server (examples/demo) end to end: buttons in, Heap table rows and bridge stats out; the
// tag placed as the README says; every road of the seed (experience events by both, checklist, NPS
// and form through Userpilot's Heap integration); the counters as a table in a fixed order.
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

// counter reads one row of the bridge's counters table.
const counter = (page, key) => page.$eval(`#bridge-stats tr[data-key="${key}"] td.value`, (td) => td.textContent);
// waitForCounter waits until a row of the counters table shows value.
const waitForCounter = (page, key, value) => page.waitForFunction(([k, v]) => {
  const td = document.querySelector(`#bridge-stats tr[data-key="${k}"] td.value`);
  return td && td.textContent === v;
}, [key, value], { timeout: TIMEOUT });

test('demo: identify, run a flow, see Heap calls and bridge stats', async () => {
  const { context, page, errors } = await runFlow('/');
  await page.waitForFunction(() => document.querySelectorAll('#heap-calls tbody tr').length >= 5, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-calls tbody tr', (trs) => trs.map((tr) => tr.cells[1].textContent + ' ' + tr.cells[2].textContent));
  assert.equal(rows.length, 5, rows.join('\n'));
  assert.match(rows[0], /^identify "alice"/);
  assert.match(rows[4], /^track "Userpilot Experience \(completed\)"/);
  await waitForCounter(page, 'forwarded', '4');
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
  // Userpilot's Heap integration is on in the demo, so each experience event arrives twice (once
  // by each road) and is sent once.
  await page.waitForFunction((n) => {
    const s = UserpilotHeapBridge.stats();
    return s.received === 2 * n && s.pending === 0 && s.relaying === 0;
  }, names.length, { timeout: TIMEOUT });
  const st = await page.evaluate(() => UserpilotHeapBridge.stats());
  assert.deepEqual({ received: st.received, forwarded: st.forwarded, relayed: st.relayed, duplicates: st.duplicates, dropped: st.dropped },
    { received: 2 * names.length, forwarded: names.length, relayed: names.length, duplicates: names.length, dropped: 0 }, JSON.stringify(st));
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

  await waitForCounter(page, 'relayed', String(names.length));
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

test('demo: the bridge tag is first in <head>, without async, as the README says', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(origin + '/');
  // The page as served: the snippets add their SDKs' scripts before the first script at run time.
  const scripts = await page.evaluate(async () => {
    const served = new DOMParser().parseFromString(await (await fetch('/')).text(), 'text/html');
    return [...served.querySelectorAll('script')].map((s) => ({
      src: s.getAttribute('src'), async: s.hasAttribute('async'), defer: s.hasAttribute('defer'), inHead: s.parentNode === served.head,
      text: s.hasAttribute('src') ? '' : s.textContent.trim().slice(0, 60),
    }));
  });
  assert.match(scripts[0].text, /^window\.heapBlocked = .*/, 'the settings come first');
  assert.ok(scripts[0].inHead);
  assert.deepEqual(scripts[1], { src: '/dist/userpilot-heap-bridge.js', async: false, defer: false, inHead: true, text: '' }, 'then the tag, without async');
  assert.equal(scripts.findIndex((s) => s.src && s.src.includes('userpilot/latest.js')), 3, "Userpilot's snippet after it");
  await context.close();
});

test("demo: checklist, NPS and form buttons reach Heap through Userpilot's integration; the counters are a table in a fixed order", async () => {
  const { context, page, errors } = await runFlow('/');
  await page.click('#checklist');
  await page.click('#nps');
  await page.click('#form');
  await page.waitForFunction(() => document.querySelectorAll('#heap-calls tbody tr').length >= 8, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-calls tbody tr', (trs) => trs.map((tr) => [tr.cells[1].textContent, JSON.parse(`[${tr.cells[2].textContent}]`)]));
  assert.equal(rows.length, 8, JSON.stringify(rows));
  assert.deepEqual(rows.slice(5), [
    ['track', ['Userpilot Checklist (task completed)', { checklist_id: 'onboarding', checklist_title: 'Get started', task_id: 'task-1', task_title: 'Task 1', userpilot_user_id: 'alice' }]],
    ['track', ['Userpilot NPS (score)', { nps_id: 'nps-q4', score: 9, userpilot_user_id: 'alice' }]],
    ['track', ['Userpilot Form (submitted)', { form_id: 'feedback', form_title: 'Feedback', 'answer.role': 'PM', 'answer.team_size': 12, question_ids: 'role||team_size', userpilot_user_id: 'alice' }]],
  ]);
  // 4 experience events by both roads (4 duplicates) and 3 by the integration alone.
  await waitForCounter(page, 'forwarded', '7');
  assert.equal(await counter(page, 'received'), '11');
  assert.equal(await counter(page, 'duplicates'), '4');
  assert.equal(await counter(page, 'dropped'), '0');
  assert.equal(await counter(page, 'thread'), 'worker');
  assert.match(await counter(page, 'events'), /^Userpilot Checklist \(task completed\): 1\nUserpilot Experience \(completed\): 1\n/);
  const keys = await page.$$eval('#bridge-stats tbody tr', (trs) => trs.map((tr) => tr.dataset.key));
  assert.deepEqual(keys.slice(0, 16), ['thread', 'received', 'forwarded', 'duplicates', 'dropped', 'dropReasons', 'pending', 'relayed',
    'relaying', 'identifies', 'resets', 'identityRejected', 'truncated', 'propertyDrops', 'events', 'interfaceIgnored']);
  assert.ok(!keys.includes('failure'), 'no failure row while all is well');
  assert.deepEqual(errors, []);
  await context.close();
});

test("demo: the app's Heap calls named in toUserpilot appear in the Userpilot panel once; others and the bridge's own do not", async () => {
  const { context, page, errors } = await runFlow('/');
  await page.click('#app-plan');
  await page.click('#app-other');
  await page.click('#app-props');
  await page.waitForFunction(() => document.querySelectorAll('#userpilot-calls tbody tr').length >= 2, null, { timeout: TIMEOUT });
  await page.waitForTimeout(600); // one more refresh of the panel: nothing else comes
  const rows = await page.$$eval('#userpilot-calls tbody tr', (trs) => trs.map((tr) => [tr.cells[1].textContent, JSON.parse(`[${tr.cells[2].textContent}]`)]));
  assert.deepEqual(rows, [
    ['userpilot.track', ['Heap: Plan upgraded', { plan: 'pro', seats: 5, trial: 'false' }]],
    ['userpilot.identify', ['alice', { heap_plan: 'pro', 'heap_company.size': 40 }]], // the plan last upgraded to
  ]);
  assert.equal(await counter(page, 'toUserpilot'),
    'dropReasons: not_listed: 1\ndropped: 1\nforwarded: 2\nidentityMismatch: 0\npending: 0\npropertyDrops: none\nreceived: 3');
  assert.deepEqual(errors, []);
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

test('demo: every button says at once what it did and what Heap gets; every Heap row says why it is there, the echo included', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(origin + '/');
  await page.waitForFunction(() => window.UserpilotHeapBridge, null, { timeout: TIMEOUT });
  const said = () => page.textContent('#last-action');
  // Before Userpilot loads its SDK, a flow button says why nothing happened.
  await page.click('#start');
  assert.match(await said(), /^Nothing happened: .*Click Identify first\.$/);
  await page.fill('#user-id', 'alice');
  const steps = [
    ['#identify', /^Identify: userpilot\.identify\("alice"\)\. Heap gets heap\.identify\("alice"\) just before/],
    ['#start', /^Started flow 1: Heap gets "Userpilot Experience \(started\)"/],
    ['#next', /^Next step: /],
    ['#complete', /^Completed the flow: /],
    ['#checklist', /^Completed a checklist task: /],
    ['#nps', /^Answered NPS with 9: /],
    ['#form', /^Submitted a form: /],
    ['#app-plan', /^Your app called heap\.track\("Plan upgraded"\)/],
    ['#app-props', /^Your app called heap\.addUserProperties: .*echoes those heap_ properties back/],
    ['#app-other', /^Your app called heap\.track\("Clicked logo"\).*not in toUserpilot\.events/],
    ['#dismiss', /^Dismissed the flow: /],
    ['#switch', /^Switched user: userpilot\.identify\("bob"\)\. Heap gets heap\.identify\("bob"\) just before bob's next event/],
    ['#anonymous', /^Went anonymous: /],
  ];
  for (const [button, text] of steps) {
    await page.evaluate(() => { document.getElementById('last-action').textContent = ''; });
    await page.click(button);
    // At once, or, right after Identify, once Userpilot's SDK has loaded (the line says it waits).
    const now = await said();
    if (/^Waiting for Userpilot's SDK/.test(now)) await page.waitForFunction(() => !/^Waiting/.test(document.getElementById('last-action').textContent), null, { timeout: TIMEOUT });
    else assert.notEqual(now, '', `${button} says something at once`);
    assert.match(await said(), text, `${button} says what it did`);
  }
  // identify, 3 experience events, checklist, NPS, form, the app's 4 calls (the echo among them), reset
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('#heap-calls tbody tr');
    return rows.length >= 13 && [...rows].every((tr) => tr.cells.length === 4);
  }, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-calls tbody tr', (trs) => trs.map((tr) => [tr.cells[1].textContent, tr.cells[2].textContent, tr.cells[3].textContent]));
  for (const [method, , why] of rows) assert.ok(why.length > 20, `the ${method} row says why: ${JSON.stringify(why)}`);
  const echo = rows.filter(([method, args]) => method === 'addUserProperties' && args.includes('"heap_plan"'));
  assert.equal(echo.length, 1, JSON.stringify(rows));
  assert.match(echo[0][2], /^the echo: Userpilot's own Heap integration sends back/);
  assert.match(rows.find(([m]) => m === 'resetIdentity')[2], /went anonymous/);
  assert.deepEqual(errors, []);
  await context.close();
});
