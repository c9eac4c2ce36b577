// bench/run.mjs measures what the bridge costs a page, in headless Chromium, beside baselines run in
// the same session: the longest main-thread task at start-up (module in a Worker, on the main
// thread, no bridge, an empty Go program), main-thread time per event in bursts of 100 (Worker, main
// thread, hand-written JavaScript), event-to-heap.track latency, a burst of 10,000 events in one
// task, and sizes against an empty Go program. It prints a plain-text report and writes the figures
// to bench-out/bench.json. Timings on a shared machine are noisy: it reports medians and ratios,
// the main thread's CPU time beside its task time (which also holds waits for a busy core), and
// never fails on time.
// Usage: make build && node bench/run.mjs   (BENCH_ROUNDS, BENCH_LOADS, BENCH_LATENCY override sizes)
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { envInt, median, sizesOf, times, row } from './measure.mjs';
import { TRACE_CATEGORIES, mainThreadTasks } from './trace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
const DIST = (f) => path.join(ROOT, 'dist', f);
const EMPTY_WASM = path.join(OUT, 'empty.wasm');
const EMPTY_JS = path.join(OUT, 'empty-bundle.js');
const GO = process.env.GO || 'go';
// The Makefile's GOFLAGS_WASM, split for execFile; checked against the Makefile below.
const GO_FLAGS = ['-trimpath', '-ldflags=-s -w'];
const MAKEFILE_FLAGS = "GOFLAGS_WASM := -trimpath -ldflags='-s -w'";

const CONFIG = {
  burst: 100, // events per burst, emitted in one task
  rounds: envInt('BENCH_ROUNDS', 15, 5), // timed bursts per path, interleaved
  warmup: 3, // untimed bursts per path first, so every path runs JIT-compiled code
  loads: envInt('BENCH_LOADS', 7, 3), // fresh page loads per start-up variant, interleaved
  latency: envInt('BENCH_LATENCY', 200, 20), // single events for the latency figure
  big: 10000 // events in one task
};
const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync']
};
const TIMEOUT = 60_000;
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---- the yardstick: the empty syscall/js program and its one-script loader ----

function buildEmpty() {
  const makefile = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
  if (!makefile.includes(MAKEFILE_FLAGS)) {
    throw new Error(`the Makefile no longer says ${MAKEFILE_FLAGS}; update GO_FLAGS in bench/run.mjs to match`);
  }
  const env = { ...process.env, GOOS: 'js', GOARCH: 'wasm' };
  execFileSync(GO, ['build', ...GO_FLAGS, '-o', EMPTY_WASM, './bench/empty'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const goroot = execFileSync(GO, ['env', 'GOROOT'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const wasmExec = fs.readFileSync(path.join(goroot, 'lib/wasm/wasm_exec.js'), 'utf8');
  const loader = fs.readFileSync(path.join(ROOT, 'bench/empty-loader.js'), 'utf8');
  fs.writeFileSync(EMPTY_JS, `${wasmExec}\n${loader}`);
  return { goVersion };
}

function measureSizes() {
  const of = (file) => sizesOf(fs.readFileSync(file));
  const s = {
    module: of(DIST('userpilot-heap-bridge.wasm')), floor: of(EMPTY_WASM),
    loader: of(DIST('userpilot-heap-bridge.js')), worker: of(DIST('userpilot-heap-bridge.worker.js'))
  };
  s.moduleRatio = { raw: s.module.raw / s.floor.raw, gzip: s.module.gzip / s.floor.gzip, brotli: s.module.brotli / s.floor.brotli };
  return s;
}

// ---- the local server ----

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };
// Cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs.
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin'
};
const SERVED = { '/dist/': path.join(ROOT, 'dist'), '/bench/': path.join(ROOT, 'bench'), '/bench-out/': OUT };

async function startServer() {
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...ISOLATION });
      res.end(body);
    };
    if (pages.has(p)) return send(200, MIME['.html'], pages.get(p));
    const prefix = Object.keys(SERVED).find((pre) => p.startsWith(pre));
    const file = prefix && path.resolve(SERVED[prefix], '.' + p.slice(prefix.length - 1));
    if (!file || !file.startsWith(SERVED[prefix] + path.sep)) return send(404, 'text/plain', 'not found');
    fs.readFile(file, (err, body) => {
      if (err) return send(404, 'text/plain', 'not found');
      send(200, MIME[path.extname(file)] || 'application/octet-stream', body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  pages.set('/pages/blank.html', '<!doctype html><title>blank</title>');
  return {
    page(name, html) {
      pages.set(`/pages/${name}.html`, html);
      return `${origin}/pages/${name}.html`;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })
  };
}

async function openPage(browser, url, { trace = false } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String((e && e.stack) || e)));
  if (trace) {
    // A blank page of the same origin first, so the page's renderer runs (and is traced) from the
    // start of the measured navigation.
    await page.goto(new URL('/pages/blank.html', url).href, { waitUntil: 'load', timeout: TIMEOUT });
    await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  }
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT });
  return { context, page, errors };
}

