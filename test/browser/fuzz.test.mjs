// In-browser fuzz of both roads: 10,000 random payloads from a seeded PRNG, each sent either through
// userpilot.on (userpilotStandIn.emit) or through the bridge's Heap interface as Userpilot's native
// integration would (userpilotStandIn.nativeTrack), with random identify/anonymous calls between,
// against the real Heap SDK stand-in. The native integration is off, so each emit is one delivery.
// Fails on any Heap limit violation, page error, unhandled rejection or unbalanced counter.
// FUZZ_SEED=<n> replays a run; FUZZ_INPUTS=<n> changes the number of payloads.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, settle, bridgeStats, assertNoPageErrors, waitForIdle } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag } from './pages.mjs';

const h = useBrowser();

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 20240611;
const INPUTS = Number(process.env.FUZZ_INPUTS || 10_000);
const BATCH = 250;
const EXTRA = 'checklist_completed';

// installFuzz runs in the page: a mulberry32 PRNG and generators of hostile values.
function installFuzz({ seed, extra }) {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(rnd() * n);
  const pick = (list) => list[int(list.length)];
  const chance = (p) => rnd() < p;

  function char() {
    switch (int(9)) {
      case 0: case 1: return String.fromCharCode(0x20 + int(95)); // printable ASCII
      case 2: return String.fromCodePoint(0x1f300 + int(0x700)); // emoji (surrogate pair)
      case 3: return String.fromCharCode(0xd800 + int(0x400)); // lone high surrogate
      case 4: return String.fromCharCode(0xdc00 + int(0x400)); // lone low surrogate
      case 5: return String.fromCharCode(int(32)); // control characters, NUL included
      case 6: return String.fromCharCode(0x4e00 + int(0x5000)); // CJK
      case 7: return String.fromCharCode(0x80 + int(0xd700)); // rest of the BMP before surrogates
      default: return pick(['(', ')', '.', '|', '"', '\\', '\u200b', '\ufeff', '\u0301']);
    }
  }
  function str() {
    const r = rnd();
    if (r < 0.03) { // huge: up to 100 KB, sometimes with an emoji straddling a cut point
      const n = 1 + int(100_000);
      const base = pick(['a', 'é', '\u{1F600}', 'ab\ud800']).repeat(Math.ceil(n / 2)).slice(0, n);
      return chance(0.5) ? 'x'.repeat(int(1100)) + '\u{1F600}' + base : base;
    }
    const n = r < 0.2 ? 0 : int(r < 0.9 ? 12 : 300);
    let s = '';
    for (let i = 0; i < n; i++) s += char();
    return s;
  }
  const KEYS = ['id', 'token', 'step', 'totalSteps', 'total_steps', 'experience_id', 'flowId', 'score', 'rating',
    'value', 'feedback', 'text', 'answers', 'responses', 'questions', 'title', 'name', 'checklistId', 'taskId',
    'task_title', 'form_id', 'survey_id', 'npsId', 'userpilot_user_id', 'user_id', '__proto__', 'constructor',
    'prototype', '', 'a.b', 'meta', 'tags', 'x'.repeat(600)];
  const key = () => (chance(0.6) ? pick(KEYS) : str());
  function num() {
    return pick([0, -0, 1, -1, 7, 8, 10, 11, 0.5, -3.25, 1e21, 1e-7, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE,
      NaN, Infinity, -Infinity, int(1e6), rnd() * 1e9 - 5e8]);
  }
  function scalar() {
    switch (int(10)) {
      case 0: case 1: case 2: return str();
      case 3: case 4: return num();
      case 5: return chance(0.5);
      case 6: return pick([null, undefined]);
      case 7: return pick([BigInt(int(1e9)) * 10n ** 30n, -1n, 0n]);
      case 8: return pick([Symbol('s'), Symbol.iterator, () => 1, function named() {}, class K {}]);
      default: return chance(0.8) ? new Date(int(4e12)) : new Date(NaN);
    }
  }
  function value(depth) {
    if (depth >= 10 || chance(0.45 + depth * 0.05)) return scalar();
    switch (int(12)) {
      case 0: case 1: case 2: case 3: return object(depth + 1);
      case 4: case 5: return Array.from({ length: int(chance(0.01) ? 300 : 6) }, () => value(depth + 1));
      case 6: { const o = Object.create(null); o[key()] = value(depth + 1); return o; }
      case 7: { // getters that throw, and one that returns a value
        const o = {};
        Object.defineProperty(o, key(), { enumerable: true, get() { throw new Error('getter boom'); } });
        Object.defineProperty(o, 'ok', { enumerable: true, get() { return 1; } });
        return o;
      }
      case 8: { // cycles, direct and through an array
        const o = { id: int(5), inner: {} };
        o.inner.back = o;
        o.self = o;
        o.list = [o, 1];
        return o;
      }
      case 9: // own __proto__ / constructor keys, as JSON.parse creates them
        return JSON.parse(pick([
          '{"__proto__":{"polluted":1},"id":1}', '{"constructor":{"prototype":{"polluted":1}},"id":"c"}',
          '{"a":{"__proto__":[1,2]},"prototype":"p"}', '[{"__proto__":null}]',
        ]));
      case 10: { // exotic objects
        const revocable = Proxy.revocable({}, {});
        revocable.revoke();
        return pick([
          new Map([[1, 2]]), new Set([1]), new Uint8Array(3), /re/g, new Error('e'), revocable.proxy,
          new Proxy({}, { ownKeys() { throw new Error('ownKeys boom'); } }),
          new Proxy({ id: 1 }, { get() { throw new Error('get boom'); } }),
          Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
          { [Symbol('k')]: 1, visible: 2 },
        ]);
      }
      default: { // wide objects, past the 100-property and snapshot limits (rare: they are slow to check)
        if (!chance(0.08)) return object(depth + 1);
        const o = {};
        const n = chance(0.2) ? 250 : 120;
        for (let i = 0; i < n; i++) o['k' + i] = i % 3 ? str() : i;
        return o;
      }
    }
  }
  function object(depth) {
    const o = {};
    const n = int(8);
    for (let i = 0; i < n; i++) {
      const k = key();
      try { o[k] = value(depth); } catch (e) { /* a key like __proto__ set by assignment: keep going */ }
    }
    return o;
  }
  function payload() {
    const r = rnd();
    if (r < 0.1) return value(9); // any scalar or odd top-level shape
    if (r < 0.2) return value(0);
    const o = object(1);
    // Own data properties even when a random '__proto__' key gave o an exotic prototype.
    const set = (k, v) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    // Often carry the fields the bridge reads, with random values, so mapping paths are exercised.
    if (chance(0.7)) set('id', chance(0.7) ? int(20) : scalar());
    if (chance(0.5)) set('token', chance(0.7) ? 'tok' + int(5) : scalar());
    if (chance(0.3)) set('step', chance(0.7) ? int(6) : scalar());
    if (chance(0.3)) set('totalSteps', chance(0.7) ? int(6) : scalar());
    if (chance(0.2)) set('score', chance(0.5) ? int(13) : pick(['8', ' 9 ', '10', '011', '7.5', 'x', scalar()]));
    if (chance(0.2)) set('answers', chance(0.5) ? [{ question_id: str(), answer: value(5) }, value(7), { id: int(3) }] : { q1: value(6), '': 1, __proto__x: 2 });
    if (chance(0.1)) set('feedback', str());
    return o;
  }
  const ON_NAMES = ['started', 'step', 'completed', 'dismissed', extra];
  const NATIVE_NAMES = ['Userpilot Experience (started)', 'Userpilot Experience (step)', 'Userpilot Flow (completed)',
    'Userpilot Experience (dismissed)', 'Userpilot Checklist (started)', 'Userpilot Checklist (task completed)',
    'Userpilot NPS (score)', 'Userpilot NPS (feedback)', 'Userpilot NPS (ask later)', 'Userpilot Form (submitted)',
    'Userpilot Survey (submitted)', 'Form Submissions', 'Survey Response', 'Userpilot Banner (shown)',
    'Userpilot  (x)', 'Userpilot Experience ((nested))', 'Userpilot Experience ()'];
  function nativeName() {
    const r = rnd();
    if (r < 0.6) return pick(NATIVE_NAMES);
    if (r < 0.75) return 'Userpilot ' + str() + ' (' + str() + ')';
    if (r < 0.9) return str();
    return scalar();
  }
  const IDS = () => pick(['user-' + int(30), 'guest', ' Guest ', '', 'null', 0, 42, -1, NaN, 'x'.repeat(300), '\u{1F600}' + int(9),
    'a\ud800', {}, null, undefined, 'test']);

  window.__fuzz = {
    sent: 0, emits: 0, natives: 0, identityCalls: 0, rejections: [],
    batch(count) {
      const up = window.userpilotStandIn;
      for (let i = 0; i < count; i++) {
        if (chance(0.06)) { // identity traffic between events, by both roads
          this.identityCalls++;
          switch (int(6)) {
            case 0: case 1: window.userpilot.identify(IDS(), chance(0.5) ? value(3) : undefined); break;
            case 2: window.userpilot.anonymous(); break;
            case 3: up.nativeCall('identify', IDS()); break;
            case 4: up.nativeCall(pick(['resetIdentity', 'addEventProperties', 'clearEventProperties']), value(2)); break;
            default: up.nativeCall('addUserProperties', value(1));
          }
        }
        const p = payload();
        if (chance(0.5)) { this.emits++; up.emit(pick(ON_NAMES), p); } else { this.natives++; up.nativeTrack(nativeName(), p); }
        this.sent++;
      }
      // Tally what Heap received and free the record; limit violations stay in heapStandIn.violations.
      const calls = window.heapStandIn.calls.splice(0);
      return calls.reduce((n, c) => n + (c.method === 'track' ? 1 : 0), 0);
    },
  };
  window.addEventListener('unhandledrejection', (e) => window.__fuzz.rejections.push(String(e.reason && e.reason.stack || e.reason)));
}

