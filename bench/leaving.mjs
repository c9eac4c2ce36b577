// bench/leaving.mjs measures, in headless Chromium through the DevTools protocol's tracing, the
// main-thread time of the pagehide handler with 100 events received and not yet answered (the
// module in a Worker), beside the same page with none pending and with persist off (the handler
// without the storage write): the thread CPU time of the dispatch (the trace's EventDispatch), and
// its wall time between two performance marks around it, which on a shared machine also holds the
// time the page's thread waited for a core. Then the visibilitychange to hidden that follows
// pagehide as a page is left ("then hidden"), which the loader also listens to. Medians over fresh
// page loads, interleaved; it never fails on time (target: the write under 2 ms, nothing when
// nothing is pending). A page without the bridge gives the bench's own time. BENCH_BASELINE=dir
// names another build's dist/ (an earlier commit's) to load the same pages from, interleaved, and
// prints each figure beside its own as a ratio.
// Usage: make build && node bench/leaving.mjs   (BENCH_ROUNDS overrides the loads per variant)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { envInt, median, row, times } from './measure.mjs';
import { TRACE_CATEGORIES } from './trace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = envInt('BENCH_ROUNDS', 15, 3);
const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : '';
// "posted": the events were emitted earlier in the task and posted to the Worker (the loader posts
// at the next microtask), not answered yet: what a page being left holds, since the browser hides
// a page in a task of its own. "same task": emitted within pagehide's own task, not posted yet, so
// the handler posts them too.
const PAGES = [
  { name: '100 pending, posted', pending: 100, persist: true, posted: true },
  { name: '100 posted, persist off', pending: 100, persist: false, posted: true },
  { name: '100 pending, same task', pending: 100, persist: true },
  { name: '100 same task, persist off', pending: 100, persist: false },
  { name: 'none pending', pending: 0, persist: true },
  { name: 'no bridge (the bench alone)', pending: 0, persist: true, bridge: false },
];
const VARIANTS = PAGES.flatMap((p) => [{ ...p, build: 'dist' }, ...(BASELINE && p.bridge !== false ? [{ ...p, build: 'base' }] : [])]);

function page(persist, build) {
  return `<!doctype html><html><head><meta charset="utf-8">
<script>window.heap = { loaded: true, track: function () {}, identify: function () {}, resetIdentity: function () {}, addUserProperties: function () {} };
window.userpilotHeapBridgeSettings = { thread: 'worker', persist: ${persist} };</script>
${build ? `<script src="/${build}/userpilot-heap-bridge.js"></script>` : '<script>window.UserpilotHeapBridge = { ready: function () { return Promise.resolve(); } };</script>'}
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
  const [, kind, persist, build] = url.pathname.split('/');
  if (kind === 'page') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(page(persist === 'on', build === 'none' ? '' : build));
  }
  const dir = kind === 'base' && BASELINE ? BASELINE : path.join(ROOT, 'dist');
  const file = path.resolve(dir, '.' + url.pathname.slice(kind.length + 1));
  if (!['dist', 'base'].includes(kind) || !file.startsWith(dir + path.sep) || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
  const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8';
  res.writeHead(200, { 'content-type': type });
  res.end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch(LAUNCH);
const key = (v) => `${v.name}|${v.build}`;
const results = new Map(VARIANTS.map((v) => [key(v), { ms: [], cpuMs: [], hiddenCpuMs: [], written: [] }]));

// one loads a fresh page, emits n events and dispatches pagehide in the same task, and reads the
// marks around the dispatch from a trace of that task.
async function one(v) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${origin}/page/${v.persist ? 'on' : 'off'}/${v.bridge === false ? 'none' : v.build}`);
  await tab.evaluate(() => UserpilotHeapBridge.ready());
  await browser.startTracing(tab, { categories: TRACE_CATEGORIES });
  const written = await tab.evaluate(([n, posted]) => new Promise((resolve) => setTimeout(() => {
    for (let i = 0; i < n; i++) userpilot.emit('completed', { id: i + 1, token: 't', step: i, extra: 'x'.repeat(40) });
    // queued after the loader's flush, in the same task: posted, and no answer can come between
    (posted ? queueMicrotask : (f) => f())(() => {
      performance.mark('leaving:start');
      // at document, bubbling to window's listeners: the trace times an event dispatched at a node
      document.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false, bubbles: true }));
      performance.mark('leaving:end');
      // a page being left is hidden too, right after pagehide: both reach the loader
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      performance.mark('leaving:hidden');
      resolve(Object.keys(localStorage).filter((k) => k.startsWith('userpilot-heap-bridge:')).map((k) => localStorage.getItem(k).length).reduce((a, b) => a + b, 0));
    });
  }, 0)), [v.pending, !!v.posted]);
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const events = trace.traceEvents || trace;
  const mark = (name) => events.find((e) => e.name === name);
  const start = mark('leaving:start'), end = mark('leaving:end'), hidden = mark('leaving:hidden');
  if (!start || !end || !hidden) throw new Error('the trace lacks the marks around pagehide and visibilitychange');
  // The dispatch's thread CPU time: on a shared machine its wall time also holds the time the
  // thread waited for a core (the Worker is busy with the events just posted).
  const cpu = (from, to) => events.filter((e) => e.name === 'EventDispatch' && e.ph === 'X' && e.pid === from.pid && e.tid === from.tid &&
    e.ts >= from.ts && e.ts + e.dur <= to.ts).reduce((sum, e) => sum + (e.tdur || 0) / 1000, 0);
  await context.close();
  return { ms: (end.ts - start.ts) / 1000, cpuMs: cpu(start, end), hiddenCpuMs: cpu(end, hidden), written };
}