// ---- 1. start-up: the longest main-thread task between the tag and ready() ----

// startupPage marks the start right before the tag and the end when it is ready.
const startupPage = (tag, readyExpr) => `<!doctype html><html><head><meta charset="utf-8"><title>bench: start-up</title></head><body>
<script>performance.mark('bench-start');</script>
${tag}
<script>
  ${readyExpr}.then(function () { performance.mark('bench-ready'); window.benchReadyAt = performance.now(); },
    function (e) { window.benchFailed = String(e && e.message || e); });
</script>
</body></html>`;

const settingsTag = (settings) => `<script>window.userpilotHeapBridgeSettings = ${JSON.stringify(settings)};</script>`;
const STARTUP = {
  worker: startupPage('<script src="/dist/userpilot-heap-bridge.js"></script>', 'UserpilotHeapBridge.ready()'),
  main: startupPage(settingsTag({ thread: 'main' }) + '<script src="/dist/userpilot-heap-bridge.js"></script>', 'UserpilotHeapBridge.ready()'),
  none: startupPage('', 'new Promise(function (r) { addEventListener("load", function () { setTimeout(r, 0); }); })'),
  empty: startupPage('<script src="/bench-out/empty-bundle.js"></script>', 'BenchEmpty.ready()')
};

async function loadOnce(browser, url) {
  const { context, page, errors } = await openPage(browser, url, { trace: true });
  try {
    await page.waitForFunction(() => window.benchReadyAt !== undefined || window.benchFailed !== undefined, null, { timeout: TIMEOUT });
    const failed = await page.evaluate(() => window.benchFailed);
    if (failed) throw new Error(`start-up page failed: ${failed}`);
    const ms = await page.evaluate(() => window.benchReadyAt - performance.getEntriesByName('bench-start')[0].startTime);
    const tasks = mainThreadTasks(await browser.stopTracing(), 'bench-start', 'bench-ready');
    if (errors.length) throw new Error(`page errors during start-up:\n${errors.join('\n')}`);
    return { ms, longest: tasks.longestMs, total: tasks.totalMs, cpu: tasks.cpuMs };
  } finally {
    await context.close();
  }
}

async function benchStartup(browser, server) {
  const names = Object.keys(STARTUP);
  const urls = Object.fromEntries(names.map((n) => [n, server.page(`startup-${n}`, STARTUP[n])]));
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await loadOnce(browser, urls[n]); // untimed: the browser's own warm-up
  for (let i = 0; i < CONFIG.loads; i++) {
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const n of order) runs[n].push(await loadOnce(browser, urls[n]));
  }
  return Object.fromEntries(names.map((n) => [n, {
    readyMs: summary(runs[n].map((r) => r.ms)),
    longestTaskMs: summary(runs[n].map((r) => r.longest)),
    mainThreadMs: summary(runs[n].map((r) => r.total)),
    mainThreadCpuMs: summary(runs[n].map((r) => r.cpu))
  }]));
}

// ---- 2-4. events: a page per thread, each with the hand-written baseline beside the bridge ----

