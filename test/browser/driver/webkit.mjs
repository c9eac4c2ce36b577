// WebKitGTK's MiniBrowser through WebKitWebDriver (classic WebDriver) with selenium-webdriver.
// Classic WebDriver has no console events, so each served page carries a small script first
// (pageScript) that reports console calls and uncaught errors to a collector here with a
// synchronous request: a message is recorded before the console call returns.
import http from 'node:http';
import net from 'node:net';
import wd from 'selenium-webdriver';
import remote from 'selenium-webdriver/remote/index.js';
import { consoleType, poll } from './index.mjs';

const DRIVER = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export async function launch() {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    throw new Error('WebKit needs a display: run the tests under xvfb-run -a (make test-browser does)');
  }
  const tabs = []; // open tabs, newest last; console messages go to the newest
  const collector = await startCollector((m) => {
    const t = tabs[tabs.length - 1];
    if (!t) return;
    if (m.error !== undefined) t.errors.push(new Error(m.error));
    else t.console.push({ type: consoleType(m.type), text: m.text });
  });

  const port = await freePort();
  const service = new remote.DriverService(DRIVER, { port, hostname: '127.0.0.1', args: ['--host=127.0.0.1', `--port=${port}`] });
  const url = await service.start();
  const caps = new wd.Capabilities({
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    // 'none': get() returns at once; goto waits for the document itself. A page whose scripts are
    // held back by a test would otherwise never finish loading.
    pageLoadStrategy: 'none',
  });
  const driver = await new wd.Builder().withCapabilities(caps).usingServer(url).build();
  await driver.manage().setTimeouts({ script: 60_000 });
  const version = (await driver.getCapabilities()).get('browserVersion');
  const home = await driver.getWindowHandle(); // kept open: closing the last window ends the session

  // One WebDriver session drives one window at a time: every command runs alone, in its window.
  let chain = Promise.resolve();
  let current = home;
  const inWindow = (handle, fn) => {
    const run = chain.then(async () => {
      if (current !== handle) { await driver.switchTo().window(handle); current = handle; }
      return fn();
    });
    chain = run.catch(() => {});
    return run;
  };

  let nextId = 0;
  // ownsStorage: a tab from browser.newTab() stands for a fresh context; one from tab.newTab() shares it.
  async function newTab(ownsStorage = true) {
    const handle = await inWindow(current, async () => {
      await driver.switchTo().newWindow('tab');
      current = await driver.getWindowHandle();
      return current;
    });
    const evaluate = async (fn, arg) => {
      const id = ++nextId;
      let r = await inWindow(handle, () => driver.executeScript(startScript(String(fn)), id, arg === undefined ? null : arg));
      if (r && r.pending) {
        r = await poll(() => inWindow(handle, () => driver.executeScript(TAKE_RESULT, id)),
          { timeout: 120_000, interval: 10, what: 'an evaluation in the page' });
      }
      if (r.gone) throw new Error('the page navigated away during the evaluation');
      if (r.error !== undefined) throw new Error(`evaluation failed in the page: ${r.error}`);
      return decode(r.ok);
    };
    const t = {
      raw: driver,
      context: null,
      console: [],
      errors: [],
      async goto(target) {
        await inWindow(handle, () => driver.get(target));
        const want = target === 'about:blank' ? target : new URL(target).href;
        await poll(async () => (await evaluate(() => document.readyState !== 'loading' && location.href)) === want, { what: `${target} to load` });
      },
      evaluate,
      waitForFunction: (fn, arg, { timeout = 30_000 } = {}) =>
        poll(() => evaluate(fn, arg), { timeout, what: String(fn).slice(0, 120) }).then(() => undefined),
      click: (selector) => inWindow(handle, async () => (await driver.findElement(wd.By.css(selector))).click()),
      fill: (selector, text) => inWindow(handle, async () => {
        const el = await driver.findElement(wd.By.css(selector));
        await el.clear();
        await el.sendKeys(text);
      }),
      textContent: (selector) => evaluate((s) => document.querySelector(s).textContent, selector),
      newTab: () => newTab(false),
      async close() {
        const at = tabs.indexOf(t);
        if (at < 0) return;
        tabs.splice(at, 1);
        await inWindow(handle, async () => {
          // One session shares storage between tabs: what a test stored goes with its tab.
          if (ownsStorage) await driver.executeScript('try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}').catch(() => {});
          await driver.close();
          await driver.switchTo().window(home);
          current = home;
        }).catch(() => {});
      },
    };
    tabs.push(t);
    return t;
  }

  return {
    engine: 'webkit',
    version,
    pageScript: captureScript(collector.url),
    raw: driver,
    newTab: () => newTab(true),
    async close() {
      await driver.quit().catch(() => {});
      await service.kill();
      await collector.close();
    },
  };
}

