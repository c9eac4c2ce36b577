// The browser driver every scenario uses, so a scenario is written once and runs in each engine.
// BRIDGE_ENGINE picks the engine: chromium (default), firefox or webkit.
//
// launch(engine) resolves to a Browser:
//   engine, version        'chromium' | 'firefox' | 'webkit', and the browser's own version string
//   pageScript             HTML to put first in every served page, or '' (WebKit: console capture)
//   newTab()               a tab in a fresh browsing context (its own storage where the engine allows)
//   close()
// A Tab:
//   goto(url)              navigate; resolves once the document has been parsed (DOMContentLoaded)
//   evaluate(fn, arg)      run fn(arg) in the page; resolves to its (awaited) result, or throws
//   waitForFunction(fn, arg, { timeout })   poll fn(arg) in the page until it is truthy
//   click(selector), fill(selector, text), textContent(selector)
//   console                live array of { type, text }, type 'log' | 'debug' | 'info' | 'warning' | 'error'
//   errors                 live array of uncaught page errors
//   newTab()               another tab in the same browsing context (same storage)
//   close()
//   raw, context           the engine library's page and context (Chromium: playwright's), for Chromium-only tests

export const ENGINES = ['chromium', 'firefox', 'webkit'];
export const ENGINE = process.env.BRIDGE_ENGINE || 'chromium';

export async function launch(engine = ENGINE) {
  if (!ENGINES.includes(engine)) throw new Error(`BRIDGE_ENGINE=${engine}: expected one of ${ENGINES.join(', ')}`);
  const adapter = await import(`./${engine}.mjs`);
  return bounded(await within(adapter.launch(), STEP, `${engine} to start`));
}

// STEP is the longest any one driver command may take. No engine library bounds every command
// (playwright's evaluate waits forever for a page that never answers), and one hung command must
// fail its test, never hang the run: every command is raced against a deadline here, once.
export const STEP = 90_000;

// within resolves or rejects as promise does, or rejects after ms naming what it waited for.
export function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the browser did not answer within ${ms} ms: ${what}`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// bounded puts a deadline on each command of a Browser and of every Tab it opens. A close that
// does not finish in time is given up on (it must not fail a test that passed), and said so.
function bounded(browser) {
  const close = (target, what) => {
    const original = target.close.bind(target);
    target.close = () => within(original(), 30_000, what).catch((e) => console.error(`driver: ${e.message}`));
  };
  const tab = (t) => {
    for (const name of ['goto', 'evaluate', 'click', 'fill', 'textContent']) {
      const original = t[name].bind(t);
      t[name] = (...args) => within(original(...args), STEP, `${name}(${String(args[0]).slice(0, 80)})`);
    }
    const waitForFunction = t.waitForFunction.bind(t);
    t.waitForFunction = (fn, arg, options = {}) =>
      within(waitForFunction(fn, arg, options), (options.timeout ?? 30_000) + STEP, `waitForFunction(${String(fn).slice(0, 80)})`);
    const newTab = t.newTab.bind(t);
    t.newTab = async () => tab(await within(newTab(), STEP, 'a new tab'));
    close(t, 'closing a tab');
    return t;
  };
  const newTab = browser.newTab.bind(browser);
  browser.newTab = async () => tab(await within(newTab(), STEP, 'a new tab'));
  close(browser, 'closing the browser');
  return browser;
}

// consoleType gives the console's method names (warn) the names the tests use (warning).
export const consoleType = (t) => (t === 'warn' ? 'warning' : t);

// poll calls check until it returns a truthy value, ignoring errors of a page between documents.
// A check that has not settled after 15 s is given up and asked again, as one that failed: an
// evaluation sent as a document was replaced can wait forever for a context that never comes.
export async function poll(check, { timeout = 30_000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await within(Promise.resolve().then(check), Math.min(Math.max(deadline - Date.now(), 0) + 1_000, 15_000), what);
      if (v) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
