// relay/worker/run.mjs runs the edge relay locally in workerd, Cloudflare's Workers runtime (the npm
// package `workerd`). It builds nothing: `make relay-build` must have filled build/relay/ first.
//
// As a module:  const relay = await startRelay({ addr, vars, dir, baseline });  … await relay.stop();
// As a command: node relay/worker/run.mjs [--baseline]   (what `make relay` runs)
//
// The Worker's variables (VARS: HEAP_APP_ID, HEAP_API_URL, ALLOWED_ORIGINS, IDENTITY_SECRET, …,
// and for POST /v1/heap/segments HEAP_WEBHOOK_SECRET, USERPILOT_API_KEY, USERPILOT_API_URL) come
// from `vars`, or from the environment for those `vars` does not name; a variable set nowhere is
// left unbound.
// RELAY_ADDR (default 127.0.0.1:8787) is where it listens; port 0 takes a free port, which
// workerd reports on its control descriptor. RELAY_INSPECTOR_ADDR (host:port, unset by default)
// opens workerd's inspector there, for a CPU profile (docs/relay.md, Limits).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import workerd from 'workerd';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_DIR = path.join(ROOT, 'build/relay');
export const BASELINE_WORKER = path.join(ROOT, 'bench/relay-baseline/worker.mjs');
export const DEFAULT_ADDR = '127.0.0.1:8787';
export const VARS = ['HEAP_APP_ID', 'HEAP_API_URL', 'ALLOWED_ORIGINS', 'IDENTITY_SECRET', 'MAX_BODY_BYTES',
  'RATE_CLIENT_PER_MINUTE', 'RATE_IDENTITY_EVENTS_PER_MINUTE', 'INSTANCE_MAX_REQUESTS', 'INSTANCE_MAX_MEMORY_BYTES',
  'HEAP_WEBHOOK_SECRET', 'USERPILOT_API_KEY', 'USERPILOT_API_URL',
  'HEAP_EVENTS_PER_MINUTE', 'HEAP_IDENTITY_EVENTS_PER_MINUTE', 'DELIVERY_MAX_HOURS', 'USERPILOT_ROWS_PER_MINUTE'];
// Where `make relay` keeps the Durable Objects' SQLite files (RELAY_STATE_DIR overrides it).
export const DEFAULT_STATE_DIR = path.join(ROOT, 'build/relay-state');
// The same date as examples/edge-relay/wrangler.toml; workerd refuses dates after its own.
export const COMPATIBILITY_DATE = '2026-11-01';
// The Go Worker's modules, in build/relay/ after `make relay-build`; entry.mjs is the main module.
const GO_MODULES = [
  ['entry.mjs', 'esModule'],
  ['serve.mjs', 'esModule'],
  ['runtime.mjs', 'esModule'],
  ['wasm_exec.js', 'esModule'],
  ['app.wasm', 'wasm']
];
const START_TIMEOUT = 30_000;
const STOP_TIMEOUT = 5_000;
const LOG_KEEP = 64 * 1024; // bytes of workerd's output kept for error messages

const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

// capnpString quotes s for Cap'n Proto's text format (C-style escapes; no \u escapes there).
function capnpString(s) {
  return '"' + String(s).replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case '"': return '\\"';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    }
  }) + '"';
}

// parseAddr splits "host:port" ("[::1]:port" for IPv6) as workerd's socket address takes it.
export function parseAddr(addr) {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(String(addr));
  if (!m || Number(m[2]) > 65535) throw new Error(`RELAY_ADDR ${JSON.stringify(addr)}: expected host:port, like ${DEFAULT_ADDR}`);
  return { host: m[1], port: Number(m[2]) };
}

// urlHost is the host to reach a socket bound to host at.
function urlHost(host) {
  if (host === '*' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '[::]') return '[::1]';
  return host;
}

// resolveVars takes each variable from vars when it names it (undefined or null: unset), else from env.
export function resolveVars(vars = {}, env = process.env) {
  for (const name of Object.keys(vars)) {
    if (!VARS.includes(name)) throw new Error(`unknown relay variable ${name}; the relay reads ${VARS.join(', ')}`);
  }
  const out = {};
  for (const name of VARS) {
    const v = Object.hasOwn(vars, name) ? vars[name] : env[name];
    if (v !== undefined && v !== null) out[name] = String(v);
  }
  return out;
}

