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
  return adapter.launch();
}

// consoleType gives the console's method names (warn) the names the tests use (warning).
export const consoleType = (t) => (t === 'warn' ? 'warning' : t);

// poll calls check until it returns a truthy value, ignoring errors of a page between documents.
export async function poll(check, { timeout = 30_000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
