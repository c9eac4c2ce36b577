// Leaving the page (docs/contract.md §9): an event emitted in the same task as the page is left
// reaches heap.track exactly once, under its own identity, once a page of the same origin loads;
// for every way of leaving, with the module in a Worker and on the main thread, in the engine
// BRIDGE_ENGINE names. LEAVING_TRIALS sets the trials per way (3 here, 20 in make test-leaving);
// LEAVING_REPORT=1 prints one line per engine, way and mode: trials, delivered once, lost, duplicated.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import http from 'node:http';
import { test, useBrowser, ENGINE, TIMEOUT } from './harness.mjs';
import { poll } from './driver/index.mjs';
import { startServer, requestLog } from './server.mjs';
import { document, script, BRIDGE_SRC } from './pages.mjs';

const TRIALS = Number(process.env.LEAVING_TRIALS || 3);
// LEAVING_MODES narrows the modes (worker, main).
const MODES = process.env.BRIDGE_THREAD ? [process.env.BRIDGE_THREAD] : (process.env.LEAVING_MODES || 'worker,main').split(',');
const REPORT = process.env.LEAVING_REPORT === '1';
const STORED = 'userpilot-heap-bridge:pending:';
// LEAVING_TRACE=1: each app page writes what happens to it (events emitted, its calls, the bridge's
// storage writes, lock requests and grants, pagehide, visibilitychange) to localStorage as it
// happens, and a failing tab-closed trial prints the trace of the pages that received lost events.
const TRACE = process.env.LEAVING_TRACE === '1';

const h = useBrowser();
let elsewhere; // a server on another port: another origin, for the cross-origin way
const otherOrigin = async () => (elsewhere ||= await startServer({ pageScript: h.browser.pageScript }));
after(async () => { await elsewhere?.close(); });

