// Browser harness: one Chromium per test file, a fresh context per test, CDN routes to the stand-ins.
import { test as nodeTest, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, STANDINS } from './server.mjs';

export const TIMEOUT = 30_000;

// test is node:test's test with a ceiling, so a hung page fails one test instead of the whole run.
export const test = (name, fn) => nodeTest(name, { timeout: 4 * TIMEOUT }, fn);
export const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

// CDN URLs answered locally; `gate` names what a test may hold back with {hold: [...]}.
const ROUTES = [
  { match: (u) => u.hostname === 'js.userpilot.io' && u.pathname === '/sdk/latest.js', file: 'userpilot/latest.js', gate: 'userpilotShim' },
  { match: (u) => u.hostname === 'js.userpilot.io' && /^\/sdk\/version\/[^/]+\/app\.js$/.test(u.pathname), file: 'userpilot/app.js', gate: 'userpilotApp' },
  { match: (u) => u.hostname === 'cdn.heapanalytics.com' && /^\/js\/heap-[^/]+\.js$/.test(u.pathname), file: 'heap/heap-sdk.js', gate: 'heap' },
  { match: (u) => u.hostname === 'cdn.us.heap-api.com' && /^\/config\/[^/]+\/heap_config\.js$/.test(u.pathname), file: 'heap/heap-sdk.js', gate: 'heap' },
];

// useBrowser wires node:test hooks; call it once at the top of a test file.
export function useBrowser() {
  const h = { server: null, browser: null, sessions: [] };
  before(async () => {
    h.server = await startServer();
    h.browser = await chromium.launch(LAUNCH);
  });
  afterEach(async () => {
    await Promise.all(h.sessions.splice(0).map((s) => s.context.close().catch(() => {})));
  });
  after(async () => {
    await h.browser?.close();
    await h.server?.close();
  });
  h.url = (p) => h.server.url(p);
  // open serves `html` as a new page (with optional response headers) and navigates a fresh context to it.
  h.open = async (html, { headers, hold = [] } = {}) => {
    const s = await newSession(h.browser, hold);
    h.sessions.push(s);
    await s.page.goto(h.server.page(html, { headers }), { waitUntil: 'domcontentloaded' });
    return s;
  };
  // visit navigates a fresh context to any URL (an app another server serves), with the CDN routes.
  h.visit = async (url, { hold = [] } = {}) => {
    const s = await newSession(h.browser, hold);
    h.sessions.push(s);
    await s.page.goto(url, { waitUntil: 'domcontentloaded' });
    return s;
  };
  return h;
}

async function newSession(browser, hold) {
  const context = await browser.newContext();
  const gates = {};
  for (const name of hold) gates[name] = deferred();
  const requests = [];
  // No internet: anything not on 127.0.0.1 and not a known CDN is refused.
  await context.route((u) => u.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  for (const r of ROUTES) {
    await context.route((u) => r.match(u), async (route) => {
      requests.push(route.request().url());
      if (gates[r.gate]) await gates[r.gate].promise;
      const body = await fs.readFile(path.join(STANDINS, r.file), 'utf8');
      await route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body });
    });
  }
  const page = await context.newPage();
  const consoleMessages = [];
  const pageErrors = [];
  const loaded = [];
  page.on('request', (r) => loaded.push(r.url()));
  page.on('console', (m) => consoleMessages.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => pageErrors.push(e));
  return {
    context, page, requests, loaded, console: consoleMessages, errors: pageErrors,
    release: (name) => gates[name]?.resolve(),
  };
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

// openWith is h.open with more control: setup(context) runs before navigation (to route or delay
// requests), and query is appended to the page URL (e.g. '?userpilot-heap-bridge-record').
export async function openWith(h, html, { headers, hold = [], setup, query = '' } = {}) {
  const s = await newSession(h.browser, hold);
  h.sessions.push(s);
  if (setup) await setup(s.context, s);
  await s.page.goto(h.server.page(html, { headers }) + query, { waitUntil: 'domcontentloaded' });
  return s;
}

// bridgeConsole returns the bridge's own console lines of one type ('warning', 'debug', ...).
export const bridgeConsole = (s, type = 'warning') =>
  s.console.filter((m) => m.type === type && m.text.startsWith('userpilot-heap-bridge: ')).map((m) => m.text);

// wasmRequests lists the .wasm URLs the page requested.
export const wasmRequests = (s) => s.loaded.filter((u) => new URL(u).pathname.endsWith('.wasm'));

// gate returns a {promise, resolve} pair, to hold a routed request until a test releases it.
export const gate = deferred;

