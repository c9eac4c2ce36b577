// bench/run.mjs measures the bridge in headless Chromium beside baselines run in the same session:
// per-event cost against hand-written JavaScript, sizes and start-up against an empty Go program.
// It prints a plain-text report and writes the same figures to bench-out/bench.json.
// Timings on a shared machine are noisy: it reports medians and ratios, and never fails on time.
// Usage: make build && node bench/run.mjs   (BENCH_EVENTS, BENCH_ROUNDS, BENCH_LOADS override sizes)
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { envInt, median, sizesOf, times, row } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
const DIST_JS = path.join(ROOT, 'dist/userpilot-heap-bridge.js');
const DIST_WASM = path.join(ROOT, 'dist/userpilot-heap-bridge.wasm');
const EMPTY_WASM = path.join(OUT, 'empty.wasm');
const EMPTY_JS = path.join(OUT, 'empty-bundle.js');
const GO = process.env.GO || 'go';
// The Makefile's GOFLAGS_WASM, split for execFile; checked against the Makefile below.
const GO_FLAGS = ['-trimpath', '-ldflags=-s -w'];
const MAKEFILE_FLAGS = "GOFLAGS_WASM := -trimpath -ldflags='-s -w'";

const CONFIG = {
  events: envInt('BENCH_EVENTS', 2000, 100), // events per timed round
  rounds: envInt('BENCH_ROUNDS', 9, 7), // timed rounds per path, interleaved
  warmup: 2, // untimed rounds per path first, so both paths run JIT-compiled code
  loads: envInt('BENCH_LOADS', 7, 5) // fresh page loads per start-up variant, interleaved
};
const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync']
};
const TIMEOUT = 30_000;

const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---- building the yardstick: the empty syscall/js program and its one-script loader ----

function buildEmpty() {
  const makefile = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
  if (!makefile.includes(MAKEFILE_FLAGS)) {
    throw new Error(`the Makefile no longer says ${MAKEFILE_FLAGS}; update GO_FLAGS in bench/run.mjs to match`);
  }
  const env = { ...process.env, GOOS: 'js', GOARCH: 'wasm' };
  execFileSync(GO, ['build', ...GO_FLAGS, '-o', EMPTY_WASM, './bench/empty'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const goroot = execFileSync(GO, ['env', 'GOROOT'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { cwd: ROOT, encoding: 'utf8' }).trim();
  // One script like the bridge's: Go's wasm_exec.js followed by the tiny loader.
  const wasmExec = fs.readFileSync(path.join(goroot, 'lib/wasm/wasm_exec.js'), 'utf8');
  const loader = fs.readFileSync(path.join(ROOT, 'bench/empty-loader.js'), 'utf8');
  fs.writeFileSync(EMPTY_JS, `${wasmExec}\n${loader}`);
  return { goVersion };
}

// ---- 2. sizes ----

const fileSizes = (file) => sizesOf(fs.readFileSync(file));

function measureSizes() {
  const files = {
    bridgeWasm: fileSizes(DIST_WASM), emptyWasm: fileSizes(EMPTY_WASM),
    bridgeJs: fileSizes(DIST_JS), emptyJs: fileSizes(EMPTY_JS)
  };
  const sum = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });
  files.bridgeTotal = sum(files.bridgeWasm, files.bridgeJs);
  files.emptyTotal = sum(files.emptyWasm, files.emptyJs);
  const ratio = (a, b) => ({ raw: a.raw / b.raw, gzip: a.gzip / b.gzip, brotli: a.brotli / b.brotli });
  return {
    ...files,
    ratios: {
      wasm: ratio(files.bridgeWasm, files.emptyWasm),
      js: ratio(files.bridgeJs, files.emptyJs),
      total: ratio(files.bridgeTotal, files.emptyTotal)
    }
  };
}

// ---- the local server: repo files the pages need, and pages registered by the script ----

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
  return {
    page(name, html) {
      pages.set(`/pages/${name}.html`, html);
      return `${origin}/pages/${name}.html`;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })
  };
}

