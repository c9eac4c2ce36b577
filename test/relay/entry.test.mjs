// relay/worker/entry.mjs in Node, over a stand-in for relay/worker/serve.mjs whose server hands back what it was
// given: the env Go reads gains RELAY_LIMITS, the runtime's env is left alone and wrapped once
// (Go rebuilds its handler only for a new env object), and the bucket store keeps at most 10,000
// keys, forgetting only buckets that are full again and otherwise refusing new keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers.mjs';

let dir;
let entry;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-entry-'));
  fs.copyFileSync(path.join(ROOT, 'relay/worker/entry.mjs'), path.join(dir, 'entry.mjs'));
  fs.writeFileSync(path.join(dir, 'serve.mjs'), 'export function createServer() { return { fetch(request, env, ctx) { return { request, env, ctx }; } }; }\n');
  entry = (await import(pathToFileURL(path.join(dir, 'entry.mjs')).href)).default;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const call = (env) => entry.fetch('the request', env, 'the ctx');

// read is what relay/worker/jsstore does: get, then the three little-endian float64s in scratch.
function read(store, key) {
  if (store.get(key) !== true) return undefined;
  const v = new DataView(store.scratch.buffer, store.scratch.byteOffset, 24);
  return { tokens: v.getFloat64(0, true), at: v.getFloat64(8, true), fullAt: v.getFloat64(16, true) };
}
const put = (store, key, b) => store.put(key, b.tokens, b.at, b.fullAt);

test('the env handed to Go reads through to the Worker env and adds RELAY_LIMITS', () => {
  const env = Object.freeze({ HEAP_APP_ID: '42', ALLOWED_ORIGINS: 'https://app.example.com' });
  const got = call(env);
  assert.equal(got.request, 'the request');
  assert.equal(got.ctx, 'the ctx');
  assert.equal(got.env.HEAP_APP_ID, '42');
  assert.equal(got.env.ALLOWED_ORIGINS, 'https://app.example.com');
  assert.equal(typeof got.env.RELAY_LIMITS.get, 'function');
  assert.equal(typeof got.env.RELAY_LIMITS.put, 'function');
  assert.equal(typeof got.env.RELAY_LIMITS.admit, 'function');
  assert.ok(got.env.RELAY_LIMITS.scratch instanceof Uint8Array && got.env.RELAY_LIMITS.scratch.byteLength === 24);
  assert.equal(Object.hasOwn(env, 'RELAY_LIMITS'), false, 'the runtime env is not changed');
  assert.notEqual(got.env, env);
});

test('the same runtime env gives the same env to Go, a new one a new one', () => {
  const env = { HEAP_APP_ID: '42' };
  assert.equal(call(env).env, call(env).env);
  const other = { HEAP_APP_ID: '43' };
  assert.notEqual(call(other).env, call(env).env);
  assert.equal(call(other).env.HEAP_APP_ID, '43');
  assert.equal(call(undefined).env.RELAY_LIMITS, call(env).env.RELAY_LIMITS, 'one store for every env');
});

test('the store outlives a request: every request sees the same buckets', () => {
  const first = call({}).env.RELAY_LIMITS;
  put(first, 'client:a', { tokens: 2.5, at: 1000, fullAt: 2000 });
  const second = call({}).env.RELAY_LIMITS;
  assert.deepEqual(read(second, 'client:a'), { tokens: 2.5, at: 1000, fullAt: 2000 });
  assert.equal(second.get('client:missing'), false);
  assert.deepEqual(read(second, 'client:a'), { tokens: 2.5, at: 1000, fullAt: 2000 }, 'a miss leaves the bucket alone');
});

test('a malformed bucket is not stored', () => {
  const store = call({}).env.RELAY_LIMITS;
  store.put('bad:1', 'x', 1, 1);
  store.put('bad:2', 1, 1);
  store.put('bad:3');
  store.put('bad:4', 1, 1, Infinity);
  store.put('bad:5', NaN, 1, 1);
  for (const k of ['bad:1', 'bad:2', 'bad:3', 'bad:4', 'bad:5']) assert.equal(store.get(k), false, k);
});

test('the store keeps at most 10,000 keys; it forgets only buckets full again, else refuses new keys', () => {
  const store = call({}).env.RELAY_LIMITS;
  store.admit(10001, 1e15); // a day far ahead: every bucket is full again, so all go
  assert.equal(store.size, 0);
  store.put('old', 3, 1000, 2000);
  assert.equal(store.admit(9999, 5000), true);
  for (let i = 0; i < 9999; i++) store.put(`spent:${i}`, 0, 5000, 6000 + i);
  assert.equal(store.size, 10000);
  assert.equal(store.admit(1, 5500), true, 'old, full again at 2000, makes room');
  assert.equal(store.get('old'), false);
  store.put('new:1', 0, 5500, 7000);
  assert.equal(store.size, 10000);
  assert.equal(store.admit(1, 5500), 6000, 'no bucket is full again before 6000');
  store.put('new:2', 1, 5500, 6500);
  assert.equal(store.get('new:2'), false, 'a new key with no room is not stored');
  assert.deepEqual(read(store, 'spent:0'), { tokens: 0, at: 5000, fullAt: 6000 }, 'a limited bucket is kept');
  store.put('spent:0', 0.5, 5600, 6100); // a key it holds is always saved
  assert.deepEqual(read(store, 'spent:0'), { tokens: 0.5, at: 5600, fullAt: 6100 });
  assert.equal(store.admit(3, 6002), 6003, 'at 6002 only spent:1 and spent:2 are full again; spent:3 is next');
  assert.equal(store.size, 9998);
  assert.equal(store.admit(2, 6002), true);
  assert.deepEqual(read(store, 'spent:3'), { tokens: 0, at: 5000, fullAt: 6003 });
});
