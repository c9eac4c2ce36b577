// bench/relay.mjs measures the edge relay in workerd: the Go relay (wasm/edge + package relay,
// built by `make relay-build`) beside edge/baseline/worker.mjs, the same job in plain JavaScript,
// in the same run, against the same fake Heap API, with the same batches. It reports events per
// second and p50/p99 request latency for each and the ratio Go/JS, the start-up of each, and the
// Go Worker's upload size against Cloudflare's limits. It prints a plain-text report and writes
// the figures to bench-out/relay.json. Timings on a shared machine are noisy: nothing fails on time.
// Usage: make bench-relay   (BENCH_RELAY_REQUESTS, BENCH_RELAY_ROUNDS, BENCH_RELAY_CONCURRENCY,
// BENCH_RELAY_BATCH override the sizes)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import workerd from 'workerd';
import { envInt, median, sizesOf, times, row } from './measure.mjs';
import { startRelay, BUILD_DIR, BASELINE_WORKER, COMPATIBILITY_DATE } from '../edge/run.mjs';
import { startFakeHeap, APP_ID } from '../test/relay/helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench-out');
const GO = process.env.GO || 'go';

const CONFIG = {
  batch: envInt('BENCH_RELAY_BATCH', 10, 1), // events per request
  concurrency: envInt('BENCH_RELAY_CONCURRENCY', 8, 1), // requests in flight
  requests: envInt('BENCH_RELAY_REQUESTS', 300, 50), // requests per timed round per relay
  rounds: envInt('BENCH_RELAY_ROUNDS', 6, 2), // timed rounds per relay, interleaved, ABBA order
  warmup: 60 // untimed requests per relay first
};
// Cloudflare's Worker size limits, after compression (free and paid plans).
const LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };
const GO_FILES = ['app.wasm', 'entry.mjs', 'serve.mjs', 'runtime.mjs', 'wasm_exec.js'];

const progress = (msg) => process.stderr.write(`bench-relay: ${msg}\n`);

// ---- load ----

let seq = 0;
function batch() {
  const now = new Date().toISOString();
  return JSON.stringify({
    events: Array.from({ length: CONFIG.batch }, (_, i) => ({
      id: `bench-${process.pid}-${++seq}`,
      name: i % 2 ? 'Userpilot Flow (started)' : 'Userpilot Checklist Task (completed)',
      properties: { flow_id: 1000 + (seq % 50), flow_token: `tok${seq % 50}`, 'userpilot.step': 'intro', locale: 'en-US', completed: i % 3 === 0 },
      identity: `user-${seq % 97}@example.com`,
      timestamp: now
    }))
  });
}

// drive sends n requests (bodies made beforehand) with CONFIG.concurrency in flight; it returns the
// wall time and each request's latency, and throws on any answer other than all events accepted.
async function drive(url, n) {
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
  await Promise.all(Array.from({ length: Math.min(CONFIG.concurrency, n) }, worker));
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

// healthOnly times GET /v1/health, which for the Go relay is a Go instance's start and nothing
// else, with the same concurrency and count as a round.
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

// ---- statistics ----

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

// ---- sizes ----

function measureSizes() {
  const files = {};
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of GO_FILES) {
    files[f] = sizesOf(fs.readFileSync(path.join(BUILD_DIR, f)));
    for (const k of Object.keys(total)) total[k] += files[f][k];
  }
  return { files, total, baseline: sizesOf(fs.readFileSync(BASELINE_WORKER)), limits: LIMITS };
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
    RATE_CLIENT_PER_MINUTE: '2000000000', RATE_IDENTITY_EVENTS_PER_MINUTE: '2000000000' };
  const relays = {};
  const startup = {};
  try {
    for (const [name, baseline] of [['go', false], ['js', true]]) {
      const t0 = performance.now();
      relays[name] = await startRelay({ addr: '127.0.0.1:0', vars, baseline });
      const upMs = performance.now() - t0;
      const first = await drive(relays[name].url, 1);
      startup[name] = { workerdUpMs: upMs, firstRequestMs: first.latencies[0] };
    }

    progress(`warm-up: ${CONFIG.warmup} requests per relay`);
    for (const name of ['go', 'js']) await drive(relays[name].url, CONFIG.warmup);
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
    progress(`Go start alone: ${CONFIG.requests} GET /v1/health`);
    const goStart = await healthOnly(relays.go);
    const got = await heap.events();
    const expected = 2 * CONFIG.rounds * CONFIG.requests * CONFIG.batch;
    if (got.received !== expected || got.duplicates !== 0) {
      throw new Error(`the fake Heap received ${got.received} events (${got.duplicates} duplicates), expected ${expected} and none`);
    }

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
      goRelay: { ...go, startup: startup.go, healthOnly: goStart }, jsBaseline: { ...js, startup: startup.js },
      ratios: {
        eventsPerSecond: go.eventsPerSecond.median / js.eventsPerSecond.median,
        p50: go.latencyMs.p50 / js.latencyMs.p50,
        p99: go.latencyMs.p99 / js.latencyMs.p99,
        cpuPerRequest: go.workerdCpuMsPerRequest && js.workerdCpuMsPerRequest ? go.workerdCpuMsPerRequest / js.workerdCpuMsPerRequest : null
      },
      checks: { heapRequests: got.requests, eventsReceived: got.received, duplicates: got.duplicates },
      sizes
    };
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
const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