const eventsPage = (thread) => `<!doctype html><html><head><meta charset="utf-8"><title>bench: events</title>
<script src="/bench/fakes.js"></script>
<script src="/bench/baseline.js"></script>
</head><body>
<script>window.heap = BenchFakes.heap; window.userpilotHeapBridgeSettings = { thread: ${JSON.stringify(thread)} };</script>
<script src="/dist/userpilot-heap-bridge.js"></script>
<script>
  // Assigned after the tag, so the bridge's accessor hooks it like a loaded SDK.
  window.userpilot = BenchFakes.makeSdk();
  userpilot.identify('bench-user-1');
  // The baseline's own SDK: never on window.userpilot, so the bridge does not see its events.
  window.benchBaseline = BenchBaseline.create(function () { return window.heap; });
  window.benchBaselineSdk = BenchFakes.makeSdk();
  BenchBaseline.events.forEach(function (name) {
    benchBaselineSdk.on(name, function (payload) { benchBaseline.event(name, payload); });
  });
  benchBaseline.identify('bench-user-1');
  // idle resolves when the bridge holds nothing: every event answered by the module.
  window.benchIdle = function () {
    return new Promise(function (resolve) {
      (function check() { var s = UserpilotHeapBridge.stats(); if (s.pending === 0) resolve(); else setTimeout(check, 5); })();
    });
  };
</script>
</body></html>`;

// burst runs in the page: n events in one task through one path; it resolves when Heap has them all.
function burst({ which, n, base }) {
  const sdk = which === 'baseline' ? window.benchBaselineSdk : window.userpilot;
  const events = BenchFakes.makeEvents(n, base);
  const s0 = UserpilotHeapBridge.stats(), t0 = BenchFakes.counts.track;
  const done = BenchFakes.tracks(n);
  performance.mark('bench-burst-start');
  for (let i = 0; i < events.length; i++) sdk.emit(events[i][0], events[i][1]);
  return done.then(() => {
    performance.mark('bench-burst-end');
    const s1 = UserpilotHeapBridge.stats();
    return { tracks: BenchFakes.counts.track - t0, forwarded: s1.forwarded - s0.forwarded, received: s1.received - s0.received };
  });
}

// taskSeconds reads the page's main-thread task time and that thread's CPU time, in seconds.
async function taskSeconds(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name) => metrics.find((m) => m.name === name).value;
  return { task: value('TaskDuration'), cpu: value('ThreadTime') };
}

async function openEvents(browser, server, thread) {
  const p = await openPage(browser, server.page(`events-${thread}`, eventsPage(thread)));
  const ready = await p.page.evaluate(() => UserpilotHeapBridge.ready().then(() => 'ready', (e) => String(e)));
  if (ready !== 'ready') throw new Error(`UserpilotHeapBridge.ready() rejected: ${ready}`);
  const where = await p.page.evaluate(() => UserpilotHeapBridge.stats().thread);
  if (where !== thread) throw new Error(`the bridge runs on ${where}, not ${thread}`);
  p.cdp = await p.context.newCDPSession(p.page);
  await p.cdp.send('Performance.enable');
  return p;
}

// Both paths must make the same Heap calls, or the comparison measures different work.
async function validate(p) {
  const got = await p.page.evaluate(async () => ({
    bridge: await BenchFakes.validate(window.userpilot, (id) => window.userpilot.identify(id), window.benchIdle),
    baseline: await BenchFakes.validate(window.benchBaselineSdk, (id) => window.benchBaseline.identify(id), () => null)
  }));
  const a = got.bridge.calls, b = got.baseline.calls;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const cut = (s) => (s === undefined ? '(no call)' : s.length > 600 ? s.slice(0, 600) + '…' : s);
      throw new Error(`validation: the bridge and the JS baseline made different Heap calls (call ${i + 1}):\n  bridge:   ${cut(a[i])}\n  baseline: ${cut(b[i])}`);
    }
  }
  return { cases: got.bridge.cases, calls: a.length };
}

