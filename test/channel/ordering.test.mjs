// The engine's ordering (bridge/engine.go: owed calls, the lowest sequence number, calls given
// back) tested against the loader's real channel (js/src/channel.js) and the real Go module,
// on random pages (page.mjs), with and without the relay. Needs make build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasm = join(ROOT, 'dist', 'userpilot-heap-bridge.wasm');
const wasmExec = join(execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim(), 'lib', 'wasm', 'wasm_exec.js');
const SEEDS = Number(process.env.CHANNEL_SEEDS) || 12;

function playPage(seed, relay) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./page.mjs', import.meta.url), { workerData: { seed, relay, wasm, wasmExec, ops: 300 } });
    w.once('message', (result) => { w.terminate(); resolve(result); });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`page ${seed} ended (${code}) without a result`)));
  });
}

test('the module is built', () => assert.ok(existsSync(wasm), `${wasm} is missing: run make build`));

for (const relay of [false, true]) {
  test(`random pages ${relay ? 'with' : 'without'} the relay: events reach Heap once, in order, and are all counted`, async () => {
    let events = 0, tracks = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await playPage(seed * 7919 + (relay ? 1 : 0), relay);
      assert.deepEqual(r.problems, [], `seed ${seed}`);
      events += r.events;
      tracks += r.tracks;
    }
    // The pages did make calls: a channel that sent nothing would pass the checks above.
    assert.ok(events > SEEDS * 50, `${events} events`);
    assert.ok(tracks > SEEDS * 5, `${tracks} tracks reached Heap`);
  });
}
