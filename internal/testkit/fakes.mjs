// The fake Heap and Userpilot APIs (relay/relaytest/cmd/fakeheap, relay/relaytest/cmd/fakeuserpilot), built once per
// process into build/ and run on a free port of 127.0.0.1: shared by the relay tests (test/relay/)
// and the relay benchmark (bench/relay.mjs).
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_ID = '3141592653';
export const USERPILOT_KEY = 'userpilot-test-key';
const GO = process.env.GO || 'go';

const built = new Set();

// buildFake builds relay/relaytest/cmd/<name> into build/<name>, once per test process, and returns its path.
function buildFake(name) {
  const bin = path.join(ROOT, 'build', name);
  if (!built.has(name)) {
    execFileSync(GO, ['build', '-o', bin, `./relay/relaytest/cmd/${name}`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    built.add(name);
  }
  return bin;
}

// buildFakeHeap builds relay/relaytest/cmd/fakeheap into build/fakeheap.
export const buildFakeHeap = () => buildFake('fakeheap');

// startFake runs relay/relaytest/cmd/<name> with args on a free port of 127.0.0.1 and resolves to
// {url, control(method, path, body), stop()}.
async function startFake(name, args) {
  const child = spawn(buildFake(name), ['-addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 15_000);
    const onData = (chunk) => {
      out += chunk;
      const m = new RegExp(`${name} listening on (http://\\S+)`).exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c) => { out += c; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${out}`)); });
  });
  const control = async (method, p, body) => {
    const res = await fetch(url + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`${name} ${method} ${p}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { url, control, stop };
}

// startFakeHeap runs the fake Heap API on a free port of 127.0.0.1.
export async function startFakeHeap(appID = APP_ID) {
  const { url, control, stop } = await startFake('fakeheap', ['-app-id', appID]);
  return {
    url,
    // scope (optional) names the fake Heap's scope: events whose ids start "sc_<scope>:".
    events: (scope = '') => control('GET', `/_events?scope=${encodeURIComponent(scope)}`),
    reset: () => control('POST', '/_reset', {}),
    fail: (statuses, retryAfter = '', scope = '') => control('POST', `/_fail?scope=${encodeURIComponent(scope)}`, { statuses, retryAfter }),
    // Heap's limits, events per sliding minute across scopes (0: off): over them, 429 and nothing stored.
    rates: ({ appPerMinute = 0, identityPerMinute = 0 }) => control('POST', '/_rates', { appPerMinute, identityPerMinute }),
    stop
  };
}

// startFakeUserpilot runs the fake Userpilot Bulk Identify API (relay/relaytest/cmd/fakeuserpilot) on a
// free port of 127.0.0.1, taking apiKey.
export async function startFakeUserpilot(apiKey = USERPILOT_KEY) {
  const { url, control, stop } = await startFake('fakeuserpilot', ['-api-key', apiKey]);
  return {
    url,
    // {requests: [{authorization, contentType, status, reason, users}], users: [...]}
    requests: () => control('GET', '/_requests'),
    reset: () => control('POST', '/_reset', {}),
    fail: (statuses, retryAfter = '', location = '') => control('POST', '/_fail', { statuses, retryAfter, location }),
    stop
  };
}

