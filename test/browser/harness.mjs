// Browser harness: one browser per test file (BRIDGE_ENGINE picks the engine, driver/), a fresh tab
// per test, the CDN stand-ins served by the test server at /cdn/<host>/ so every engine loads them alike.
import { test as nodeTest, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, ENGINE, STEP } from './driver/index.mjs';
import { startServer, requestLog } from './server.mjs';

export { LAUNCH } from './driver/chromium.mjs';
export { ENGINE };
export const TIMEOUT = 30_000;

// test is node:test's test with a ceiling, so a hung page fails one test instead of the whole run;
// options may say skip: 'why' (onlyIn builds it).
export const test = (name, options, fn) => (fn ? nodeTest(name, { timeout: 4 * TIMEOUT, ...options }, fn) : nodeTest(name, { timeout: 4 * TIMEOUT }, options));

// onlyIn(engines, why) is a test's options that skip it in the other engines, saying why.
export const onlyIn = (engines, why) => ({ skip: engines.includes(ENGINE) ? false : `${why} (runs in ${engines.join(', ')})` });

// Chromium can answer the real CDN hosts too (playwright routes), for code that names them itself
// with https, as Userpilot's npm wrapper does: the test server answers them from /cdn/<host>/.
const CDN_HOSTS = ['js.userpilot.io', 'cdn.heapanalytics.com', 'cdn.us.heap-api.com'];
async function routeCdnHosts(context, server) {
  await context.route((u) => CDN_HOSTS.includes(u.hostname), async (route) => {
    const u = new URL(route.request().url());
    const r = await fetch(server.url(`/cdn/${u.hostname}${u.pathname}`)).catch(() => null);
    if (!r || !r.ok) return route.abort('blockedbyclient');
    await route.fulfill({ status: 200, contentType: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) });
  });
}

// One browser per process: test files run together in one process (engines.mjs does that for
// Firefox and WebKit, whose start takes seconds) share it; the last file to finish closes it.
let shared = null;
let users = 0;
const acquire = () => { users++; shared ??= launch(); return shared; };
async function release() {
  if (--users > 0 || !shared) return;
  const b = await shared;
  shared = null;
  await b.close();
}

// A hook's ceiling: its driver commands are bounded (driver/index.mjs), and so is the hook.
const HOOK = { timeout: 2 * STEP };

// useBrowser wires node:test hooks; call it once at the top of a test file.
export function useBrowser() {
  const h = { server: null, browser: null, sessions: [] };
  before(async () => {
    h.server = await startServer(); // first: other before() hooks of a file use h.url
    h.browser = await acquire();
    h.server.pageScript = h.browser.pageScript;
  }, HOOK);
  afterEach(async () => {
    for (const s of h.sessions.splice(0)) await s.page.close();
    h.server.reset();
  }, HOOK);
  after(async () => {
    if (h.browser) await release();
    await h.server?.close();
  }, HOOK);
  h.url = (p) => h.server.url(p);
  // open serves `html` as a new page (with optional response headers) and opens it in a fresh tab;
  // hold names requests to keep waiting until s.release(name), block names requests that fail.
  h.open = (html, options) => openWith(h, html, options);
  // visit opens any URL (an app another server serves) in a fresh tab.
  h.visit = async (url, { hold = [], block = [] } = {}) => {
    const s = await newSession(h, { hold, block });
    await s.page.goto(url);
    return s;
  };
  return h;
}

async function newSession(h, { hold = [], block = [], intercept } = {}) {
  h.server.rules({ hold, block, intercept });
  const page = await h.browser.newTab();
  if (ENGINE === 'chromium') await routeCdnHosts(page.context, h.server);
  const since = requestLog.length;
  // Chromium sees every request the page makes (any server); elsewhere the test servers' log says.
  const seen = [];
  if (ENGINE === 'chromium') page.raw.on('request', (r) => seen.push(r.url()));
  const loaded = () => (ENGINE === 'chromium' ? seen.slice() : requestLog.slice(since));
  const s = {
    page,
    context: page.context, // Chromium only: playwright's BrowserContext
    console: page.console,
    errors: page.errors,
    // loaded lists the URLs this session requested; requests, the CDN's.
    get loaded() { return loaded(); },
    get requests() { return loaded().filter((u) => new URL(u).pathname.startsWith('/cdn/') || CDN_HOSTS.includes(new URL(u).hostname)); },
    release: (name) => h.server.release(name),
  };
  h.sessions.push(s);
  return s;
}

// openWith is h.open with more control: hold, block and intercept (server.mjs) decide what the
// server does with requests, setup(context, s) runs before navigation (Chromium only: playwright
// routes), query is appended to the page URL (e.g. '?userpilot-heap-bridge-record').
export async function openWith(h, html, { headers, hold = [], block = [], intercept, setup, query = '' } = {}) {
  const s = await newSession(h, { hold, block, intercept });
  if (setup) {
    if (ENGINE !== 'chromium') throw new Error(`setup(context) needs playwright's context: Chromium only, not ${ENGINE}`);
    await setup(s.context, s);
  }
  await s.page.goto(h.server.page(html, { headers }) + query);
  return s;
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

// ---- helpers on a page ----

export const heapCalls = (page) => page.evaluate(() => (window.heapStandIn ? window.heapStandIn.calls : []));
export const heapViolations = (page) => page.evaluate(() => (window.heapStandIn ? window.heapStandIn.violations : []));
export const bridgeStats = (page) => page.evaluate(() => window.UserpilotHeapBridge.stats());

export async function waitForCalls(page, n) {
  await page.waitForFunction((n) => window.heapStandIn && window.heapStandIn.calls.length >= n, n, { timeout: TIMEOUT });
  return heapCalls(page);
}

// settle lets pending tasks run, so that a call made too many shows up before we compare.
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => setTimeout(r, 50)), 50)));
}