async function benchPerEvent(browser, server) {
  const pages = { worker: await openEvents(browser, server, 'worker'), main: await openEvents(browser, server, 'main') };
  try {
    const checks = { worker: await validate(pages.worker), main: await validate(pages.main) };
    const paths = [['worker', pages.worker, 'worker'], ['main', pages.main, 'main'], ['baseline', pages.worker, 'baseline']];
    const samples = { worker: [], main: [], baseline: [] }, cpu = { worker: [], main: [], baseline: [] };
    let base = 1e6;
    for (let r = 0; r < CONFIG.warmup + CONFIG.rounds; r++) {
      for (const [name, p, which] of r % 2 === 0 ? paths : [...paths].reverse()) {
        const before = await taskSeconds(p.cdp);
        const res = await p.page.evaluate(burst, { which, n: CONFIG.burst, base });
        const after = await taskSeconds(p.cdp);
        base += CONFIG.burst;
        const expect = which === 'baseline' ? { tracks: CONFIG.burst, forwarded: 0, received: 0 } : { tracks: CONFIG.burst, forwarded: CONFIG.burst, received: CONFIG.burst };
        for (const [k, v] of Object.entries(expect)) {
          if (res[k] !== v) throw new Error(`${name} burst: ${k} grew by ${res[k]}, expected ${v}`);
        }
        if (r >= CONFIG.warmup) {
          samples[name].push(((after.task - before.task) * 1e6) / CONFIG.burst);
          cpu[name].push(((after.cpu - before.cpu) * 1e6) / CONFIG.burst);
        }
      }
    }
    for (const p of Object.values(pages)) if (p.errors.length) throw new Error(`page errors:\n${p.errors.join('\n')}`);
    return {
      checks,
      worker: summary(samples.worker), main: summary(samples.main), baseline: summary(samples.baseline),
      workerRatio: median(samples.worker) / median(samples.baseline),
      mainRatio: median(samples.main) / median(samples.baseline),
      cpu: {
        worker: summary(cpu.worker), main: summary(cpu.main), baseline: summary(cpu.baseline),
        workerRatio: median(cpu.worker) / median(cpu.baseline),
        mainRatio: median(cpu.main) / median(cpu.baseline)
      }
    };
  } finally {
    for (const p of Object.values(pages)) await p.context.close();
  }
}

// latency runs in the page: single events some ms apart, each timed from the emit to heap.track.
function latency({ n, gap }) {
  const out = [];
  let i = 0;
  return new Promise((resolve) => {
    (function next() {
      if (i === n) return resolve(out);
      setTimeout(() => {
        const arrived = BenchFakes.tracks(1);
        const t0 = performance.now();
        window.userpilot.emit('started', { id: 'latency-' + i++, token: 't' });
        arrived.then((t1) => { out.push(t1 - t0); next(); });
      }, gap);
    })();
  });
}

async function benchLatency(browser, server) {
  const out = {};
  for (const thread of ['worker', 'main']) {
    const p = await openEvents(browser, server, thread);
    try {
      const xs = await p.page.evaluate(latency, { n: CONFIG.latency, gap: 10 });
      out[thread] = { p50: percentile(xs, 50), p95: percentile(xs, 95), max: Math.max(...xs), n: xs.length };
    } finally {
      await p.context.close();
    }
  }
  return out;
}

// big: 10,000 events emitted in one task; the trace gives the longest main-thread task until Heap has them all.
// Now and then a trace lacks the emitting task although it holds the marks inside it: that run is
// measured again on a fresh page, at most BIG_TRIES times, and the report says how many it took.
const BIG_TRIES = 3;
async function benchBig(browser, server) {
  const out = {};
  for (const [name, thread, which] of [['worker', 'worker', 'bridge'], ['main', 'main', 'bridge'], ['baseline', 'worker', 'baseline']]) {
    for (let tries = 1; !out[name]; tries++) {
      const tasks = await traceBurst(browser, server, name, thread, which);
      if (tasks.longestMs > 0) {
        out[name] = { longestMs: tasks.longestMs, mainThreadMs: tasks.totalMs, mainThreadCpuMs: tasks.cpuMs, untilAllMs: tasks.windowMs, tries };
      } else if (tries === BIG_TRIES) {
        throw new Error(`${name}: in ${tries} tries the trace held no task of the burst; the figure would be wrong`);
      }
    }
  }
  return out;
}