test(`fuzz: ${INPUTS} random payloads through both roads (seed ${SEED})`, async (t) => {
  t.diagnostic(`fuzz seed ${SEED} (override with FUZZ_SEED=<n>)`);
  console.log(`fuzz seed ${SEED}`); // printed at once, in case the run hangs
  const s = await h.open(document(
    bridgeTag({ settings: { extraEvents: [EXTRA] }, async: false }),
    heapSnippet('classic'),
    userpilotSnippet({ host: false }), // native integration off: each emit is one delivery
    script('userpilot.anonymous();'),
  ));
  const { page } = s;
  await waitForAll(page);
  await page.evaluate(installFuzz, { seed: SEED, extra: EXTRA });

  const started = Date.now();
  let tracked = 0;
  for (let done = 0; done < INPUTS; done += BATCH) {
    tracked += await page.evaluate((n) => window.__fuzz.batch(n), Math.min(BATCH, INPUTS - done));
  }
  await waitForIdle(page);
  await settle(page);
  tracked += await page.evaluate(() => window.heapStandIn.calls.splice(0).filter((c) => c.method === 'track').length);
  const elapsed = Date.now() - started;

  const f = await page.evaluate(() => ({ sent: __fuzz.sent, emits: __fuzz.emits, natives: __fuzz.natives, identityCalls: __fuzz.identityCalls, rejections: __fuzz.rejections }));
  const st = await bridgeStats(page);
  const violations = await page.evaluate(() => heapStandIn.violations);
  const report = {
    seed: SEED, inputs: f.sent, byOn: f.emits, byInterface: f.natives, identityCalls: f.identityCalls, ms: elapsed,
    received: st.received, forwarded: st.forwarded, heapTracks: tracked, dropped: st.dropped, dropReasons: st.dropReasons,
    duplicates: st.duplicates, pending: st.pending, identifies: st.identifies, resets: st.resets,
    identityRejected: st.identityRejected, truncated: st.truncated, propertyDrops: st.propertyDrops,
    interfaceIgnored: st.interfaceIgnored, distinctEventNames: Object.keys(st.events).length, violations: violations.length,
    violationKinds: violations.reduce((m, v) => { const k = `${v.method}: ${v.problem.replace(/: .*/, '')}`; m[k] = (m[k] || 0) + 1; return m; }, {}),
  };
  for (const [k, v] of Object.entries(report)) t.diagnostic(`fuzz ${k}: ${JSON.stringify(v)}`);

  assert.deepStrictEqual(violations.slice(0, 10), [], `${violations.length} Heap limit violations (seed ${SEED})`);
  assert.deepStrictEqual(f.rejections, [], 'unhandled rejections');
  await assertNoPageErrors(s);
  assert.equal(f.sent, INPUTS);
  assert.equal(st.received, INPUTS, `received must equal the payloads sent (seed ${SEED}): ${JSON.stringify(st)}`);
  assert.equal(st.received, st.forwarded + st.dropped + st.duplicates + st.pending, `stats do not balance (seed ${SEED})`);
  assert.equal(st.pending, 0, 'nothing pending at the end');
  assert.equal(tracked, st.forwarded, 'heap.track calls recorded by Heap = forwarded');
  assert.ok(st.forwarded > INPUTS / 4, `most payloads should be forwarded: ${st.forwarded}`);
});
