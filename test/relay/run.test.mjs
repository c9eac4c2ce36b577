// relay/worker/run.mjs: the workerd config it writes, and the command `make relay` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { workerdConfig, parseAddr, resolveVars, startRelay, VARS, COMPATIBILITY_DATE } from '../../relay/worker/run.mjs';
import { ROOT, relayWith } from './helpers.mjs';

test('the config binds every variable as text, quoted for capnp, and lets the Worker reach loopback', () => {
  const cfg = workerdConfig({
    modules: [['/b/relay/entry.mjs', 'esModule'], ['/b/relay/app.wasm', 'wasm']],
    vars: { HEAP_APP_ID: '12', IDENTITY_SECRET: 'q"uote\\back\nline\u0001' },
    addr: '127.0.0.1:9',
    configDir: '/tmp/x'
  });
  assert.match(cfg, /\(name = "entry.mjs", esModule = embed "\.\.\/\.\.\/b\/relay\/entry.mjs"\)/);
  assert.match(cfg, /\(name = "app.wasm", wasm = embed "\.\.\/\.\.\/b\/relay\/app.wasm"\)/);
  assert.ok(cfg.includes('(name = "HEAP_APP_ID", text = "12")'));
  assert.ok(cfg.includes('(name = "IDENTITY_SECRET", text = "q\\"uote\\\\back\\nline\\x01")'), cfg);
  assert.ok(cfg.includes('network = (allow = ["public", "private", "local"])'));
  assert.ok(cfg.includes('globalOutbound = "outbound"'));
  assert.ok(cfg.includes(`compatibilityDate = "${COMPATIBILITY_DATE}"`));
  assert.ok(cfg.includes('address = "127.0.0.1:9"'));
});

test('variables come from the options first, then the environment; null unsets', () => {
  const env = { HEAP_APP_ID: 'from-env', HEAP_API_URL: 'http://127.0.0.1:1', IDENTITY_SECRET: 's', PATH: '/bin' };
  assert.deepEqual(resolveVars({ HEAP_APP_ID: 'from-options', IDENTITY_SECRET: null, MAX_BODY_BYTES: 100 }, env),
    { HEAP_APP_ID: 'from-options', HEAP_API_URL: 'http://127.0.0.1:1', MAX_BODY_BYTES: '100' });
  assert.throws(() => resolveVars({ HEAP_APPID: '1' }, env), /unknown relay variable HEAP_APPID/);
  assert.equal(VARS.length, 16);
});

test('addresses are host:port', () => {
  assert.deepEqual(parseAddr('127.0.0.1:8787'), { host: '127.0.0.1', port: 8787 });
  assert.deepEqual(parseAddr('[::1]:0'), { host: '[::1]', port: 0 });
  assert.throws(() => parseAddr('8787'), /expected host:port/);
  assert.throws(() => parseAddr('127.0.0.1:99999'), /expected host:port/);
});

test('startRelay says to build first when the build folder is missing', async () => {
  await assert.rejects(startRelay({ addr: '127.0.0.1:0', dir: path.join(ROOT, 'build/no-such-dir'), vars: { HEAP_APP_ID: '1' } }),
    /lacks entry\.mjs, serve\.mjs, runtime\.mjs, wasm_exec\.js, app\.wasm: run `make relay-build` first/);
});

test('two relays with different variables run side by side on ports workerd picks', async () => {
  const a = await relayWith({ HEAP_APP_ID: '1' });
  const b = await relayWith({ HEAP_APP_ID: '2' });
  try {
    assert.notEqual(a.port, b.port);
    for (const r of [a, b]) {
      assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${r.url}/v1/health`);
      assert.ok(res.status > 0);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
  const res = await fetch(`${a.url}/v1/health`).then(() => 'answered', () => 'refused');
  assert.equal(res, 'refused', 'stop() ends workerd');
});

// runCommand runs `node relay/worker/run.mjs` with env, resolving to its output and exit once it ends
// (after onStdout, if given, has seen its first output).
function runCommand(env, onStdout) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'relay/worker/run.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; onStdout?.(stdout, child); });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const baseEnv = () => {
  const env = { ...process.env };
  for (const name of VARS) delete env[name];
  return env;
};

test('`node relay/worker/run.mjs` without HEAP_APP_ID fails at once and says what to set', async () => {
  const r = await runCommand({ ...baseEnv(), RELAY_ADDR: '127.0.0.1:0' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /HEAP_APP_ID is not set/);
  assert.match(r.stderr, /HEAP_APP_ID=\d+ .*make relay/);
  assert.equal(r.stdout, '');
});

test('`node relay/worker/run.mjs` prints the URL it serves on and ends cleanly on SIGTERM', async () => {
  let url;
  let served;
  const r = await runCommand({ ...baseEnv(), HEAP_APP_ID: '1', HEAP_API_URL: 'http://127.0.0.1:9', RELAY_ADDR: '127.0.0.1:0' }, (out, child) => {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m && !url) {
      url = m[1];
      served = fetch(`${url}/v1/health`).then((res) => res.status).finally(() => child.kill('SIGTERM'));
    }
  });
  assert.ok(url, `no URL printed: ${r.stdout} ${r.stderr}`);
  assert.ok(await served > 0);
  assert.equal(r.code, 0, r.stderr);
  const after = await fetch(`${url}/v1/health`).then(() => 'answered', () => 'refused');
  assert.equal(after, 'refused', 'workerd ended with the command');
});
