// bench/leaving.mjs measures, in headless Chromium through the DevTools protocol's tracing, the
// main-thread time of the pagehide handler with 100 events received and not yet answered (the
// module in a Worker), beside the same page with none pending and with persist off (the handler
// without the storage write). The time is read between two performance marks around the dispatch,
// in one task, from the trace's microsecond timestamps. Medians over fresh page loads, interleaved;
// it never fails on time (target: the write under 2 ms, nothing when nothing is pending).
// Usage: make build && node bench/leaving.mjs   (BENCH_ROUNDS overrides the loads per variant)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { envInt, median, row } from './measure.mjs';
import { TRACE_CATEGORIES } from './trace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = envInt('BENCH_ROUNDS', 15, 3);
const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

const VARIANTS = [
  { name: '100 pending', pending: 100, persist: true },
  { name: 'none pending', pending: 0, persist: true },
  { name: '100 pending, persist off', pending: 100, persist: false },
];

function page(persist) {
  return `<!doctype html><html><head><meta charset="utf-8">
<script>window.heap = { loaded: true, track: function () {}, identify: function () {}, resetIdentity: function () {}, addUserProperties: function () {} };
window.userpilotHeapBridgeSettings = { thread: 'worker', persist: ${persist} };</script>
<script src="/dist/userpilot-heap-bridge.js"></script>
<script>(function () {
  var handlers = {};
  window.userpilot = { on: function (n, f) { (handlers[n] = handlers[n] || []).push(f); }, once: function () {}, off: function () {},
    identify: function () {}, anonymous: function () {}, clean: function () {},
    emit: function (n, p) { (handlers[n] || []).forEach(function (f) { f(p); }); } };
  userpilot.identify('alice');
})();</script></head><body></body></html>`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/page/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(page(url.pathname === '/page/on'));
  }
  const file = path.resolve(ROOT, '.' + url.pathname);
  if (!file.startsWith(path.join(ROOT, 'dist') + path.sep) || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
  const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8';
  res.writeHead(200, { 'content-type': type });
  res.end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch(LAUNCH);
const results = new Map(VARIANTS.map((v) => [v.name, { ms: [], written: [] }]));

// one loads a fresh page, emits n events and dispatches pagehide in the same task, and reads the
// marks around the dispatch from a trace of that task.
async function one(v) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${origin}/page/${v.persist ? 'on' : 'off'}`);
  await tab.evaluate(() => UserpilotHeapBridge.ready());
  await browser.startTracing(tab, { categories: TRACE_CATEGORIES });
  const written = await tab.evaluate((n) => new Promise((resolve) => setTimeout(() => {
    for (let i = 0; i < n; i++) userpilot.emit('completed', { id: i + 1, token: 't', step: i, extra: 'x'.repeat(40) });
    performance.mark('leaving:start');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    performance.mark('leaving:end');
    resolve(Object.keys(localStorage).filter((k) => k.startsWith('userpilot-heap-bridge:')).map((k) => localStorage.getItem(k).length).reduce((a, b) => a + b, 0));
  }, 0)), v.pending);
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const events = trace.traceEvents || trace;
  const mark = (name) => events.find((e) => e.name === name);
  const start = mark('leaving:start'), end = mark('leaving:end');
  if (!start || !end) throw new Error('the trace lacks the marks around pagehide');
  await context.close();
  return { ms: (end.ts - start.ts) / 1000, written };
}

for (let r = 0; r < ROUNDS + 1; r++) {
  for (const v of VARIANTS) {
    const got = await one(v);
    if (r === 0) continue; // the first round warms up the browser's caches
    results.get(v.name).ms.push(got.ms);
    results.get(v.name).written.push(got.written);
  }
  process.stderr.write(`bench: leaving round ${r}/${ROUNDS}\n`);
}
await browser.close();
server.close();

const widths = [28, 14, 14, 18];
console.log(`pagehide handler, main-thread time (Chromium ${browser.version()}, ${ROUNDS} fresh loads each, medians)`);
console.log(row(['page', 'median ms', 'max ms', 'bytes stored'], widths));
for (const v of VARIANTS) {
  const r = results.get(v.name);
  console.log(row([v.name, median(r.ms).toFixed(3), Math.max(...r.ms).toFixed(3), String(median(r.written))], widths));
}
const write = median(results.get('100 pending').ms) - median(results.get('100 pending, persist off').ms);
console.log(`the storage write for 100 pending events: ${write.toFixed(3)} ms (100 pending minus the same page with persist off; target < 2 ms)`);
