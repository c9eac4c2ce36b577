// page.mjs plays one random page against the loader's real channel (js/src/channel.js) and the
// real Go module (dist/userpilot-heap-bridge.wasm under Go's wasm_exec.js), in a worker thread of
// its own so each page starts with fresh module state. ordering.test.mjs runs it per seed.
// What it checks is the engine's ordering as the page lives it: no event reaches Heap twice or
// both Heap and the relay, Heap's tracks come in the order the events did, and at rest stats()
// accounts for every event.
import { workerData, parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { seed, relay, wasmExec, wasm, ops } = workerData;

// A small seeded generator, so a failing seed can be played again.
let state = seed >>> 0 || 1;
const rand = (n) => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
};

// ---- the page the loader's modules see (js/src/page.js reads window when it is imported) ----
let clock = 1;
const heapGot = new Map(); // experience id -> times Heap's track took it
const relayGot = new Map(); // experience id -> times the relay accepted it
let lastTrack = 0, tracks = 0;
const problems = [];
const took = (map, id) => map.set(id, (map.get(id) || 0) + 1);

function trackedBy(name, props) {
  const id = props && props.experience_id;
  if (heapGot.has(id)) problems.push(`event ${id} reached Heap twice`);
  if (relayGot.has(id)) problems.push(`event ${id} reached Heap after the relay took it`);
  if (id <= lastTrack) problems.push(`event ${id} reached Heap after event ${lastTrack}`);
  lastTrack = Math.max(lastTrack, id);
  took(heapGot, id);
  tracks++;
}

// Heaps the page may have: none, a snippet's stub, the SDK, an SDK without identify, one whose
// track throws, and one whose reading throws.
const heaps = [
  () => undefined,
  // A stub queues a track for the SDK (the loader tells it by the heapReadyCb in its source): it counts as taken.
  () => Object.assign([], { track(name, props) { /* heapReadyCb */ trackedBy(name, props); }, identify() {}, resetIdentity() {}, addUserProperties() {} }),
  () => ({ loaded: true, track: trackedBy, identify() {}, resetIdentity() {}, addUserProperties() {} }),
  () => ({ loaded: true, track: trackedBy }),
  () => ({ loaded: true, track() { throw new Error('heap broke'); }, identify() {}, resetIdentity() {} }),
  () => new Proxy({}, { get() { throw new Error('unreadable'); } }),
];
const page = { performance: { now: () => clock, timeOrigin: 0 }, location: { search: '' }, heap: undefined };
globalThis.window = page;

// The relay: requests are held until the page answers them; beacons are accepted or refused.
const requests = [];
globalThis.fetch = (url, init) => new Promise((resolve, reject) => requests.push({ body: init.body, resolve, reject }));
const relayed = (body) => JSON.parse(body).events.map((e) => e.properties.experience_id);
Object.defineProperty(globalThis, 'navigator', {
  configurable: true,
  value: {
    sendBeacon(url, body) {
      if (rand(4) === 3) return false;
      for (const id of relayed(body)) {
        if (heapGot.has(id)) problems.push(`standby offers event ${id}, which Heap has`);
        took(relayGot, id);
      }
      return true;
    },
  },
});
function answerRelay() {
  const r = requests.shift();
  if (!r) return;
  const status = [200, 503, 0][rand(3)];
  if (status === 0) return r.reject(new TypeError('Failed to fetch'));
  const ids = relayed(r.body);
  if (status === 200) {
    for (const id of ids) {
      if (heapGot.has(id)) problems.push(`event ${id} accepted by the relay after Heap got it`);
      took(relayGot, id);
    }
  }
  const text = status === 200 ? JSON.stringify({ accepted: JSON.parse(r.body).events.map((e) => e.id), refused: [] }) : '';
  r.resolve({ status, headers: { get: () => null }, text: () => Promise.resolve(text) });
}

// The module's console lines and the channel's are not what this checks.
for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = () => {};

// ---- the module ----
createRequire(import.meta.url)(wasmExec); // defines globalThis.Go
const settings = relay ? ['o', 0, 'relayUrl', 'https://relay.test/v1/events', 'relayAfter', 500] : null;
let step = null;
globalThis.userpilotHeapBridgeBoot = {
  init: JSON.stringify([settings, 'p', 0, 0]),
  attach(f) { step = f; },
  fail(message) { problems.push('the module did not start: ' + message); },
};
const go = new Go();
const { instance } = await WebAssembly.instantiate(readFileSync(wasm), go.importObject);
go.run(instance); // runs main until it waits; attach has been called by then
if (!step) throw new Error('the module did not attach');

const channel = await import('../../js/src/channel.js');
const { api } = await import('../../js/src/api.js');
const { pageHidden } = await import('../../js/src/relay.js');

// The module answers each message at once, as a Worker does; the page reads each answer later.
const answers = [];
channel.attach({ post: (text) => answers.push(step(text)) }, 'worker');
const settle = () => new Promise((resolve) => setImmediate(resolve)); // lets promises (fetch, microtasks) run
const apply = () => { if (answers.length) channel.onAnswer(answers.shift()); };

let nextId = 0;
const users = ['alice', 'bob', 'guest'];
for (let i = 0; i < ops; i++) {
  switch (rand(14)) {
    case 0: case 1: case 2: case 3: {
      const payload = { id: ++nextId, token: 't' };
      channel.send('event', 'started', [payload], payload);
      break;
    }
    case 4: channel.send('identify', '', [users[rand(3)], {}], null); break;
    case 5: channel.send('anonymous', '', [], null); break;
    case 6: page.heap = heaps[rand(heaps.length)](); break;
    case 7: case 8: await null; break; // a microtask: what was delivered is posted
    case 9: case 10: apply(); break;
    case 11: clock += 300; channel.flush(); break;
    case 12: answerRelay(); await settle(); break;
    case 13: pageHidden(); break;
  }
}
// At rest: a Heap that takes every call, every answer applied, nothing left to post.
page.heap = heaps[2]();
for (let i = 0; i < 50 && (answers.length || channel.outbox.length); i++) {
  await settle();
  while (answers.length) apply();
  await settle();
}
const s = api.stats();
if (!answers.length) {
  if (s.received !== s.forwarded + s.dropped + s.duplicates + s.pending + s.relaying) problems.push('counters do not balance: ' + JSON.stringify(s));
  if (s.forwarded !== tracks + s.relayed) problems.push(`forwarded ${s.forwarded}, but Heap took ${tracks} tracks and ${s.relayed} were relayed: ${JSON.stringify(s)}`);
}
channel.fail(new Error('the page is closed')); // stops the channel's timers
parentPort.postMessage({ problems, events: nextId, tracks, stats: s });