// A relay stand-in on another origin: it records what each request or beacon carried and accepts
// every event, with CORS as the relay answers it (docs/contract.md §6).
let relayServer;
const relayed = [];
async function fakeRelay() {
  if (relayServer) return relayServer.url;
  const server = http.createServer((req, res) => {
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type, X-Bridge-Signature', 'Access-Control-Allow-Methods': 'POST' };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let events = [];
      try { events = JSON.parse(body).events || []; } catch { /* counted as nothing */ }
      for (const e of events) relayed.push({ id: e.id, experience: e.properties && e.properties.experience_id, user: e.identity, type: req.headers['content-type'] });
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ accepted: events.map((e) => e.id), refused: [] }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  relayServer = { server, url: `http://127.0.0.1:${server.address().port}/v1/events` };
  return relayServer.url;
}
after(async () => { if (relayServer) await new Promise((r) => relayServer.server.close(r)); });

const TRACER = script(`(function () {
  var key = 'leaving:trace:' + Math.random().toString(36).slice(2), t0 = performance.timeOrigin;
  var set = Storage.prototype.setItem, remove = Storage.prototype.removeItem, get = Storage.prototype.getItem;
  function trace(what) {
    try { set.call(localStorage, key, (get.call(localStorage, key) || '') + Math.round(t0 + performance.now()) + ' ' + location.pathname + ' ' + what + '\\n'); } catch (e) {
      navigator.sendBeacon('/tracefailed?' + new URLSearchParams({ what: what.slice(0, 60), error: e.name + ': ' + e.message }), '');
    }
  }
  window.trace = trace;
  Storage.prototype.setItem = function (k, v) {
    if (String(k).indexOf('userpilot-heap-bridge') === 0) trace('setItem ' + k.slice(-8) + ' ' + (String(v).match(/"entries":.*/) || [''])[0].slice(0, 300));
    return set.call(this, k, v);
  };
  Storage.prototype.removeItem = function (k) {
    if (String(k).indexOf('userpilot-heap-bridge') === 0) trace('removeItem ' + k.slice(-8));
    return remove.call(this, k);
  };
  if (navigator.locks) {
    var request = navigator.locks.request.bind(navigator.locks);
    navigator.locks.request = function (name, fn) {
      trace('lock requested');
      return request(name, function (l) { trace('lock granted'); return fn(l); });
    };
  }
  var NativeWorker = window.Worker;
  window.Worker = function (url, o) {
    var w = new NativeWorker(url, o), post = w.postMessage;
    w.addEventListener('message', function (e) { trace('answer ' + String(e.data).slice(0, 400)); });
    w.postMessage = function (m) { trace('post ' + String(m).slice(0, 300)); return post.apply(w, arguments); };
    return w;
  };
  ['pagehide', 'pageshow', 'freeze', 'resume'].forEach(function (n) { addEventListener(n, function (e) { trace(n + (e.persisted ? ' persisted' : '')); }, true); });
  document.addEventListener('visibilitychange', function () { trace('visibilitychange ' + document.visibilityState); }, true);
  trace('start ' + location.href + ' ' + document.visibilityState);
})();`);

// The app's page: a Heap stand-in that records every call in localStorage (so the record outlives
// the page), the bridge first, and a minimal Userpilot whose emit runs the handlers registered for
// a name. The page's user comes from ?user= (alice by default).
const RECORDER = script(`(function () {
  // One key per page, so pages of two tabs never write over each other's record.
  var key = 'leaving:calls:' + Math.random();
  var memoryOnly = /[?&]record=memory/.test(location.search);
  window.recorded = [];
  function rec(c) {
    c.page = location.pathname;
    recorded.push(c);
    if (window.trace) trace('call ' + JSON.stringify(c));
    if (!memoryOnly) try { localStorage.setItem(key, (localStorage.getItem(key) || '') + JSON.stringify(c) + '\\n'); } catch (e) {
      if (window.trace) navigator.sendBeacon('/recordfailed?' + new URLSearchParams({ id: c.id, m: c.m, error: e.name + ': ' + e.message }), '');
      throw e;
    }
    if (c.m === 'track') navigator.sendBeacon('/recorded?' + new URLSearchParams({ id: c.id, user: c.user, page: location.pathname }), '');
  }
  // ?heap=none: a page where Heap has not loaded (or is blocked).
  if (/[?&]heap=none/.test(location.search)) return;
  window.heap = { loaded: true,
    // The beacon first: a closing page stopped inside this call (Firefox stops a closing tab's
    // script where it is) got the call, though its record below may be cut short.
    track: function (n, p) { navigator.sendBeacon('/tracking?' + new URLSearchParams({ id: p && p.experience_id, user: p && p.userpilot_user_id }), ''); rec({ m: 'track', n: n, id: p && p.experience_id, user: p && p.userpilot_user_id }); },
    // ?slow=ms: heap.identify takes that long, as a busy Heap SDK may.
    identify: function (u) { var slow = /[?&]slow=(\\d+)/.exec(location.search), end = slow ? performance.now() + Number(slow[1]) : 0; while (performance.now() < end); rec({ m: 'identify', user: u }); },
    resetIdentity: function () {}, addUserProperties: function () {} };
})();`);

const USERPILOT = script(`(function () {
  var handlers = {};
  window.userpilot = {
    on: function (n, f) { (handlers[n] = handlers[n] || []).push(f); },
    once: function (n, f) { this.on(n, f); },
    off: function (n) { handlers[n] = []; },
    identify: function () {}, anonymous: function () {}, clean: function () {},
    emit: function (n, p) { (handlers[n] || []).slice().forEach(function (f) { f(p); }); }
  };
  var user = new URLSearchParams(location.search).get('user') || 'alice';
  if (user !== 'none') userpilot.identify(user);
  window.loadId = Math.random();
  // shown tells the test server the page is shown and ready (a request it logs), so a test can wait
  // for a navigation to end without asking a tab that may be between documents.
  // The test gives each tab an id in sessionStorage, which the tab keeps across its pages of the origin.
  function shown() {
    var q = new URLSearchParams({ tab: sessionStorage.getItem('leaving:tab'), load: window.loadId, restored: window.restored || 0, href: location.href });
    fetch('/shown?' + q).catch(function () {});
  }
  window.addEventListener('pageshow', function (e) { if (e.persisted) { window.restored = (window.restored || 0) + 1; shown(); } });
  UserpilotHeapBridge.ready().then(function () { window.appReady = true; shown(); });
  // leave(how, next) leaves the page the way a visitor or the app does, in the calling task.
  window.leave = function (how, next) {
    if (how === 'href') location.href = next;
    else if (how === 'link') { var a = document.getElementById('link'); a.href = next; a.click(); }
    else if (how === 'form') { var f = document.getElementById('form'), u = new URL(next, location.href); f.action = u.pathname; f.elements.user.value = u.searchParams.get('user') || 'alice'; f.submit(); }
    else if (how === 'reload') location.reload();
  };
  // A beacon says the page got pagehide, after the bridge's own listener (added later), with the
  // last event it emitted, the bridge's counters and whether storage holds that event then: a lost
  // event whose page never got pagehide was lost with the page (the browser ended it).
  function hidden() {
    var id = window.lastEmitted, st = UserpilotHeapBridge.stats(), stored = 0;
    for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (k.indexOf('userpilot-heap-bridge') === 0 && (localStorage.getItem(k) || '').indexOf('"id",' + id + ',') >= 0) stored++; }
    navigator.sendBeacon('/pagehide?' + new URLSearchParams({ id: id, stored: stored, persisted: st.persisted, pending: st.pending, forwarded: st.forwarded, received: st.received }), '');
  }
  window.emitAndLeave = function (id, how, next) {
    if (!window.lastEmitted) addEventListener('pagehide', hidden);
    window.lastEmitted = id;
    if (window.trace) trace('emit ' + id + ' ' + JSON.stringify(UserpilotHeapBridge.stats()));
    userpilot.emit('completed', { id: id, token: 't' });
    if (how) leave(how, next);
  };
})();`);

const THROWING_STORAGE = script(`(function () {
  var set = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    if (String(k).indexOf('userpilot-heap-bridge') === 0) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
    return set.call(this, k, v);
  };
})();`);

function appPage({ mode, settings = {}, throwing = false }) {
  return document(
    throwing ? THROWING_STORAGE : '',
    TRACE ? TRACER : '',
    RECORDER,
    script(`window.userpilotHeapBridgeSettings = ${JSON.stringify({ thread: mode, persist: process.env.LEAVING_BASELINE !== '1', ...settings })};`),
    `<script src="${BRIDGE_SRC}"></script>`,
    USERPILOT,
    '<a id="link" href="#">next</a><form id="form" method="get"><input type="hidden" name="user"></form>',
  );
}

// ---- driving a tab ----

const state = (tab) => tab.evaluate(() => ({ href: location.href, loadId: String(window.loadId), ready: window.appReady === true, restored: window.restored || 0 }));

// shown waits, in Node, until the latest page the tab showed of the app's origin (its "/shown"
// request to the test server) matches; it resolves to {href, loadId, restored}. The tab is asked
// nothing while it may be between documents or in the back/forward cache, where a driver's call
// may never return (WebKit's driver hung so, and Chromium's once).
async function shown(tab, matches, what) {
  if (!tab.appTab) {
    // First contact, always right after goto (a parsed document): the tab gets its id for later pages.
    tab.appTab = String(Math.random());
    await tab.evaluate((id) => sessionStorage.setItem('leaving:tab', id), tab.appTab);
    await tab.waitForFunction(() => window.appReady === true, null, { timeout: TIMEOUT });
    const s = await state(tab);
    if (matches(s)) return s;
  }
  const prefix = h.server.origin + '/shown?';
  return poll(() => {
    let last;
    for (let i = requestLog.length - 1; i >= 0 && !last; i--) {
      if (!requestLog[i].startsWith(prefix)) continue;
      const q = new URL(requestLog[i]).searchParams;
      if (q.get('tab') === tab.appTab) last = { href: q.get('href'), loadId: q.get('load'), restored: Number(q.get('restored')) };
    }
    return last && matches(last) && last;
  }, { timeout: TIMEOUT, what });
}

// landed waits until the tab shows a ready app page at href (any, when omitted) other than the
// one whose loadId is left (undefined: any).
const landed = (tab, { href, left } = {}) =>
  shown(tab, (s) => s.loadId !== String(left) && (!href || s.href === href), `an app page at ${href || 'any address'}`);

// emitAndLeave runs emit-then-leave in one task of the page, a task after this call returns, so
// the driver's evaluation is not torn down by the navigation.
const emitAndLeave = (tab, id, how, next) =>
  tab.evaluate(([id, how, next]) => { setTimeout(() => window.emitAndLeave(id, how, next), 0); return true; }, [id, how, next]);

async function calls(tab) {
  const text = await tab.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('leaving:calls:')).map((k) => localStorage.getItem(k)).join(''));
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// trackBeacons are the beacons the fake heap.track sends as it begins, as [{id, user}]: a page
// stopped inside heap.track (Firefox stops a closing tab's script where it is) made the call,
// though its record may be cut short (docs/leaving-the-page.md).
const trackBeacons = () => requestLog.filter((u) => u.includes('/tracking?'))
  .map((u) => new URL(u).searchParams).map((q) => ({ id: Number(q.get('id')), user: q.get('user') }));