// workerdConfig returns the capnp text of a config serving one Worker on addr. Module paths are
// written relative to configDir, where the config file goes. The outbound network service allows
// loopback and private addresses too: workerd's default one refuses them, and a local fake
// Heap API listens on 127.0.0.1.
export function workerdConfig({ modules, vars, addr, configDir, stateDir }) {
  const mods = modules.map(([file, kind]) =>
    `    (name = ${capnpString(path.basename(file))}, ${kind} = embed ${capnpString(path.relative(configDir, file).split(path.sep).join('/'))}),`);
  const bindings = Object.entries(vars).map(([k, v]) => `    (name = ${capnpString(k)}, text = ${capnpString(v)}),`);
  // The event queue's shards and the segment job queues: Durable Objects with SQLite storage,
  // kept on disk in stateDir.
  if (stateDir) {
    bindings.push('    (name = "EVENTS", durableObjectNamespace = "EventsShard"),');
    bindings.push('    (name = "SEGMENTS", durableObjectNamespace = "SegmentsQueue"),');
  }
  const durable = stateDir ? `
  durableObjectNamespaces = [
    (className = "EventsShard", uniqueKey = "userpilot-heap-relay-events", enableSql = true),
    (className = "SegmentsQueue", uniqueKey = "userpilot-heap-relay-segments", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "state"),` : '';
  const stateService = stateDir ? `
    (name = "state", disk = (path = ${capnpString(path.resolve(stateDir))}, writable = true)),` : '';
  return `# Written by relay/worker/run.mjs.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "relay", worker = .relayWorker),
    (name = "outbound", network = (allow = ["public", "private", "local"])),${stateService}
  ],
  sockets = [
    (name = "http", address = ${capnpString(addr)}, http = (), service = "relay"),
  ],
);

const relayWorker :Workerd.Worker = (
  modules = [
${mods.join('\n')}
  ],
  compatibilityDate = ${capnpString(COMPATIBILITY_DATE)},
  bindings = [
${bindings.join('\n')}
  ],${durable}
  globalOutbound = "outbound",
);
`;
}

// modulesFor lists the Worker's modules with absolute paths, checking that they exist.
function modulesFor({ dir, baseline }) {
  if (baseline) {
    if (!fs.existsSync(BASELINE_WORKER)) throw new Error(`${BASELINE_WORKER} is missing`);
    return [[BASELINE_WORKER, 'esModule']];
  }
  const missing = GO_MODULES.filter(([f]) => !fs.existsSync(path.join(dir, f))).map(([f]) => f);
  if (missing.length) throw new Error(`${dir} lacks ${missing.join(', ')}: run \`make relay-build\` first`);
  return GO_MODULES.map(([f, kind]) => [path.join(dir, f), kind]);
}