// openPage loads url in a fresh context (nothing cached) and collects page errors.
async function openPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String((e && e.stack) || e)));
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT });
  return { context, page, errors };
}

// ---- 1. per-event cost ----

const EVENTS_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>bench: per event</title>
<script src="/bench/fakes.js"></script>
<script src="/bench/baseline.js"></script>
</head><body>
<script>window.heap = BenchFakes.heap;</script>
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
</script>
</body></html>`;

async function benchEvents(browser, server) {
  const { context, page, errors } = await openPage(browser, server.page('events', EVENTS_PAGE));
  try {
    const ready = await page.evaluate(() => UserpilotHeapBridge.ready().then(() => 'ready', (e) => String(e)));
    if (ready !== 'ready') throw new Error(`UserpilotHeapBridge.ready() rejected: ${ready}`);
    const isolated = await page.evaluate(() => window.crossOriginIsolated === true);

    // Both paths must make the same Heap calls, or the comparison measures different work.
    const validation = await page.evaluate(() => ({
      bridge: BenchFakes.validate(window.userpilot, (id) => window.userpilot.identify(id)),
      baseline: BenchFakes.validate(window.benchBaselineSdk, (id) => window.benchBaseline.identify(id))
    }));
    compareCalls(validation.bridge.calls, validation.baseline.calls);

    const samples = { bridge: [], baseline: [] };
    let base = 1e6, sentToBridge = 0, forwardedGrowth = 0, baselineTracks = 0;
    const total = CONFIG.warmup + CONFIG.rounds;
    for (let r = 0; r < total; r++) {
      // ABBA order, so a drift in machine load does not favour one path.
      const order = r % 2 === 0 ? ['bridge', 'baseline'] : ['baseline', 'bridge'];
      for (const which of order) {
        const res = await page.evaluate(runRound, { which, n: CONFIG.events, base });
        base += CONFIG.events;
        checkRound(which, res, CONFIG.events);
        if (which === 'bridge') {
          sentToBridge += CONFIG.events;
          forwardedGrowth += res.forwarded;
        } else {
          baselineTracks += res.tracks;
        }
        if (r >= CONFIG.warmup) samples[which].push((res.ms * 1000) / CONFIG.events);
      }
    }
    const stats = await page.evaluate(() => UserpilotHeapBridge.stats());
    if (errors.length) throw new Error(`page errors during the per-event benchmark:\n${errors.join('\n')}`);

    const paired = samples.bridge.map((b, i) => b / samples.baseline[i]);
    return {
      eventsPerRound: CONFIG.events, rounds: CONFIG.rounds, warmupRounds: CONFIG.warmup, crossOriginIsolated: isolated,
      bridgeUsPerEvent: summary(samples.bridge),
      baselineUsPerEvent: summary(samples.baseline),
      ratio: median(samples.bridge) / median(samples.baseline),
      medianPairedRatio: median(paired),
      checks: {
        validationCases: validation.bridge.cases, validationHeapCalls: validation.bridge.calls.length,
        eventsSentToBridge: sentToBridge, bridgeForwardedGrowth: forwardedGrowth, baselineTrackCalls: baselineTracks,
        finalBridgeStats: stats
      }
    };
  } finally {
    await context.close();
  }
}

// runRound runs in the page: it times one round on one path and reports what changed.
function runRound({ which, n, base }) {
  const sdk = which === 'bridge' ? window.userpilot : window.benchBaselineSdk;
  const events = BenchFakes.makeEvents(n, base);
  const s0 = UserpilotHeapBridge.stats(), t0 = BenchFakes.counts.track, i0 = BenchFakes.counts.identify;
  const ms = BenchFakes.timeRound(sdk, events);
  const s1 = UserpilotHeapBridge.stats();
  return {
    ms,
    tracks: BenchFakes.counts.track - t0,
    identifies: BenchFakes.counts.identify - i0,
    received: s1.received - s0.received,
    forwarded: s1.forwarded - s0.forwarded,
    dropped: s1.dropped - s0.dropped,
    duplicates: s1.duplicates - s0.duplicates
  };
}

// checkRound aborts when a path did not do all the work the round asked of it.
function checkRound(which, res, n) {
  const expect = which === 'bridge'
    ? { tracks: n, received: n, forwarded: n, dropped: 0, duplicates: 0, identifies: 0 }
    : { tracks: n, received: 0, forwarded: 0, dropped: 0, duplicates: 0, identifies: 0 };
  for (const [k, v] of Object.entries(expect)) {
    if (res[k] !== v) throw new Error(`${which} round: expected ${k} to grow by ${v}, it grew by ${res[k]} (${JSON.stringify(res)})`);
  }
}

function compareCalls(bridge, baseline) {
  const n = Math.max(bridge.length, baseline.length);
  for (let i = 0; i < n; i++) {
    if (bridge[i] !== baseline[i]) {
      const cut = (s) => (s === undefined ? '(no call)' : s.length > 600 ? s.slice(0, 600) + '…' : s);
      throw new Error(`validation: the bridge and the JS baseline made different Heap calls (call ${i + 1} of ${n}):\n` +
        `  bridge:   ${cut(bridge[i])}\n  baseline: ${cut(baseline[i])}`);
    }
  }
}

// ---- 3. start-up ----

// startupPage marks the start right before the tag and records when it is ready; the head's
// observer collects long tasks (buffered, so none before it registers is missed).
const startupPage = (tag, readyExpr) => `<!doctype html><html><head><meta charset="utf-8"><title>bench: start-up</title>
<script>
  window.benchLongTasks = [];
  window.benchLongTaskSupported = (PerformanceObserver.supportedEntryTypes || []).indexOf('longtask') >= 0;
  if (benchLongTaskSupported) new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { benchLongTasks.push({ start: e.startTime, duration: e.duration }); });
  }).observe({ type: 'longtask', buffered: true });