// startScript runs fn(arg) in the page. A result that is not a promise comes back at once; a
// promise's is stored in the page and taken later, so a slow promise never blocks other commands.
function startScript(src) {
  return `var id = arguments[0], store = window.__driverResults || (window.__driverResults = {});
${ENCODE}
try {
  var r = (${src})(arguments[1]);
  if (r && typeof r.then === 'function') {
    r.then(function (v) { store[id] = { ok: encode(v) }; }, function (e) { store[id] = { error: described(e) }; });
    return { pending: true };
  }
  return { ok: encode(r) };
} catch (e) { return { error: described(e) }; }
function described(x) { return x instanceof Error ? String(x) + (x.stack ? '\\n' + x.stack : '') : String(x); }`;
}

const TAKE_RESULT = `var s = window.__driverResults;
if (!s) return { gone: true };
var r = s[arguments[0]];
if (r) delete s[arguments[0]];
return r || null;`;

// The page's values cross as JSON text with undefined and non-finite numbers marked, as
// playwright's evaluate keeps them.
const ENCODE = `function encode(v) {
  return JSON.stringify({ v: v }, function (k, x) {
    if (x === undefined) return { $undefined: 1 };
    if (typeof x === 'number' && !isFinite(x)) return { $number: String(x) };
    if (typeof x === 'bigint') return { $number: String(x) };
    return x;
  });
}`;

function decode(text) {
  const revive = (x) => {
    if (Array.isArray(x)) return x.map(revive);
    if (!x || typeof x !== 'object') return x;
    const keys = Object.keys(x);
    if (keys.length === 1 && keys[0] === '$undefined') return undefined;
    if (keys.length === 1 && keys[0] === '$number') return Number(x.$number);
    return Object.fromEntries(keys.map((k) => [k, revive(x[k])]));
  };
  return revive(JSON.parse(text)).v;
}

function captureScript(url) {
  return `<script>(function () {
  var url = ${JSON.stringify(url)};
  function send(m) { try { var x = new XMLHttpRequest(); x.open('POST', url, false); x.send(JSON.stringify(m)); } catch (e) {} }
  function text(v) { if (typeof v === 'string') return v; try { return v instanceof Error ? String(v) : JSON.stringify(v); } catch (e) { return String(v); } }
  ['log', 'debug', 'info', 'warn', 'error'].forEach(function (type) {
    var original = console[type];
    console[type] = function () {
      send({ type: type, text: Array.prototype.map.call(arguments, text).join(' ') });
      return original.apply(console, arguments);
    };
  });
  function described(x) { return x instanceof Error ? String(x) + (x.stack ? '\\n' + x.stack : '') : String(x); }
  addEventListener('error', function (e) { send({ error: e.error !== undefined ? described(e.error) : e.message }); });
  addEventListener('unhandledrejection', function (e) { send({ error: 'Unhandled rejection: ' + described(e.reason) }); });
})();</script>`;
}

async function startCollector(onMessage) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      try { onMessage(JSON.parse(body)); } catch { /* not a message */ }
      res.writeHead(204, { 'access-control-allow-origin': '*' });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/console`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