// startRelay starts workerd serving the Go relay (or, with baseline, bench/relay-baseline/worker.mjs)
// and resolves once GET /v1/health answers at all. The Go relay keeps its Durable Objects in
// stateDir; without one, in a fresh temporary folder removed when workerd exits. (a misconfigured relay answers 500, and that
// still counts as started). It resolves to {url, port, status, stop(), logs(), exited, pid}.
// With probe false it resolves as soon as workerd listens, having sent no request (status is
// then undefined): the next request is the isolate's first.
export async function startRelay({ addr = process.env.RELAY_ADDR || DEFAULT_ADDR, vars = {}, dir = BUILD_DIR,
  baseline = false, env = process.env, inherit = false, timeout = START_TIMEOUT, probe = true, stateDir } = {}) {
  if (COMPATIBILITY_DATE > workerd.compatibilityDate) {
    throw new Error(`workerd ${workerd.version} supports compatibility dates up to ${workerd.compatibilityDate}, not ${COMPATIBILITY_DATE}: update the workerd package`);
  }
  const { host } = parseAddr(addr);
  const modules = modulesFor({ dir: path.resolve(dir), baseline });
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-workerd-'));
  const configFile = path.join(configDir, 'relay.capnp');
  const state = baseline ? undefined : (stateDir ?? path.join(configDir, 'state'));
  if (state) fs.mkdirSync(state, { recursive: true });
  fs.writeFileSync(configFile, workerdConfig({ modules, vars: resolveVars(vars, env), addr, configDir, stateDir: state }));

  // fd 3 is workerd's control descriptor: it writes {"event":"listen","socket":"http","port":N}.
  const child = spawn(workerd.default, ['serve', configFile, '--verbose', '--control-fd=3', ...(env.RELAY_INSPECTOR_ADDR ? [`--inspector-addr=${env.RELAY_INSPECTOR_ADDR}`] : [])], {
    stdio: ['ignore', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe', 'pipe']
  });
  running.add(child);
  let log = '';
  const keep = (chunk) => { log = (log + chunk).slice(-LOG_KEEP); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    fs.rmSync(configDir, { recursive: true, force: true });
    resolve({ code, signal });
  }));
  const spawnFailed = new Promise((_, reject) => child.on('error', reject));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT);
    try { return await exited; } finally { clearTimeout(timer); }
  };
  const fail = async (why) => {
    await stop();
    throw new Error(`workerd ${why}${log ? `; its output:\n${log.trimEnd()}` : ''}`);
  };

  const port = await Promise.race([
    listenPort(child.stdio[3]),
    exited.then(({ code, signal }) => ({ exit: signal || `code ${code}` })),
    spawnFailed.then(null, (err) => ({ exit: err.message })),
    delay(timeout).then(() => ({ timeout: true }))
  ]);
  if (port.exit) return fail(`exited before listening (${port.exit})`);
  if (port.timeout) return fail(`did not listen within ${timeout} ms`);

  const url = `http://${urlHost(host)}:${port}`;
  if (!probe) return { url, port, status: undefined, stop, logs: () => log, exited, pid: child.pid };
  const deadline = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return fail('exited while starting');
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return { url, port, status: res.status, stop, logs: () => log, exited, pid: child.pid };
    } catch {
      if (Date.now() > deadline) return fail(`did not answer GET ${url}/v1/health within ${timeout} ms`);
      await delay(50);
    }
  }
}

// listenPort resolves to the port of the first listen event on workerd's control stream.
function listenPort(stream) {
  return new Promise((resolve) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const msg = JSON.parse(line);
          if (msg.event === 'listen' && msg.socket === 'http') resolve(msg.port);
        } catch { /* not JSON: ignore */ }
      }
    });
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

// ---- the command: node relay/worker/run.mjs [--baseline] ----

async function main(argv) {
  const baseline = argv.includes('--baseline');
  const unknown = argv.filter((a) => a !== '--baseline');
  if (unknown.length) {
    console.error(`usage: node relay/worker/run.mjs [--baseline]   (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  if (!process.env.HEAP_APP_ID?.trim()) {
    console.error('relay/worker/run.mjs: HEAP_APP_ID is not set. The relay needs your Heap app id, e.g.\n' +
      '  HEAP_APP_ID=1234567890 HEAP_API_URL=http://127.0.0.1:9000 make relay\n' +
      `Other variables: ${VARS.slice(1).join(', ')}; RELAY_ADDR (default ${DEFAULT_ADDR}).`);
    return 2;
  }
  let relay;
  try {
    relay = await startRelay({ baseline, inherit: true, stateDir: process.env.RELAY_STATE_DIR || DEFAULT_STATE_DIR });
  } catch (err) {
    console.error(`relay/worker/run.mjs: ${err.message}`);
    return 1;
  }
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => { try { process.kill(relay.pid, sig); } catch { /* already gone */ } });
  }
  console.log(`relay${baseline ? ' (JavaScript baseline)' : ''} listening on ${relay.url}  (POST /v1/events, POST /v1/heap/segments, GET /v1/health)`);
  if (relay.status !== 200) console.log(`warning: GET /v1/health answered ${relay.status}; see the message above or curl ${relay.url}/v1/health`);
  const { code, signal } = await relay.exited;
  if (signal) return signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 128 + (os.constants.signals[signal] ?? 0);
  return code ?? 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