// settled waits until the tab's bridge holds nothing (stored events decided, calls made).
async function settled(tab) {
  await tab.waitForFunction(() => {
    const s = window.UserpilotHeapBridge && window.UserpilotHeapBridge.stats();
    return window.appReady && s && s.pending === 0 && s.relaying === 0;
  }, null, { timeout: TIMEOUT });
  await tab.evaluate(() => new Promise((r) => setTimeout(r, 200)));
}

// printTraces prints, with LEAVING_TRACE=1, the trace lines around each event of ids that never
// reached heap.track.
async function printTraces(tab, rec, ids) {
  const traces = await tab.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('leaving:trace:')).map((k) => localStorage.getItem(k)));
  const lines = traces.join('').split('\n').filter(Boolean).sort();
  for (const id of ids.filter((id) => !rec.some((c) => c.m === 'track' && c.id === id))) {
    const at = lines.findIndex((l) => l.includes(' emit ' + id + ' '));
    console.log(`trace around lost ${id}:\n` + lines.slice(Math.max(0, at - 8), at + 40).join('\n'));
  }
}

// tally counts, for event ids, how often each reached heap.track and under whom.
// tally counts, per event, its heap.track calls: the page's records of them, or, where more came,
// the beacons the fake heap.track sends as it begins (began: [{id, user}]), which outlive a page
// stopped inside the call (its record cut short).
function tally(recorded, ids, userOf, began = []) {
  const t = { trials: ids.length, once: 0, lost: 0, duplicated: 0, wrongUser: 0 };
  for (const id of ids) {
    const tracks = recorded.filter((c) => c.m === 'track' && c.id === id);
    const beacons = began.filter((c) => c.id === id);
    if (tracks.some((c) => c.user !== userOf(id)) || beacons.some((c) => c.user !== userOf(id))) t.wrongUser++;
    const n = Math.max(tracks.length, beacons.length);
    if (n === 1) t.once++;
    else if (n === 0) t.lost++;
    else t.duplicated++;
  }
  return t;
}