function report(r) {
  const c = r.config, g = r.goRelay, j = r.jsBaseline, s = r.sizes, L = [];
  L.push('edge relay benchmark: Go relay (syumai/workers) vs plain JavaScript Worker, both in workerd');
  L.push(`${r.date} | workerd ${r.workerd} (compatibility date ${r.compatibilityDate}) | Node ${r.node} | ${r.go} | ${r.cpus} CPUs (shared)`);
  L.push(`${c.batch} events per request, ${c.concurrency} requests in flight, ${c.warmup} warm-up requests, then ${c.rounds} interleaved rounds`);
  L.push(`(ABBA order) of ${int(c.requests)} requests per relay; one fake Heap API (Go, 127.0.0.1) for both; every answer checked.`);
  L.push('Timings on this machine are noisy: read them as orders of magnitude, nothing passes or fails on time.');

  L.push('', '1. Throughput and latency');
  const w = [34, 16, 12, 12, 12, 16];
  const cpuText = (x) => (x === null ? 'n/a' : fmt(x, 2));
  L.push(row(['   relay', 'events/s (med)', 'p50 ms', 'p99 ms', 'max ms', 'CPU ms/request'], w));
  const line = (label, x) => row([`   ${label}`, int(x.eventsPerSecond.median), fmt(x.latencyMs.p50, 2), fmt(x.latencyMs.p99, 2), fmt(x.latencyMs.max, 1), cpuText(x.workerdCpuMsPerRequest)], w);
  L.push(line('Go (wasm/edge, build/relay)', g));
  L.push(line('JavaScript (edge/baseline)', j));
  L.push(row(['   ratio Go/JS', times(r.ratios.eventsPerSecond), times(r.ratios.p50), times(r.ratios.p99), '', r.ratios.cpuPerRequest === null ? 'n/a' : times(r.ratios.cpuPerRequest)], w));
  L.push(`   events/s per round, Go: ${g.eventsPerSecond.samples.map((x) => int(x)).join(' ')}; JS: ${j.eventsPerSecond.samples.map((x) => int(x)).join(' ')}`);
  L.push(`   latencies over ${int(g.latencyMs.requests)} timed requests per relay. Checks: the fake Heap got ${int(r.checks.eventsReceived)} events in ${int(r.checks.heapRequests)} requests, ${r.checks.duplicates} duplicates.`);
  L.push('   CPU ms/request: the workerd process\'s user + system CPU during its timed rounds (/proc, 10 ms ticks),');
  L.push('   divided by its requests; Cloudflare\'s free plan allows 10 ms of CPU per request.');
  L.push('   The Go relay starts a new Go instance for every request (syumai/workers\' worker.mjs). GET /v1/health,');
  L.push(`   that start and nothing else: p50 ${fmt(g.healthOnly.p50, 2)} ms, ${g.healthOnly.cpuMsPerRequest === null ? 'n/a' : fmt(g.healthOnly.cpuMsPerRequest, 2)} CPU ms/request` +
    (g.healthOnly.cpuMsPerRequest && g.workerdCpuMsPerRequest ? ` (${(100 * g.healthOnly.cpuMsPerRequest / g.workerdCpuMsPerRequest).toFixed(0)}% of a POST's CPU).` : '.'));

  L.push('', '2. Start-up (workerd started, module compiled, until GET /v1/health answers; then the first POST)');
  const w2 = [34, 16, 18];
  L.push(row(['   relay', 'workerd up ms', 'first request ms'], w2));
  L.push(row(['   Go', fmt(g.startup.workerdUpMs, 0), fmt(g.startup.firstRequestMs, 1)], w2));
  L.push(row(['   JavaScript', fmt(j.startup.workerdUpMs, 0), fmt(j.startup.firstRequestMs, 1)], w2));

  L.push('', '3. Worker upload size in bytes (gzip -9, brotli quality 11), build/relay/');
  const w3 = [34, 14, 14, 14];
  L.push(row(['   file', 'raw', 'gzip', 'brotli'], w3));
  for (const [f, x] of Object.entries(s.files)) L.push(row([`   ${f}`, int(x.raw), int(x.gzip), int(x.brotli)], w3));
  L.push(row(['   total', int(s.total.raw), int(s.total.gzip), int(s.total.brotli)], w3));
  L.push(row(['   edge/baseline/worker.mjs', int(s.baseline.raw), int(s.baseline.gzip), int(s.baseline.brotli)], w3));
  const verdict = (limit) => (s.total.gzip <= limit ? `fits (${(100 * s.total.gzip / limit).toFixed(0)}% of it)` : `DOES NOT FIT (${(100 * s.total.gzip / limit).toFixed(0)}% of it)`);
  L.push(`   Cloudflare limits, compressed: free plan ${mb(s.limits.free)}: ${verdict(s.limits.free)}; paid plan ${mb(s.limits.paid)}: ${verdict(s.limits.paid)}`);
  L.push(`   (gzip total ${mb(s.total.gzip)}; wrangler reports the gzip size it uploads).`);
  L.push('', `Figures as JSON: ${path.relative(ROOT, path.join(OUT, 'relay.json'))}`);
  return L.join('\n');
}

main().catch((err) => {
  console.error(`bench-relay: FAILED: ${(err && err.stack) || err}`);
  process.exitCode = 1;
});