// traceBurst emits the burst on a fresh page under a Chrome trace and returns the page's main-thread
// tasks between its marks.
async function traceBurst(browser, server, name, thread, which) {
  const p = await openEvents(browser, server, thread);
  try {
    await browser.startTracing(p.page, { categories: TRACE_CATEGORIES });
    // The renderer starts recording a moment after startTracing returns: let a few tasks pass, so
    // the task that emits the burst is in the trace.
    await p.page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => setTimeout(r, 50)), 100)));
    // The burst runs in a page task of its own (a timer), as a host's code would emit it.
    await p.page.addScriptTag({ content: `window.benchBurst = ${burst.toString()};` });
    const res = await p.page.evaluate((args) => new Promise((resolve) => setTimeout(() => resolve(window.benchBurst(args)), 0)),
      { which, n: CONFIG.big, base: 5e7 });
    const tasks = mainThreadTasks(await browser.stopTracing(), 'bench-burst-start', 'bench-burst-end');
    if (res.tracks !== CONFIG.big) throw new Error(`${name}: Heap got ${res.tracks} of ${CONFIG.big}`);
    return tasks;
  } finally {
    await p.context.close();
  }
}

// ---- statistics and the report ----

function summary(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const fmt = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const int = (n) => n.toLocaleString('en-US');

function report(r) {
  const L = [], u = r.startup, e = r.perEvent, s = r.sizes;
  L.push('userpilot-heap-bridge benchmark');
  L.push(`${r.date} | ${r.browser} headless | Node ${r.node} | ${r.go} | ${r.cpus} CPUs (shared)`);
  L.push('Medians of interleaved runs in one session; ratios compare against a baseline run beside it. Nothing passes or fails on time.');

  L.push('', `1. Start-up: ${u.worker.readyMs.samples.length} fresh loads per variant; main-thread tasks from a Chrome trace,`);
  L.push('   overlapping the span from the tag to ready() (no bridge: to the load event). Work in a Worker is not counted.');
  const w1 = [34, 18, 18, 10, 16];
  L.push(row(['   variant', 'longest task ms', 'main-thread ms', 'CPU ms', 'ready ms'], w1));
  const startRow = (label, x) => row([`   ${label}`, `${fmt(x.longestTaskMs.median, 1)} (max ${fmt(x.longestTaskMs.max, 1)})`,
    fmt(x.mainThreadMs.median, 1), fmt(x.mainThreadCpuMs.median, 1), fmt(x.readyMs.median, 1)], w1);
  L.push(startRow('bridge, module in a Worker', u.worker));
  L.push(startRow('bridge, module on main thread', u.main));
  L.push(startRow('page without the bridge', u.none));
  L.push(startRow('empty Go program, main thread', u.empty));

  L.push('', `2. Main-thread time per event, bursts of ${CONFIG.burst} in one task, ${e.worker.samples.length} timed bursts per path (after ${CONFIG.warmup} warm-up), interleaved`);
  L.push('   From CDP Performance.getMetrics TaskDuration (the page\'s main-thread task time): the emitting task, the');
  L.push('   tasks applying the module\'s answers, nothing in the Worker. The harness (a fake SDK emitting) is the same on every path.');
  L.push('   CPU: the main thread\'s CPU time (ThreadTime) over the same bursts; task time also holds waits for a busy core.');
  const w2 = [34, 12, 10, 10, 14, 12, 14];
  L.push(row(['   path', 'median µs', 'min', 'max', 'vs hand JS', 'CPU µs', 'CPU vs JS'], w2));
  L.push(row(['   bridge, module in a Worker', fmt(e.worker.median, 2), fmt(e.worker.min, 2), fmt(e.worker.max, 2), times(e.workerRatio), fmt(e.cpu.worker.median, 2), times(e.cpu.workerRatio)], w2));
  L.push(row(['   bridge, module on main thread', fmt(e.main.median, 2), fmt(e.main.min, 2), fmt(e.main.max, 2), times(e.mainRatio), fmt(e.cpu.main.median, 2), times(e.cpu.mainRatio)], w2));
  L.push(row(['   hand-written JavaScript', fmt(e.baseline.median, 2), fmt(e.baseline.min, 2), fmt(e.baseline.max, 2), '1.00x', fmt(e.cpu.baseline.median, 2), '1.00x'], w2));
  L.push(`   Checks: ${e.checks.worker.cases} validation inputs gave identical Heap calls (${e.checks.worker.calls}) on the bridge (both threads) and the`);
  L.push('   baseline; every timed burst grew heap.track calls and stats().forwarded by exactly the events sent.');

  const l = r.latency;
  L.push('', `3. Event to heap.track, ${l.worker.n} single events 10 ms apart (performance.now() at the emit and in heap.track)`);
  const w3 = [34, 10, 10, 10];
  L.push(row(['   path', 'p50 ms', 'p95 ms', 'max ms'], w3));
  L.push(row(['   bridge, module in a Worker', fmt(l.worker.p50, 2), fmt(l.worker.p95, 2), fmt(l.worker.max, 2)], w3));
  L.push(row(['   bridge, module on main thread', fmt(l.main.p50, 2), fmt(l.main.p95, 2), fmt(l.main.max, 2)], w3));

  const b = r.big;
  L.push('', `4. ${int(CONFIG.big)} events emitted in one task (Chrome trace, until Heap has them all)`);
  const w4 = [34, 18, 18, 10, 16];
  L.push(row(['   path', 'longest task ms', 'main-thread ms', 'CPU ms', 'until all ms'], w4));
  for (const [label, k] of [['bridge, module in a Worker', 'worker'], ['bridge, module on main thread', 'main'], ['hand-written JavaScript', 'baseline']]) {
    L.push(row([`   ${label}`, fmt(b[k].longestMs, 1), fmt(b[k].mainThreadMs, 1), fmt(b[k].mainThreadCpuMs, 1), fmt(b[k].untilAllMs, 1)], w4));
  }
  const retried = Object.entries(b).filter(([, v]) => v.tries > 1).map(([k, v]) => `${k} in ${v.tries} tries`);
  if (retried.length) L.push(`   Measured again on a fresh page when the trace lacked the emitting task: ${retried.join(', ')}.`);

  L.push('', '5. Sizes in bytes (gzip -9, brotli quality 11); floor = an empty syscall/js program built with the Makefile\'s flags');
  const w5 = [40, 12, 12, 12];
  const sizeRow = (label, x) => row([`   ${label}`, int(x.raw), int(x.gzip), int(x.brotli)], w5);
  L.push(row(['   file', 'raw', 'gzip', 'brotli'], w5));
  L.push(sizeRow('userpilot-heap-bridge.wasm (module)', s.module));
  L.push(sizeRow('empty Go program (floor)', s.floor));
  L.push(row(['   module / floor', times(s.moduleRatio.raw), times(s.moduleRatio.gzip), times(s.moduleRatio.brotli)], w5));
  L.push(sizeRow('userpilot-heap-bridge.js (main thread)', s.loader));
  L.push(sizeRow('userpilot-heap-bridge.worker.js (worker)', s.worker));
  L.push('', `Figures as JSON: ${path.relative(ROOT, path.join(OUT, 'bench.json'))}`);
  return L.join('\n');
}

async function main() {
  for (const f of ['userpilot-heap-bridge.js', 'userpilot-heap-bridge.worker.js', 'userpilot-heap-bridge.wasm']) {
    if (!fs.existsSync(DIST(f))) throw new Error(`dist/${f} is missing; run \`make build\` first`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  progress('building the empty syscall/js program');
  const { goVersion } = buildEmpty();
  const sizes = measureSizes();
  const server = await startServer();
  let browser;
  try {
    browser = await chromium.launch(LAUNCH);
    progress(`start-up (${CONFIG.loads} loads per variant)`);
    const startup = await benchStartup(browser, server);
    progress(`per event (${CONFIG.rounds} + ${CONFIG.warmup} bursts of ${CONFIG.burst} per path)`);
    const perEvent = await benchPerEvent(browser, server);
    progress(`latency (${CONFIG.latency} events per thread)`);
    const latencyResult = await benchLatency(browser, server);
    progress(`${CONFIG.big} events in one task`);
    const big = await benchBig(browser, server);
    const result = {
      date: new Date().toISOString(), browser: `Chromium ${browser.version()}`, node: process.version, go: goVersion,
      cpus: os.cpus().length, config: CONFIG, startup, perEvent, latency: latencyResult, big, sizes
    };
    fs.writeFileSync(path.join(OUT, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(report(result));
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }
}

main().catch((err) => {
  console.error(`bench: FAILED: ${(err && err.stack) || err}`);
  process.exitCode = 1;
});