function report(way, mode, t, extra = '') {
  if (REPORT) console.log(`leaving: ${ENGINE.padEnd(8)} ${way.padEnd(14)} ${mode.padEnd(6)} trials ${t.trials}, delivered once ${t.once}, lost ${t.lost}, duplicated ${t.duplicated}${t.wrongUser ? `, under another identity ${t.wrongUser}` : ''}${extra}`);
}

// opening gives a holder tab on the origin (it keeps the browsing context, and its storage, open)
// and a tab on an app page, with storage emptied of earlier tests.
async function opening(mode, page = appPage({ mode })) {
  const holder = await h.open(document('<p>holder</p>'));
  await holder.page.evaluate(() => localStorage.clear());
  const url = h.server.page(page);
  const tab = await holder.page.newTab();
  await tab.goto(url);
  return { holder, tab, url, first: await landed(tab) }; // first: the page shown
}

let nextId = 1;
const newIds = (n) => Array.from({ length: n }, () => nextId++);

// ---- the ways of leaving, each N trials of "emit, then leave in the same task" ----

const SAME_ORIGIN = ['href', 'link', 'form', 'reload'];

for (const mode of MODES) {
  for (const how of SAME_ORIGIN) {
    test(`${mode}: emit, then leave by ${how}: each event reaches heap.track once, under its own identity`, async () => {
      const trials = async () => {
        const { holder, tab, url } = await opening(mode);
        const ids = newIds(TRIALS);
        let left = (await state(tab)).loadId;
        for (const id of ids) {
          await emitAndLeave(tab, id, how, url);
          left = (await landed(tab, { left })).loadId;
        }
        await settled(tab);
        const rec = await calls(tab);
        const t = tally(rec, ids, () => 'alice', trackBeacons());
        report(how, mode, t);
        if (TRACE && t.lost) await printTraces(tab, rec, ids);
        assert.deepEqual(tab.errors, []);
        await tab.close();
        await holder.page.close();
        return t;
      };
      const t = await trials();
      assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
    });
  }

  // busy: heap.identify takes 300 ms, so the tab is closed while the page makes the calls of the
  // module's answer. Firefox stops a closing tab's script where it is, then runs pagehide: an event
  // whose call was not made yet must be stored then (it lost every one before).
  for (const busy of [false, true]) test(`${mode}: emit, then the tab is closed${busy ? ' while Heap is busy with the answer' : ''}; the origin opened in a new tab delivers each event once`, async () => {
    const trials = async () => {
      let { holder, tab, url } = await opening(mode);
      if (busy) { url += '?slow=300'; await tab.goto(url); await landed(tab, { href: url }); }
      const ids = newIds(TRIALS);
      const closed = [];
      for (const id of ids) {
        closed.push(tab);
        const next = await holder.page.newTab();
        await tab.evaluate((id) => window.emitAndLeave(id), id);
        await tab.close();
        await next.goto(url);
        tab = next;
        await landed(tab);
      }
      await settled(tab);
      const rec = await calls(tab);
      const began = trackBeacons();
      const t = tally(rec, ids, () => 'alice', began);
      const cut = ids.filter((id) => began.some((c) => c.id === id) && !rec.some((c) => c.m === 'track' && c.id === id)).length;
      // Which was lost, the event or the page's record of its call: the record also goes by beacon, and
      // an event stored but not claimed (the next page's copy of storage not yet told of the write)
      // is still in storage.
      const byBeacon = new Set(requestLog.filter((u) => u.includes('/recorded?')).map((u) => Number(new URL(u).searchParams.get('id'))));
      const stillStored = await tab.evaluate((p) => Object.keys(localStorage).filter((k) => k.startsWith(p)).length, STORED);
      const hidden = new Set(requestLog.filter((u) => u.includes('/pagehide?')).map((u) => Number(new URL(u).searchParams.get('id'))));
      const lost = ids.filter((id) => !began.some((c) => c.id === id) && !rec.some((c) => c.m === 'track' && c.id === id));
      report(busy ? 'closed, busy' : 'tab closed', mode, t, `; of those lost, recorded by beacon ${lost.filter((id) => byBeacon.has(id)).length}, whose tab got pagehide ${lost.filter((id) => hidden.has(id)).length}; keys left in storage ${stillStored}; stopped inside heap.track (its record cut, its call counted) ${cut}`);
      for (const id of lost) for (const near of [id - 1, id, id + 1, id + 2]) console.log(`# lost ${id}, page ${near}: ${requestLog.filter((u) => u.includes('/pagehide?') && new URL(u).searchParams.get('id') === String(near)).map((u) => new URL(u).search).join(' ') || 'no pagehide'}`);
      if (TRACE && t.lost) {
        console.log('failed writes: ' + requestLog.filter((u) => /failed\?/.test(u)).join('\n'));
        closed.forEach((c, i) => { if (c.errors.length || c.console.length) console.log(`closed tab ${i}: errors ${c.errors.map((e) => e.stack).join(' | ')} console ${JSON.stringify(c.console)}`); });
        await printTraces(tab, rec, ids);
      }
      await tab.close();
      await holder.page.close();
      return t;
    };
    const t = await trials();
    assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
  });

  // The other origin's page goes back by itself, and the test waits for the app page's own word that
  // it is shown again (shown): no tab is asked anything while it is between documents.
  test(`${mode}: emit, then a cross-origin navigation and back: each event once`, async () => {
    const { holder, tab, url } = await opening(mode);
    const away = (await otherOrigin()).page(document('<p>another origin</p>', script(`addEventListener('load', function () { setTimeout(function () { history.back(); }, 0); });`)));
    const ids = newIds(TRIALS);
    let restored = 0;
    for (const id of ids) {
      const before = await state(tab);
      await emitAndLeave(tab, id, 'href', away);
      const back = await shown(tab, (s) => s.href === url && (s.loadId !== before.loadId || s.restored > before.restored), 'the app page again');
      if (back.loadId === before.loadId) restored++;
    }
    await settled(tab);
    const t = tally(await calls(tab), ids, () => 'alice');
    report('cross-origin', mode, t, `, restored from the back/forward cache ${restored}`);
    assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
    await tab.close();
    await holder.page.close();
  });

  test(`${mode}: emit, leave for a page of the origin that claims the event, then history.back() (back/forward cache): each event once`, async () => {
    const { holder, tab, url } = await opening(mode);
    const other = h.server.page(appPage({ mode }));
    const ids = newIds(TRIALS);
    let restored = 0;
    for (const id of ids) {
      const before = await state(tab);
      await emitAndLeave(tab, id, 'href', other);
      await landed(tab, { href: other });
      await settled(tab); // the other page has claimed and delivered what it found
      await tab.evaluate(() => { setTimeout(() => history.back(), 0); return true; });
      const back = await shown(tab, (s) => s.href === url && (s.loadId !== before.loadId || s.restored > before.restored), 'the first page again');
      if (back.loadId === before.loadId) restored++;
    }
    await settled(tab);
    const t = tally(await calls(tab), ids, () => 'alice');
    report('bfcache', mode, t, `, restored from the back/forward cache ${restored}`);
    assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
    await tab.close();
    await holder.page.close();
  });

  test(`${mode}: emit, then leave for a page where another user is identified: never sent under that user`, async () => {
    const { holder, tab, url } = await opening(mode);
    const ids = newIds(TRIALS);
    const userOf = new Map();
    let user = 'alice', left = (await state(tab)).loadId, identityChanged = 0;
    for (const id of ids) {
      userOf.set(id, user);
      user = user === 'alice' ? 'bob' : 'alice';
      await emitAndLeave(tab, id, 'href', url + '?user=' + user);
      left = (await landed(tab, { left })).loadId;
      await settled(tab);
      identityChanged += (await tab.evaluate(() => UserpilotHeapBridge.stats().dropReasons.identity_changed || 0));
    }
    const t = tally(await calls(tab), ids, (id) => userOf.get(id));
    report('other user', mode, { ...t, lost: t.lost - identityChanged }, `, dropped as identity_changed ${identityChanged}`);
    assert.equal(t.wrongUser, 0, 'an event was sent under another identity');
    assert.equal(t.duplicated, 0);
    assert.equal(t.once + identityChanged, TRIALS, 'each event is delivered by its own page or dropped as identity_changed');
    await tab.close();
    await holder.page.close();
  });

  test(`${mode}: two tabs of the origin, each emitting as it leaves: no event twice, none lost`, async () => {
    const { holder, tab, url } = await opening(mode);
    const second = await holder.page.newTab();
    await second.goto(url);
    await landed(second);
    const ids = newIds(2 * TRIALS);
    let leftA = (await state(tab)).loadId, leftB = (await state(second)).loadId;
    for (let i = 0; i < TRIALS; i++) {
      await Promise.all([emitAndLeave(tab, ids[2 * i], 'href', url), emitAndLeave(second, ids[2 * i + 1], 'href', url)]);
      [leftA, leftB] = (await Promise.all([landed(tab, { left: leftA }), landed(second, { left: leftB })])).map((s) => s.loadId);
    }
    await Promise.all([settled(tab), settled(second)]);
    const t = tally(await calls(tab), ids, () => 'alice');
    report('two tabs', mode, t);
    assert.deepEqual(t, { trials: 2 * TRIALS, once: 2 * TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
    await second.close();
    await tab.close();
    await holder.page.close();
  });

  // A page in the back/forward cache keeps running its tasks when it is shown again; no engine as
  // these tests drive it restores pages from that cache, so the page is told it is hidden and shown
  // as the cache would (pagehide and pageshow with persisted), while another page claims its events
  // or not. A lock the test holds keeps the page from taking its events back until then; the test
  // goes on once it holds it (a claim may hold it a moment), never calling a release it lacks.
  const cached = (tab, ids, claimed) => tab.evaluate(([ids, claimed, prefix]) => new Promise((done) => {
    navigator.locks.request('userpilot-heap-bridge:claim', () => new Promise((release) => setTimeout(() => {
      ids.forEach((id) => window.emitAndLeave(id));
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      const keys = Object.keys(localStorage).filter((k) => k.startsWith(prefix));
      if (claimed) {
        // Another page claims the key while this one is in the cache: moved where the next page finds it.
        keys.forEach((k) => { localStorage.setItem(prefix + 'moved', localStorage.getItem(k)); localStorage.removeItem(k); });
      }
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      setTimeout(() => { release(); done(keys.length); }, 100);
    }, 0)));
  }), [ids, claimed, STORED]);

  test(`${mode}: back/forward cache: a page shown again takes its stored events back and delivers them once`, async () => {
    const { holder, tab } = await opening(mode);
    const ids = newIds(2);
    assert.equal(await cached(tab, ids, false), mode === 'main' ? 0 : 1, 'written when hidden (on the main thread, answered at once)');
    await settled(tab);
    const t = tally(await calls(tab), ids, () => 'alice');
    assert.deepEqual(t, { trials: 2, once: 2, lost: 0, duplicated: 0, wrongUser: 0 });
    assert.deepEqual(await tab.evaluate((p) => Object.keys(localStorage).filter((k) => k.startsWith(p)), STORED), [], 'taken back');
    await tab.close();
    await holder.page.close();
  });

  // On the main thread the module answers within pagehide itself, so nothing is left to store.
  if (mode !== 'main') test(`${mode}: back/forward cache: a page shown again whose stored events another page claimed does not deliver them; that page does`, async () => {
    const { holder, tab, url } = await opening(mode);
    const ids = newIds(2);
    assert.equal(await cached(tab, ids, true), 1, 'written when hidden');
    await settled(tab);
    assert.deepEqual(tally(await calls(tab), ids, () => 'alice').lost, 2, 'not delivered by the page they were claimed from');
    const s = await tab.evaluate(() => UserpilotHeapBridge.stats());
    assert.equal(s.dropReasons.claimed_elsewhere, 2, JSON.stringify(s));
    const next = await holder.page.newTab();
    await next.goto(url);
    await landed(next);
    await settled(next);
    const t = tally(await calls(next), ids, () => 'alice');
    assert.deepEqual(t, { trials: 2, once: 2, lost: 0, duplicated: 0, wrongUser: 0 });
    await next.close();
    await tab.close();
    await holder.page.close();
  });

  test(`${mode}: a page without Heap: an event the module holds for window.heap is stored when the page is left; the next page, with Heap, delivers it once`, async () => {
    const { holder, tab, url, first } = await opening(mode);
    const ids = newIds(TRIALS);
    let left = first.loadId;
    for (const id of ids) {
      await tab.goto(url + '?heap=none');
      left = (await landed(tab, { left })).loadId;
      await tab.evaluate((id) => window.emitAndLeave(id), id);
      // The module has answered and holds the call (pending, nothing left with the loader to answer).
      await tab.waitForFunction(() => UserpilotHeapBridge.stats().pending === 1, null, { timeout: TIMEOUT });
      await tab.evaluate(() => new Promise((r) => setTimeout(r, 300)));
      await tab.evaluate((url) => { setTimeout(() => window.leave('href', url), 0); return true; }, url);
      left = (await landed(tab, { href: url, left })).loadId;
      await settled(tab);
    }
    const t = tally(await calls(tab), ids, () => 'alice');
    report('no Heap yet', mode, t);
    assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 });
    await tab.close();
    await holder.page.close();
  });

  // With a relay, an event the module has not answered when the page is left is stored, not sent
  // by beacon (the loader cannot name it: docs/leaving-the-page.md); one a standby beacon carries is
  // not stored. Either way each event arrives once: at heap.track or at the relay.
  for (const blocked of [true, false]) test(`${mode}: relay configured, Heap ${blocked ? 'blocked' : 'loaded'}: emit, then leave; each event arrives once, by heap.track or the relay`, async () => {
    const settings = { relayUrl: await fakeRelay(), relayAfter: 300 };
    const { holder, tab, first } = await opening(mode, appPage({ mode, settings }));
    const url = h.server.page(appPage({ mode, settings })) + (blocked ? '?heap=none' : '');
    await tab.goto(url);
    let left = (await landed(tab, { left: first.loadId })).loadId;
    const ids = newIds(TRIALS);
    for (const id of ids) {
      await emitAndLeave(tab, id, 'href', url);
      left = (await landed(tab, { left })).loadId;
    }
    await settled(tab);
    const tracks = (await calls(tab)).filter((c) => c.m === 'track' && ids.includes(c.id));
    const atRelay = relayed.filter((r) => ids.includes(r.experience));
    const t = { trials: TRIALS, once: 0, lost: 0, duplicated: 0, wrongUser: 0 };
    for (const id of ids) {
      // The relay keeps one event per id (Heap's idempotency key): a beacon and a retry of one id are one event.
      const arrived = tracks.filter((c) => c.id === id).length + new Set(atRelay.filter((r) => r.experience === id).map((r) => r.id)).size;
      if ([...tracks, ...atRelay].some((c) => (c.id ?? c.experience) === id && c.user !== 'alice')) t.wrongUser++;
      if (arrived === 1) t.once++; else if (arrived === 0) t.lost++; else t.duplicated++;
    }
    report(blocked ? 'relay, blocked' : 'relay, loaded', mode, t, `, at the relay ${new Set(atRelay.map((r) => r.experience)).size}`);
    assert.deepEqual(t, { trials: TRIALS, once: TRIALS, lost: 0, duplicated: 0, wrongUser: 0 }, JSON.stringify(atRelay));
    if (blocked) assert.equal(tracks.length, 0, 'Heap was blocked');
    await tab.close();
    await holder.page.close();
  });

  // ---- what storage may and may not do ----

  // hideNow emits count events and tells the page it is hidden, in one task; it returns the keys
  // the bridge stored right then.
  const hideNow = (tab, ids) => tab.evaluate((ids) => {
    ids.forEach((id) => window.emitAndLeave(id));
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    delete document.visibilityState;
    return Object.keys(localStorage).filter((k) => k.startsWith('userpilot-heap-bridge:'));
  }, ids);

  test(`${mode}: storage that throws never reaches the page: the events are counted as unpersisted, and the page goes on`, async () => {
    const { holder, tab } = await opening(mode, appPage({ mode, throwing: true }));
    const ids = newIds(2);
    assert.deepEqual(await hideNow(tab, ids), []);
    await settled(tab);
    const s = await tab.evaluate(() => UserpilotHeapBridge.stats());
    assert.equal(s.unpersisted, 2, JSON.stringify(s));
    assert.equal(s.forwarded, 2, 'the page stayed, so its events were delivered after all');
    assert.deepEqual(tab.errors, []);
    await tab.close();
    await holder.page.close();
  });

  test(`${mode}: nothing is written while consent is withheld; written with consent granted`, async () => {
    const { holder, tab } = await opening(mode, appPage({ mode, settings: { consent: 'pending' } }));
    assert.deepEqual(await hideNow(tab, newIds(1)), [], 'consent pending');
    await tab.evaluate(() => UserpilotHeapBridge.setConsent('denied'));
    assert.deepEqual(await hideNow(tab, newIds(1)), [], 'consent denied');
    await tab.evaluate(() => UserpilotHeapBridge.setConsent('granted'));
    await settled(tab);
    const keys = await hideNow(tab, newIds(1));
    assert.equal(keys.length, 1, 'consent granted: the pending event is written');
    assert.ok(keys[0].startsWith(STORED));
    await tab.close();
    await holder.page.close();
  });

  // The rules are the module's, the same wherever it runs: once, in a Worker.
  if (mode === 'worker') test(`${mode}: stored events older than 24 hours are expired; beyond 1,000 the oldest go as overflow`, async () => {
    const holder = await h.open(document('<p>holder</p>'));
    const now = Date.now();
    await holder.page.evaluate(([prefix, now]) => {
      localStorage.clear();
      const entry = (id, at) => ['x-' + id, 'alice', at, 'event', 'completed', 0, id, 1, ['o', 0, 'id', 900000 + id, 'token', 't']];
      localStorage.setItem(prefix + 'old', JSON.stringify({ v: 1, page: 'old', at: now, omitted: 0, entries: [entry(0, now - 25 * 3600 * 1000)] }));
      const many = [];
      for (let i = 1; i <= 1005; i++) many.push(entry(i, now - 60000 + i));
      localStorage.setItem(prefix + 'many', JSON.stringify({ v: 1, page: 'many', at: now, omitted: 0, entries: many }));
    }, [STORED, now]);
    const tab = await holder.page.newTab();
    await tab.goto(h.server.page(appPage({ mode })) + '?record=memory');
    await landed(tab);
    await settled(tab);
    const s = await tab.evaluate(() => UserpilotHeapBridge.stats());
    assert.equal(s.dropReasons.expired, 1, JSON.stringify(s.dropReasons));
    assert.equal(s.dropReasons.overflow, 5, JSON.stringify(s.dropReasons));
    assert.equal(s.recovered, 1000);
    const ids = await tab.evaluate(() => window.recorded.filter((c) => c.m === 'track').map((c) => c.id));
    assert.equal(ids.length, 1000);
    assert.equal(Math.min(...ids), 900006, 'the oldest five went');
    assert.deepEqual(await tab.evaluate((p) => Object.keys(localStorage).filter((k) => k.startsWith(p)), STORED), []);
    await tab.close();
    await holder.page.close();
  });
}
