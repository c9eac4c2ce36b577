// js/src/channel.js's watchdog in Node, on a virtual clock: a Worker that stops answering is taken
// as stopped STALL_MS (10 s) after its last sign of life, wherever the watchdog's timer stood then.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// The page the loader's modules see: a clock that moves only when the test says, and timers on it.
let clock = 0, nextTimer = 1;
const timers = new Map(); // id -> { at, fn }
globalThis.window = { performance: { now: () => clock, timeOrigin: 0 }, location: { search: '' }, heap: undefined };
Object.defineProperty(globalThis, 'performance', { configurable: true, value: window.performance });
globalThis.setTimeout = (fn, ms) => { timers.set(nextTimer, { at: clock + Math.max(0, ms || 0), fn }); return nextTimer++; };
globalThis.clearTimeout = (id) => { timers.delete(id); };
const errors = [];
console.error = (text) => errors.push(String(text));

const settled = () => new Promise((r) => setImmediate(r)); // microtasks (the channel's flush) run first

// advance runs every timer due up to the time `to`, each at its own time, in order.
async function advance(to) {
  for (;;) {
    await settled();
    const due = [...timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
    if (!due) break;
    timers.delete(due[0]);
    clock = due[1].at;
    due[1].fn();
  }
  clock = to;
  await settled();
}

const { ZERO_STATS } = await import('../../js/src/protocol.gen.js');
const channel = await import('../../js/src/channel.js');
const answer = JSON.stringify({ c: [], r: [], m: [], u: [], h: [], s: JSON.parse(ZERO_STATS), w: 0, p: false, n: 1, k: true });

test('a Worker that stops answering is taken as stopped 10 s after its last sign of life, not at the timer\'s next whole period', async () => {
  const posted = [];
  channel.attach({ post: (text) => posted.push(text) }, 'worker'); // the first message, at 0 s: the watchdog is set for 10 s
  await advance(3_000);
  channel.onAnswer(answer); // answered at 3 s
  await advance(5_000);
  channel.send('identify', '', ['alice', {}], null); // posted at 5 s, never answered
  await settled();
  assert.equal(posted.length, 2, 'the second message was posted');
  await advance(14_999); // at 10 s the watchdog found the module alive 5 s ago
  assert.equal(channel.failure, null, `taken as stopped before 10 s had passed: ${errors}`);
  await advance(15_000);
  assert.match(String(channel.failure && channel.failure.message), /has not answered for 10 s/, 'not taken as stopped 10 s after the message it left unanswered');
  assert.deepEqual(errors, [channel.failure.message]);
});
