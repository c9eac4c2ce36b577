// bench/relay.mjs measures the edge relay in workerd: the Go relay (relay/worker + package relay,
// built by `make relay-build`; one Go instance per isolate) beside bench/relay-baseline/worker.mjs, the
// same job in plain JavaScript, in the same run, against the same fake Heap API, with the same
// batches. It reports events per second, p50/p99 request latency and CPU per request for each and
// the ratio Go/JS; the cold start (the first request on a fresh isolate, which for Go starts the
// instance); memory over the run (workerd's RSS for both, Go's linear memory and live heap); the
// Go Worker's upload size against Cloudflare's limits and where its code goes, by Go package; and
// the targets beside the figures. It prints a plain-text report and writes the figures to
// bench-out/relay.json. Timings on a shared machine are noisy: nothing fails on time.
// Usage: make bench-relay   (BENCH_RELAY_REQUESTS, BENCH_RELAY_ROUNDS, BENCH_RELAY_CONCURRENCY,
// BENCH_RELAY_BATCH override the sizes)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import workerd from 'workerd';
import { envInt, median, sizesOf, times, row } from './measure.mjs';
import { attribution, linked } from '../internal/testkit/wasmsize.mjs';
import { startRelay, BUILD_DIR, BASELINE_WORKER, COMPATIBILITY_DATE } from '../relay/worker/run.mjs';
import { startFakeHeap, APP_ID } from '../internal/testkit/fakes.mjs';
import { shardOf } from '../test/relay/helpers.mjs'; // one Durable Object call per shard

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
const GO = process.env.GO || 'go';

const CONFIG = {
  batch: envInt('BENCH_RELAY_BATCH', 10, 1), // events per request
  // page: each request's events are one user's, as a page sends them; mixed: each event another user's
  identities: process.env.BENCH_RELAY_IDENTITIES === 'mixed' ? 'mixed' : 'page',
  concurrency: envInt('BENCH_RELAY_CONCURRENCY', 8, 1), // requests in flight
  requests: envInt('BENCH_RELAY_REQUESTS', 300, 50), // requests per timed round per relay
  rounds: envInt('BENCH_RELAY_ROUNDS', 6, 2), // timed rounds per relay, interleaved, ABBA order
  warmup: 500 // untimed requests per relay first
};
// Cloudflare's Worker size limits, after compression (free and paid plans).
const LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };
const GO_FILES = ['app.wasm', 'entry.mjs', 'serve.mjs', 'runtime.mjs', 'wasm_exec.js'];
const MODULE = 'github.com/userpilot-heap-bridge/userpilot-heap-bridge';
// The issues' targets (issue 11; issue 19 for events/s and CPU with the durable queue), checked
// against this run's figures in the report.
const TARGETS = { eventsRatio: 0.4, cpuMs: 2.5, cpuRatio: 5, p99Ratio: 3, gzipBytes: Math.floor(0.61 * 3 * 1024 * 1024), heapGrowth: 0.1 };

const progress = (msg) => process.stderr.write(`bench-relay: ${msg}\n`);

// ---- load ----

let seq = 0;
let requestSeq = 0;
const shardsTouched = []; // per request: the Durable Object calls the Go relay makes for it
function batch() {
  const now = new Date().toISOString();
  requestSeq++;
  const events = Array.from({ length: CONFIG.batch }, (_, i) => ({
    id: `bench-${process.pid}-${++seq}`,
    name: i % 2 ? 'Userpilot Flow (started)' : 'Userpilot Checklist Task (completed)',
    properties: { flow_id: 1000 + (seq % 50), flow_token: `tok${seq % 50}`, 'userpilot.step': 'intro', locale: 'en-US', completed: i % 3 === 0 },
    identity: `user-${(CONFIG.identities === 'page' ? requestSeq : seq) % 97}@example.com`,
    timestamp: now
  }));
  shardsTouched.push(new Set(events.map((e) => shardOf(e.identity))).size);
  return JSON.stringify({ events });
}


