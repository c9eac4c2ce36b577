// The Worker's build is lean: it sends through the runtime's fetch (package serve), so nothing links
// net/http's client (http.Transport), the TLS handshake or http2; and its upload fits a budget of
// 61% of Cloudflare's free-plan limit (3 MiB compressed), gzip -9 as wrangler uploads it.
// The names come from a copy built with the wasm name section (without -ldflags=-s); its code is
// that of build/relay/app.wasm, which the test checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sections, linked } from '../../internal/testkit/wasmsize.mjs';
import zlib from 'node:zlib';
import { ROOT } from './helpers.mjs';

const BUILD = path.join(ROOT, 'build/relay');
const MODULES = ['app.wasm', 'entry.mjs', 'serve.mjs', 'runtime.mjs', 'wasm_exec.js'];
const BUDGET = Math.floor(0.61 * 3 * 1024 * 1024); // 61% of the free plan's 3 MiB (60% until the Durable Object state of issue 19)
const GO = process.env.GO || 'go';

const codeSize = (buf) => sections(buf).filter((s) => s.id === 10).reduce((n, s) => n + s.end - s.start, 0);

test('the Worker links no http.Transport, no TLS connection and no http2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-named-'));
  try {
    const named = path.join(dir, 'app.wasm');
    execFileSync(GO, ['build', '-trimpath', '-ldflags=-w', '-o', named, './relay/worker'], {
      cwd: ROOT, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit']
    });
    const buf = fs.readFileSync(named);
    assert.equal(codeSize(buf), codeSize(fs.readFileSync(path.join(BUILD, 'app.wasm'))), 'the named copy has the code of build/relay/app.wasm');
    assert.ok(linked(buf, /^runtime\.mallocgc$/).length === 1, 'the name section is read');
    assert.deepEqual(linked(buf, /__Transport_|net_http\.(__)?http2|net_http\.__Client_/), [], 'net/http client or http2');
    assert.deepEqual(linked(buf, /^crypto_tls\.(__)?(Conn|Config|Client|Dial|Server|clientHandshake|serverHandshake)/), [], 'TLS connections');
    assert.ok(linked(buf, /^crypto_tls\./).length <= 10, `crypto/tls: ${linked(buf, /^crypto_tls\./).join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(`the upload is at most ${BUDGET.toLocaleString('en-US')} bytes gzip (61% of 3 MiB)`, () => {
  const total = MODULES.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(BUILD, f)), { level: 9 }).length, 0);
  assert.ok(total <= BUDGET, `gzip total ${total} bytes`);
});