// finalCalls waits for n recorded Heap calls, lets stragglers arrive, and returns them all.
export async function finalCalls(page, n) {
  if (n > 0) await waitForCalls(page, n);
  await settle(page);
  return heapCalls(page);
}

export const waitForHeap = (page) =>
  page.waitForFunction(() => window.heapStandIn && window.heapStandIn.loaded === true, null, { timeout: TIMEOUT });

export const waitForUserpilot = (page) =>
  page.waitForFunction(() => window.userpilotStandIn && window.userpilotStandIn.loaded === true, null, { timeout: TIMEOUT });

// waitForBridge resolves when UserpilotHeapBridge.ready() resolves; it fails the test with the rejection text.
export async function waitForBridge(page) {
  const result = await bridgeReady(page);
  assert.equal(result, 'ready', `UserpilotHeapBridge.ready() did not resolve: ${result}`);
  if (process.env.BRIDGE_THREAD) {
    assert.equal(await page.evaluate(() => UserpilotHeapBridge.stats().thread), process.env.BRIDGE_THREAD, 'the module runs where BRIDGE_THREAD says');
  }
}

// bridgeReady returns 'ready' or the rejection as "Name: message".
export async function bridgeReady(page) {
  await page.waitForFunction(() => window.UserpilotHeapBridge, null, { timeout: TIMEOUT });
  return page.evaluate(() => Promise.race([
    window.UserpilotHeapBridge.ready().then(() => 'ready', (e) => `${e && e.name}: ${e && e.message}`),
    new Promise((r) => setTimeout(() => r('still pending after 25 s'), 25_000)),
  ]));
}

// waitForAll waits until the bridge is ready and both stand-in SDKs have replaced their stubs.
export async function waitForAll(page) {
  await waitForBridge(page);
  await waitForUserpilot(page);
  await waitForHeap(page);
}

// addBridgeLate inserts the bridge tag into a page that is already running.
export const addBridgeLate = (page, src = '/dist/userpilot-heap-bridge.js') => page.evaluate(([src, thread]) => {
  if (thread) window.userpilotHeapBridgeSettings = { thread, ...window.userpilotHeapBridgeSettings };
  const s = document.createElement('script');
  s.src = src;
  s.async = true;
  document.head.appendChild(s);
}, [src, process.env.BRIDGE_THREAD]);

export const hostCalls = (page) => page.evaluate(() => window.hostCalls || []);

// assertNoPageErrors fails on uncaught page errors and on exceptions the Userpilot stand-in swallowed.
export async function assertNoPageErrors(s) {
  const swallowed = await s.page.evaluate(() => (window.userpilotStandIn && window.userpilotStandIn.handlerErrors) || []);
  assert.deepEqual(s.errors.map((e) => String(e && e.stack || e)), [], 'page errors');
  assert.deepEqual(swallowed, [], 'exceptions thrown by Userpilot handlers');
}

// assertStatsBalance checks that every received event was forwarded, dropped or counted as duplicate.
export async function assertStatsBalance(page) {
  const st = await bridgeStats(page);
  assert.equal(st.received, st.forwarded + st.dropped + st.duplicates, `stats do not balance: ${JSON.stringify(st)}`);
  return st;
}

// waitForReceived waits until the bridge has received n events (both roads count).
export const waitForReceived = (page, n) =>
  page.waitForFunction((n) => window.UserpilotHeapBridge && window.UserpilotHeapBridge.stats().received >= n, n, { timeout: TIMEOUT });

// waitForIdle waits until the bridge holds nothing: every event it received is forwarded, dropped
// or a duplicate, none still in the module (a Worker answers a moment later) or bound for the relay.
export const waitForIdle = (page) => page.waitForFunction(() => {
  const s = window.UserpilotHeapBridge && window.UserpilotHeapBridge.stats();
  return s && s.pending === 0 && s.relaying === 0;
}, null, { timeout: TIMEOUT });

// assertIdle checks the idle balance: received = forwarded + dropped + duplicates + pending, pending 0.
export async function assertIdle(page) {
  const st = await bridgeStats(page);
  assert.equal(st.received, st.forwarded + st.dropped + st.duplicates + st.pending, `stats do not balance: ${JSON.stringify(st)}`);
  assert.equal(st.pending, 0, `events still pending: ${JSON.stringify(st)}`);
  return st;
}

// bridgeConsole returns the bridge's own console lines of one type ('warning', 'debug', ...).
export const bridgeConsole = (s, type = 'warning') =>
  s.console.filter((m) => m.type === type && m.text.startsWith('userpilot-heap-bridge: ')).map((m) => m.text);

// wasmRequests lists the .wasm URLs the page requested.
export const wasmRequests = (s) => s.loaded.filter((u) => new URL(u).pathname.endsWith('.wasm'));

// gate returns a {promise, resolve} pair, to hold a routed request until a test releases it.
export const gate = deferred;