</script>
</head><body>
<script>performance.mark('bench-start');</script>
${tag}
<script>
  ${readyExpr}.then(function () { window.benchReadyAt = performance.now(); },
    function (e) { window.benchFailed = String(e && e.message || e); });
</script>
</body></html>`;

const CALIBRATION_MS = 120;
const STARTUP = {
  bridge: startupPage('<script src="/dist/userpilot-heap-bridge.js"></script>', 'UserpilotHeapBridge.ready()'),
  empty: startupPage('<script src="/bench-out/empty-bundle.js"></script>', 'BenchEmpty.ready()'),
  // A deliberate busy task in its own task: proves the observer sees start-up long tasks in this browser.
  calibration: startupPage(`<script>window.benchBusy = new Promise(function (done) { setTimeout(function () {
    var t = performance.now(); while (performance.now() - t < ${CALIBRATION_MS}); done(); }, 0); });</script>`, 'benchBusy')
};

async function loadOnce(browser, url) {
  const { context, page, errors } = await openPage(browser, url);
  try {
    await page.waitForFunction(() => window.benchReadyAt !== undefined || window.benchFailed !== undefined, null, { timeout: TIMEOUT });
    // Long-task entries are delivered after the task ends; give the observer time to hear of them.
    await page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => setTimeout(r, 200)), 100)));
    const res = await page.evaluate(() => {
      const mark = performance.getEntriesByName('bench-start')[0].startTime;
      const end = window.benchReadyAt;
      // A task counts if it overlaps the start-up window [mark, ready].
      const during = window.benchLongTasks.filter((t) => t.start < end && t.start + t.duration > mark);
      return {
        failed: window.benchFailed, ms: end - mark, supported: window.benchLongTaskSupported,
        longestTask: during.reduce((m, t) => Math.max(m, t.duration), 0), longTasks: during.length
      };
    });
    if (res.failed) throw new Error(`start-up page failed: ${res.failed}`);
    if (errors.length) throw new Error(`page errors during start-up:\n${errors.join('\n')}`);
    return res;
  } finally {
    await context.close();
  }
}

async function benchStartup(browser, server) {
  const urls = { bridge: server.page('startup-bridge', STARTUP.bridge), empty: server.page('startup-empty', STARTUP.empty) };
  const runs = { bridge: [], empty: [] };
  const calibration = await loadOnce(browser, server.page('startup-calibration', STARTUP.calibration));
  await loadOnce(browser, urls.bridge); // untimed: the first load pays for the browser's own warm-up
  await loadOnce(browser, urls.empty);
  for (let i = 0; i < CONFIG.loads; i++) {
    for (const which of i % 2 === 0 ? ['bridge', 'empty'] : ['empty', 'bridge']) runs[which].push(await loadOnce(browser, urls[which]));
  }
  const side = (list) => ({
    readyMs: summary(list.map((r) => r.ms)),
    longestTaskMs: summary(list.map((r) => r.longestTask)),
    loadsWithLongTask: list.filter((r) => r.longTasks > 0).length
  });
  const bridge = side(runs.bridge), empty = side(runs.empty);
  return {
    loads: CONFIG.loads, longTaskApiSupported: runs.bridge.every((r) => r.supported),
    calibration: { busyMs: CALIBRATION_MS, longestTaskSeenMs: calibration.longestTask },
    bridge, empty,
    readyRatio: bridge.readyMs.median / empty.readyMs.median,
    longestTaskRatio: empty.longestTaskMs.median > 0 ? bridge.longestTaskMs.median / empty.longestTaskMs.median : null,
    samples: runs
  };
}

// ---- statistics and the report ----

function summary(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
}

const fmt = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const int = (n) => n.toLocaleString('en-US');

function report(r) {
  const e = r.perEvent, s = r.sizes, u = r.startup, L = [];
  L.push('userpilot-heap-bridge benchmark');
  L.push(`${r.date} | ${r.browser} headless | Node ${r.node} | ${r.go} | ${r.cpus} CPUs (shared)`);
  L.push('Figures are medians of interleaved rounds in one run; ratios compare against a baseline run beside it.');
  L.push('Timings on this machine are noisy: read them as orders of magnitude, nothing passes or fails on time.');

  L.push('', `1. Per-event cost: ${int(e.eventsPerRound)} events per round, ${e.rounds} timed rounds per path (after ${e.warmupRounds} warm-up), ABBA order`);
  L.push(`   Timer: performance.now() around the emit loop; page ${e.crossOriginIsolated ? 'cross-origin isolated (5 µs resolution)' : 'NOT cross-origin isolated (100 µs resolution)'}.`);
  const w1 = [40, 12, 10, 10];
  L.push(row(['   path', 'median µs', 'min', 'max'], w1));
  L.push(row(['   bridge (loader + Go/wasm)', fmt(e.bridgeUsPerEvent.median, 3), fmt(e.bridgeUsPerEvent.min, 3), fmt(e.bridgeUsPerEvent.max, 3)], w1));
  L.push(row(['   baseline (hand-written JS)', fmt(e.baselineUsPerEvent.median, 3), fmt(e.baselineUsPerEvent.min, 3), fmt(e.baselineUsPerEvent.max, 3)], w1));
  L.push(`   ratio bridge/baseline: ${times(e.ratio)} (ratio of medians); median of per-round ratios ${times(e.medianPairedRatio)}`);
  L.push(`   Checks passed (all rounds, warm-up included): stats().forwarded grew by ${int(e.checks.bridgeForwardedGrowth)}, exactly`);
  L.push(`   the events sent to the bridge (no drops, no duplicates); the baseline made ${int(e.checks.baselineTrackCalls)} heap.track calls;`);
  L.push(`   ${e.checks.validationCases} validation inputs (edge cases included) gave identical Heap calls on both paths ` +
    `(${e.checks.validationHeapCalls} calls).`);
  L.push('   The bridge path includes the loader\'s snapshot, the crossing into Go, dedupe and stats; the baseline does');
  L.push('   only the normalisation and identity rules, so the ratio is the price of that machinery plus Go/wasm.');

  L.push('', '2. Sizes in bytes (gzip -9, brotli quality 11); empty = syscall/js program built with the Makefile\'s flags');
  const w2 = [40, 12, 12, 12];
  const sizeRow = (label, x) => row([`   ${label}`, int(x.raw), int(x.gzip), int(x.brotli)], w2);
  const ratioRow = (label, x) => row([`   ${label}`, times(x.raw), times(x.gzip), times(x.brotli)], w2);
  L.push(row(['   file', 'raw', 'gzip', 'brotli'], w2));
  L.push(sizeRow('dist/userpilot-heap-bridge.wasm', s.bridgeWasm));
  L.push(sizeRow('bench-out/empty.wasm', s.emptyWasm));
  L.push(ratioRow('ratio module/empty (wasm)', s.ratios.wasm));
  L.push(sizeRow('dist/userpilot-heap-bridge.js', s.bridgeJs));
  L.push(sizeRow('empty loader (wasm_exec.js + bench)', s.emptyJs));
  L.push(ratioRow('ratio module/empty (js)', s.ratios.js));
  L.push(sizeRow('bridge total (js + wasm)', s.bridgeTotal));
  L.push(sizeRow('empty total (js + wasm)', s.emptyTotal));
  L.push(ratioRow('ratio module/empty (total)', s.ratios.total));

  L.push('', `3. Start-up: ${u.loads} fresh page loads per variant (new browser context each, no-store), interleaved`);
  L.push('   From performance.mark() right before the tag to ready() resolving (bridge: UserpilotHeapBridge.ready();');
  L.push('   empty: its loader\'s promise, resolved once go.run() has run main up to select{}).');
  const w3 = [40, 12, 10, 10, 18];
  L.push(row(['   variant', 'median ms', 'min', 'max', 'longest task ms'], w3));
  const startRow = (label, x) => row([`   ${label}`, fmt(x.readyMs.median, 1), fmt(x.readyMs.min, 1), fmt(x.readyMs.max, 1),
    `${fmt(x.longestTaskMs.median, 0)} (max ${fmt(x.longestTaskMs.max, 0)})`], w3);
  L.push(startRow('bridge', u.bridge));
  L.push(startRow('empty Go module', u.empty));
  L.push(`   ratio of medians, time to ready: ${times(u.readyRatio)}; longest task: ${u.longestTaskRatio === null ? 'n/a (the empty module had no long task)' : times(u.longestTaskRatio)}`);
  const seen = u.calibration.longestTaskSeenMs;
  if (!u.longTaskApiSupported) {
    L.push('   The Long Tasks API is not supported in this browser: longest task is reported as 0 and means "not measured".');
  } else {
    L.push(`   Long tasks (> 50 ms, Long Tasks API) overlapping start-up: seen in ${u.bridge.loadsWithLongTask}/${u.loads} bridge loads ` +
      `and ${u.empty.loadsWithLongTask}/${u.loads} empty loads; 0 means none over 50 ms was seen.`);
    L.push(seen >= u.calibration.busyMs
      ? `   Calibration: a deliberate ${u.calibration.busyMs} ms task on the same page shape was reported as ${fmt(seen, 0)} ms, so the observer works here.`
      : `   WARNING: a deliberate ${u.calibration.busyMs} ms task was reported as ${fmt(seen, 0)} ms: long-task figures are not trustworthy in this browser.`);
  }
  L.push('', `Figures as JSON: ${path.relative(ROOT, path.join(OUT, 'bench.json'))}`);
  return L.join('\n');
}

// ---- main ----

async function main() {
  for (const f of [DIST_JS, DIST_WASM]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing; run \`make build\` first`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  progress('building the empty syscall/js program');
  const { goVersion } = buildEmpty();
  const sizes = measureSizes();

  const server = await startServer();
  let browser;
  try {
    browser = await chromium.launch(LAUNCH);
    progress(`per-event cost (${CONFIG.rounds} + ${CONFIG.warmup} rounds per path)`);
    const perEvent = await benchEvents(browser, server);
    progress(`start-up (${CONFIG.loads} loads per variant)`);
    const startup = await benchStartup(browser, server);
    const result = {
      date: new Date().toISOString(), browser: `Chromium ${browser.version()}`, node: process.version, go: goVersion,
      cpus: os.cpus().length, config: CONFIG, perEvent, sizes, startup
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