// drive sends n requests (bodies made beforehand) with CONFIG.concurrency in flight; it returns the
// wall time and each request's latency, and throws on any answer other than all events accepted.
async function drive(url, n, lanes = CONFIG.concurrency) {
  const bodies = Array.from({ length: n }, batch);
  const latencies = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] });
      const answer = await res.text();
      latencies[i] = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${answer}`);
      const { accepted, refused } = JSON.parse(answer);
      if (accepted.length !== CONFIG.batch || refused.length) throw new Error(`${url}: not all accepted: ${answer}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(lanes, n) }, worker));
  return { ms: performance.now() - t0, latencies };
}

// cpuMs returns the CPU time (user + system) process pid has used, from /proc, or null elsewhere.
let clockTicks;
function cpuMs(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks; // utime, stime
  } catch {
    return null;
  }
}

// healthOnly times GET /v1/health, a request that makes no Heap call, with the same concurrency
// and count as a round: the relay's cost around its work.
async function healthOnly(relay) {
  const latencies = [];
  let next = 0;
  const c0 = cpuMs(relay.pid);
  await Promise.all(Array.from({ length: CONFIG.concurrency }, async () => {
    while (next++ < CONFIG.requests) {
      const t0 = performance.now();
      const res = await fetch(`${relay.url}/v1/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`GET /v1/health: ${res.status}`);
    }
  }));
  const c1 = cpuMs(relay.pid);
  return { p50: quantile(latencies, 0.5), cpuMsPerRequest: c0 === null || c1 === null ? null : (c1 - c0) / latencies.length };
}

// rssBytes is a process's resident memory, from /proc, or null elsewhere.
function rssBytes(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return null;
  }
}

// goInstance reads the Go relay's instance figures from GET /v1/health.
async function goInstance(url) {
  const res = await fetch(`${url}/v1/health`);
  return (await res.json()).instance;
}

// memorySample reads both relays' memory: workerd's RSS, and the Go instance's figures after a
// garbage collection (GET /v1/health?gc), so its live heap is what is really live rather than what
// the requests in flight held at the last collection.
async function memorySample(relays) {
  await (await fetch(`${relays.go.url}/v1/health`)).arrayBuffer(); // the first health answer allocates runtime/metrics' tables
  const res = await fetch(`${relays.go.url}/v1/health?gc`);
  const instance = (await res.json()).instance;
  return { go: { rss: rssBytes(relays.go.pid), instance }, js: { rss: rssBytes(relays.js.pid) } };
}

// coldStart starts workerd for one relay without a probe request, then times its first request
// (on the fresh isolate; for Go it starts the instance) and its second, each with workerd's CPU.
async function coldStart(baseline, vars) {
  const t0 = performance.now();
  const relay = await startRelay({ addr: '127.0.0.1:0', vars, baseline, probe: false });
  const upMs = performance.now() - t0;
  const timed = async () => {
    const c0 = cpuMs(relay.pid);
    const { latencies } = await drive(relay.url, 1);
    const c1 = cpuMs(relay.pid);
    return { ms: latencies[0], cpuMs: c0 === null || c1 === null ? null : c1 - c0 };
  };
  const first = await timed();
  const second = await timed();
  return { relay, startup: { workerdUpMs: upMs, first, second } };
}

// ---- statistics ----

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

// ---- sizes ----

// codeByPackage builds a copy of the Worker that keeps the wasm name section (no -s; the same code)
// and sums its code by Go package; it also counts what a lean build must not link.
function codeByPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-named-'));
  try {
    const named = path.join(dir, 'app.wasm');
    execFileSync(GO, ['build', '-trimpath', '-ldflags=-w', '-o', named, './relay/worker'], { cwd: ROOT, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' } });
    const buf = fs.readFileSync(named);
    const a = attribution(buf, MODULE);
    return {
      code: a.code, data: a.data, other: a.other, named: a.named, top: a.packages.slice(0, 15),
      groups: Object.fromEntries(Object.entries({
        'crypto/*, math/big, encoding/asn1': /^(crypto\/|math\/big$|encoding\/asn1$)/,
        'net/http': /^net\/http$/,
        'net, net/url, net/netip, mime': /^(net|net\/url|net\/netip|mime|mime\/multipart|net\/textproto)$/,
        'encoding/json, reflect': /^(encoding\/json|reflect)$/,
        'runtime, internal/*': /^(runtime|internal\/)/,
        'this module (./...)': /^\./
      }).map(([k, re]) => [k, a.packages.filter((p) => re.test(p.name)).reduce((n, p) => n + p.bytes, 0)])),
      guards: {
        transport: linked(buf, /__Transport_|net_http\.__Client_/).length,
        http2: linked(buf, /net_http\.(__)?http2/).length,
        tlsConnections: linked(buf, /^crypto_tls\.(__)?(Conn|Config|Client|Dial|Server|clientHandshake|serverHandshake)/).length,
        tlsFunctions: linked(buf, /^crypto_tls\./).length
      }
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function measureSizes() {
  const files = {};
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of GO_FILES) {
    files[f] = sizesOf(fs.readFileSync(path.join(BUILD_DIR, f)));
    for (const k of Object.keys(total)) total[k] += files[f][k];
  }
  return { files, total, baseline: sizesOf(fs.readFileSync(BASELINE_WORKER)), limits: LIMITS, code: codeByPackage() };
}

// ---- the run ----

async function main() {
  for (const f of GO_FILES) {
    if (!fs.existsSync(path.join(BUILD_DIR, f))) throw new Error(`build/relay/${f} is missing; run \`make relay-build\` first`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { cwd: ROOT, encoding: 'utf8' }).trim();
  progress('measuring sizes (brotli at quality 11 takes a while)');
  const sizes = measureSizes();

  progress('starting the fake Heap API and both relays in workerd');
  const heap = await startFakeHeap(APP_ID);
  const vars = { HEAP_APP_ID: APP_ID, HEAP_API_URL: heap.url, ALLOWED_ORIGINS: null, IDENTITY_SECRET: null, MAX_BODY_BYTES: null,
    RATE_CLIENT_PER_MINUTE: '2000000000', RATE_IDENTITY_EVENTS_PER_MINUTE: '2000000000',
    // Heap healthy and under its limits: the durable path's healthy case, delivered at once.
    HEAP_EVENTS_PER_MINUTE: '2000000000', HEAP_IDENTITY_EVENTS_PER_MINUTE: '2000000000' };
  const relays = {};
  const startup = {};
  try {
    for (const [name, baseline] of [['go', false], ['js', true]]) {
      ({ relay: relays[name], startup: startup[name] } = await coldStart(baseline, vars));
    }

    progress(`warm-up: ${CONFIG.warmup} requests per relay`);
    for (const name of ['go', 'js']) await drive(relays[name].url, CONFIG.warmup);
    const before = await memorySample(relays);
    await heap.reset();

    const rounds = { go: [], js: [] };
    const latencies = { go: [], js: [] };
    const cpu = { go: 0, js: 0 };
    for (let r = 0; r < CONFIG.rounds; r++) {
      const order = r % 2 === 0 ? ['go', 'js'] : ['js', 'go'];
      for (const name of order) {
        const c0 = cpuMs(relays[name].pid);
        const { ms, latencies: l } = await drive(relays[name].url, CONFIG.requests);
        const c1 = cpuMs(relays[name].pid);
        cpu[name] = c0 === null || c1 === null || cpu[name] === null ? null : cpu[name] + c1 - c0;
        rounds[name].push((CONFIG.requests * CONFIG.batch) / (ms / 1000));
        latencies[name].push(...l);
      }
      progress(`round ${r + 1}/${CONFIG.rounds}: go ${rounds.go.at(-1).toFixed(0)} events/s, js ${rounds.js.at(-1).toFixed(0)} events/s`);
    }
    // Memory after the last round, before the health requests below, which hand Go far more
    // JavaScript values per byte than a batch does (each asks the 16 event objects).
    const after = await memorySample(relays);
    progress(`no Heap call: ${CONFIG.requests} GET /v1/health per relay`);
    const goHealth = await healthOnly(relays.go);
    const jsHealth = await healthOnly(relays.js);
    const got = await heap.events();
    const expected = 2 * CONFIG.rounds * CONFIG.requests * CONFIG.batch;
    if (got.received !== expected || got.duplicates !== 0) {
      throw new Error(`the fake Heap received ${got.received} events (${got.duplicates} duplicates), expected ${expected} and none`);
    }
    const afterHealth = await memorySample(relays);
    const memory = { go: { before: before.go, after: after.go, afterHealth: afterHealth.go }, js: { before: before.js, after: after.js, afterHealth: afterHealth.js } };

    const stats = (name) => ({
      eventsPerSecond: { median: median(rounds[name]), min: Math.min(...rounds[name]), max: Math.max(...rounds[name]), samples: rounds[name] },
      latencyMs: { p50: quantile(latencies[name], 0.5), p99: quantile(latencies[name], 0.99), max: Math.max(...latencies[name]), requests: latencies[name].length },
      workerdCpuMsPerRequest: cpu[name] === null ? null : cpu[name] / latencies[name].length
    });
    const go = stats('go');
    const js = stats('js');
    const result = {
      date: new Date().toISOString(), node: process.version, go: goVersion, workerd: workerd.version,
      compatibilityDate: COMPATIBILITY_DATE, cpus: os.cpus().length, config: CONFIG,
      goRelay: { ...go, startup: startup.go, healthOnly: goHealth, memory: memory.go }, jsBaseline: { ...js, startup: startup.js, healthOnly: jsHealth, memory: memory.js },
      ratios: {
        eventsPerSecond: go.eventsPerSecond.median / js.eventsPerSecond.median,
        p50: go.latencyMs.p50 / js.latencyMs.p50,
        p99: go.latencyMs.p99 / js.latencyMs.p99,
        cpuPerRequest: go.workerdCpuMsPerRequest && js.workerdCpuMsPerRequest ? go.workerdCpuMsPerRequest / js.workerdCpuMsPerRequest : null
      },
      checks: { heapRequests: got.requests, eventsReceived: got.received, duplicates: got.duplicates },
      durableObjectCallsPerRequest: shardsTouched.reduce((a, b) => a + b, 0) / shardsTouched.length,
      sizes
    };
    result.targets = targets(result);
    fs.writeFileSync(path.join(OUT, 'relay.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(report(result));
  } finally {
    await Promise.all(Object.values(relays).map((r) => r.stop()));
    await heap.stop();
  }
}

// ---- the report ----

const fmt = (x, d = 1) => x.toFixed(d);
const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (n) => (n === null || n === undefined ? 'n/a' : `${(n / 1024 / 1024).toFixed(2)} MiB`);
const kib = (n) => (n === null || n === undefined ? 'n/a' : `${(n / 1024).toFixed(0)} KiB`);

function report(r) {
  const c = r.config, g = r.goRelay, j = r.jsBaseline, s = r.sizes, L = [];
  const cpuText = (x) => (x === null || x === undefined ? 'n/a' : fmt(x, 2));
  const ratio = (a, b) => (a === null || b === null || !b ? null : a / b);
  L.push('edge relay benchmark: Go relay (one Go instance per isolate) vs plain JavaScript Worker, both in workerd');
  L.push(`${r.date} | workerd ${r.workerd} (compatibility date ${r.compatibilityDate}) | Node ${r.node} | ${r.go} | ${r.cpus} CPUs (shared)`);
  L.push(`${c.batch} events per request, ${c.concurrency} requests in flight, ${c.warmup} warm-up requests, then ${c.rounds} interleaved rounds`);
  L.push(`(ABBA order) of ${int(c.requests)} requests per relay; one fake Heap API (Go, 127.0.0.1) for both; every answer checked.`);
  L.push(`Identities: ${c.identities === 'page' ? 'one user per request, as a page sends' : 'another user per event'}. The Go relay keeps its event queue in Durable Objects`);
  L.push(`(SQLite, on disk) and makes ${fmt(r.durableObjectCallsPerRequest, 2)} Durable Object calls per POST /v1/events on average (one per shard the identities fall in);`);
  L.push('Heap is healthy and under the limits, so each shard delivers at once and stores nothing. The JavaScript baseline keeps no state.');
  L.push('Timings on this machine are noisy: read them as orders of magnitude, nothing passes or fails on time.');

  L.push('', '1. Throughput and latency');
  const w = [34, 16, 12, 12, 12, 16];
  L.push(row(['   relay', 'events/s (med)', 'p50 ms', 'p99 ms', 'max ms', 'CPU ms/request'], w));
  const line = (label, x) => row([`   ${label}`, int(x.eventsPerSecond.median), fmt(x.latencyMs.p50, 2), fmt(x.latencyMs.p99, 2), fmt(x.latencyMs.max, 1), cpuText(x.workerdCpuMsPerRequest)], w);
  L.push(line('Go (relay/worker, build/relay)', g));
  L.push(line('JavaScript (bench/relay-baseline)', j));
  L.push(row(['   ratio Go/JS', times(r.ratios.eventsPerSecond), times(r.ratios.p50), times(r.ratios.p99), '', times(r.ratios.cpuPerRequest)], w));
  L.push(`   events/s per round, Go: ${g.eventsPerSecond.samples.map((x) => int(x)).join(' ')}; JS: ${j.eventsPerSecond.samples.map((x) => int(x)).join(' ')}`);
  L.push(`   latencies over ${int(g.latencyMs.requests)} timed requests per relay. Checks: the fake Heap got ${int(r.checks.eventsReceived)} events in ${int(r.checks.heapRequests)} requests, ${r.checks.duplicates} duplicates.`);
  L.push('   CPU ms/request: the workerd process\'s user + system CPU during its timed rounds (/proc, 10 ms ticks),');
  L.push('   divided by its requests; Cloudflare\'s free plan allows 10 ms of CPU per request.');
  L.push(`   GET /v1/health (no Heap call), same load: Go p50 ${fmt(g.healthOnly.p50, 2)} ms, ${cpuText(g.healthOnly.cpuMsPerRequest)} CPU ms/request; ` +
    `JS p50 ${fmt(j.healthOnly.p50, 2)} ms, ${cpuText(j.healthOnly.cpuMsPerRequest)} CPU ms/request.`);

  L.push('', '2. Cold start: workerd started without a request, then its first request (a fresh isolate; for Go it');
  L.push('   instantiates the module and starts the Go instance) and its second; latency and workerd CPU (10 ms ticks)');
  const w2 = [34, 14, 12, 14, 12, 14];
  L.push(row(['   relay', 'workerd up ms', '1st ms', '1st CPU ms', '2nd ms', '2nd CPU ms'], w2));
  const sline = (label, x) => row([`   ${label}`, fmt(x.startup.workerdUpMs, 0), fmt(x.startup.first.ms, 1), cpuText(x.startup.first.cpuMs), fmt(x.startup.second.ms, 1), cpuText(x.startup.second.cpuMs)], w2);
  L.push(sline('Go', g));
  L.push(sline('JavaScript', j));
  L.push(row(['   ratio Go/JS', times(ratio(g.startup.workerdUpMs, j.startup.workerdUpMs)), times(ratio(g.startup.first.ms, j.startup.first.ms)), '', times(ratio(g.startup.second.ms, j.startup.second.ms)), ''], w2));

  L.push('', '3. Memory over the timed rounds (after the warm-up, then after the last round; Go\'s live heap after a');
  L.push('   collection, GET /v1/health?gc)');
  const gm = g.memory, jm = j.memory;
  const grow = (a, b) => (a && b ? `${b >= a ? '+' : ''}${(100 * (b - a) / a).toFixed(1)}%` : 'n/a');
  const w3 = [34, 16, 16, 12];
  L.push(row(['   figure', 'before', 'after', 'growth'], w3));
  L.push(row(['   workerd RSS, Go relay', mb(gm.before.rss), mb(gm.after.rss), grow(gm.before.rss, gm.after.rss)], w3));
  L.push(row(['   workerd RSS, JavaScript', mb(jm.before.rss), mb(jm.after.rss), grow(jm.before.rss, jm.after.rss)], w3));
  L.push(row(['   Go linear memory', mb(gm.before.instance.memoryBytes), mb(gm.after.instance.memoryBytes), grow(gm.before.instance.memoryBytes, gm.after.instance.memoryBytes)], w3));
  L.push(row(['   Go live heap', kib(gm.before.instance.goHeapLiveBytes), kib(gm.after.instance.goHeapLiveBytes), grow(gm.before.instance.goHeapLiveBytes, gm.after.instance.goHeapLiveBytes)], w3));
  L.push(`   Then ${int(c.requests)} GET /v1/health (each asks the 16 event objects): Go linear memory ${mb(gm.afterHealth.instance.memoryBytes)} ` +
    `(${grow(gm.before.instance.memoryBytes, gm.afterHealth.instance.memoryBytes)} from before), live heap ${kib(gm.afterHealth.instance.goHeapLiveBytes)} ` +
    `(${grow(gm.before.instance.goHeapLiveBytes, gm.afterHealth.instance.goHeapLiveBytes)}).`);
  L.push(`   The Go instance: generation ${gm.afterHealth.instance.generation}, ${int(gm.afterHealth.instance.requests)} requests served (one instance for the whole run: ` +
    `${gm.afterHealth.instance.generation === gm.before.instance.generation ? 'yes' : 'NO'}); Go heap goal ${mb(gm.afterHealth.instance.goHeapGoalBytes)}.`);
  L.push('   workerd\'s RSS grows locally for any Worker, the JavaScript one included (test/relay/memory.test.mjs: 5,000 requests).');

  L.push('', '4. Worker upload size in bytes (gzip -9, brotli quality 11), build/relay/');
  const w4 = [34, 14, 14, 14];
  L.push(row(['   file', 'raw', 'gzip', 'brotli'], w4));
  for (const [f, x] of Object.entries(s.files)) L.push(row([`   ${f}`, int(x.raw), int(x.gzip), int(x.brotli)], w4));
  L.push(row(['   total', int(s.total.raw), int(s.total.gzip), int(s.total.brotli)], w4));
  L.push(row(['   bench/relay-baseline/worker.mjs', int(s.baseline.raw), int(s.baseline.gzip), int(s.baseline.brotli)], w4));
  const verdict = (limit) => (s.total.gzip <= limit ? `fits (${(100 * s.total.gzip / limit).toFixed(0)}% of it)` : `DOES NOT FIT (${(100 * s.total.gzip / limit).toFixed(0)}% of it)`);
  L.push(`   Cloudflare limits, compressed: free plan ${mb(s.limits.free)}: ${verdict(s.limits.free)}; paid plan ${mb(s.limits.paid)}: ${verdict(s.limits.paid)}`);
  L.push(`   (gzip total ${mb(s.total.gzip)}; wrangler reports the gzip size it uploads).`);
  const k = s.code;
  L.push(`   app.wasm by section: code ${int(k.code)}, data ${int(k.data)}, other ${int(k.other)} bytes. Code by Go package (wasm name`);
  L.push('   section of a copy built without -s, the same code), the 15 largest:');
  const w5 = [46, 12, 8];
  for (const p of k.top) L.push(row([`     ${p.name}`, int(p.bytes), `${(100 * p.bytes / k.code).toFixed(1)}%`], w5));
  L.push('   Grouped:');
  for (const [name, bytes] of Object.entries(k.groups)) L.push(row([`     ${name}`, int(bytes), `${(100 * bytes / k.code).toFixed(1)}%`], w5));
  L.push(`   Linked functions of http.Transport / http.Client: ${k.guards.transport}; http2: ${k.guards.http2}; TLS connections: ${k.guards.tlsConnections};`);
  L.push(`   crypto/tls in all: ${k.guards.tlsFunctions} (its package init, kept because net/http imports it; the crypto above is what that init and`);
  L.push('   crypto/x509\'s reach, FIPS self-tests included, not a TLS client).');

  L.push('', '5. Targets (issue 11; events/s and CPU per request from issue 19) against this run');
  const t = r.targets;
  const w6 = [44, 22, 18, 8];
  L.push(row(['   figure', 'target', 'this run', 'met'], w6));
  for (const x of t) L.push(row([`   ${x.figure}`, x.target, x.value, x.met ? 'yes' : 'NO'], w6));
  L.push('', `Figures as JSON: ${path.relative(ROOT, path.join(OUT, 'relay.json'))}`);
  return L.join('\n');
}

// targets lists the targets with this run's figures.
function targets(r) {
  const g = r.goRelay, gm = g.memory;
  const heapGrowth = (gm.after.instance.memoryBytes - gm.before.instance.memoryBytes) / gm.before.instance.memoryBytes;
  const liveGrowth = (gm.after.instance.goHeapLiveBytes - gm.before.instance.goHeapLiveBytes) / gm.before.instance.goHeapLiveBytes;
  const cpu = g.workerdCpuMsPerRequest;
  return [
    { figure: 'events/s, Go / JavaScript', target: `>= ${TARGETS.eventsRatio}x`, value: times(r.ratios.eventsPerSecond), met: r.ratios.eventsPerSecond >= TARGETS.eventsRatio },
    { figure: 'CPU ms per request, Go', target: `<= ${TARGETS.cpuMs} ms`, value: cpu === null ? 'n/a' : `${fmt(cpu, 2)} ms`, met: cpu !== null && cpu <= TARGETS.cpuMs },
    { figure: 'CPU per request, Go / JavaScript', target: `<= ${TARGETS.cpuRatio}x`, value: times(r.ratios.cpuPerRequest), met: r.ratios.cpuPerRequest !== null && r.ratios.cpuPerRequest <= TARGETS.cpuRatio },
    { figure: 'p99 latency, Go / JavaScript', target: `<= ${TARGETS.p99Ratio}x`, value: times(r.ratios.p99), met: r.ratios.p99 <= TARGETS.p99Ratio },
    { figure: 'Worker upload, gzip', target: `<= ${int(TARGETS.gzipBytes)} B`, value: `${int(r.sizes.total.gzip)} B`, met: r.sizes.total.gzip <= TARGETS.gzipBytes },
    { figure: 'Go linear memory growth, timed rounds', target: `<= ${100 * TARGETS.heapGrowth}%`, value: `${(100 * heapGrowth).toFixed(1)}%`, met: heapGrowth <= TARGETS.heapGrowth },
    { figure: 'Go live heap growth, timed rounds', target: `<= ${100 * TARGETS.heapGrowth}%`, value: `${(100 * liveGrowth).toFixed(1)}%`, met: liveGrowth <= TARGETS.heapGrowth }
  ];
}

main().catch((err) => {
  console.error(`bench-relay: FAILED: ${(err && err.stack) || err}`);
  process.exitCode = 1;
});