for (let r = 0; r < ROUNDS + 1; r++) {
  for (const v of VARIANTS) {
    const got = await one(v);
    if (r === 0) continue; // the first round warms up the browser's caches
    results.get(key(v)).ms.push(got.ms);
    results.get(key(v)).cpuMs.push(got.cpuMs);
    results.get(key(v)).hiddenCpuMs.push(got.hiddenCpuMs);
    results.get(key(v)).written.push(got.written);
  }
  process.stderr.write(`bench: leaving round ${r}/${ROUNDS}\n`);
}
await browser.close();
server.close();

const widths = [30, 10, 11, 11, 14, 18, ...(BASELINE ? [14, 10, 22] : [])];
const med = (name, build = 'dist', what = 'cpuMs') => median(results.get(`${name}|${build}`)[what]);
console.log(`pagehide handler, main-thread time (Chromium ${browser.version()}, ${ROUNDS} fresh loads each, medians)${BASELINE ? `; baseline: ${BASELINE}` : ''}`);
console.log(row(['page', 'CPU ms', 'wall ms', 'wall max', 'bytes stored', 'then hidden, CPU', ...(BASELINE ? ['baseline CPU', 'ratio', 'baseline hidden, CPU'] : [])], widths));
for (const p of PAGES) {
  const r = results.get(`${p.name}|dist`);
  const base = BASELINE && p.bridge !== false ? med(p.name, 'base') : null;
  console.log(row([p.name, med(p.name).toFixed(3), med(p.name, 'dist', 'ms').toFixed(3), Math.max(...r.ms).toFixed(3), String(median(r.written)), med(p.name, 'dist', 'hiddenCpuMs').toFixed(3),
    ...(BASELINE ? [base === null ? '' : base.toFixed(3), base === null ? '' : times(med(p.name) / base),
      base === null ? '' : med(p.name, 'base', 'hiddenCpuMs').toFixed(3)] : [])], widths));
}
console.log('CPU ms: the thread CPU time of the dispatch (the trace\'s EventDispatch); wall ms: between the marks around it,');
console.log('which on a shared machine also holds the time the page\'s thread waited for a core. "then hidden": the visibilitychange after it.');
const bench = med('no bridge (the bench alone)');
const less = (name) => `${(med(name) - bench).toFixed(3)} ms`;
console.log(`the handler's CPU, less the bench alone: 100 pending, posted ${less('100 pending, posted')}; 100 emitted in the same task ${less('100 pending, same task')}; none pending ${less('none pending')} (target < 2 ms, and nothing)`);
console.log(`the storage write for 100 pending events, CPU: ${(med('100 pending, posted') - med('100 posted, persist off')).toFixed(3)} ms posted, ${(med('100 pending, same task') - med('100 same task, persist off')).toFixed(3)} ms same task (each minus the same page with persist off)`);
