// Chromium through playwright-core (Chrome DevTools Protocol), Debian's /usr/bin/chromium.
import { chromium } from 'playwright-core';
import { consoleType } from './index.mjs';

export const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

export async function launch() {
  const browser = await chromium.launch(LAUNCH);
  return {
    engine: 'chromium',
    version: browser.version(),
    pageScript: '',
    raw: browser,
    async newTab() {
      const context = await browser.newContext();
      // No internet: a request that leaves 127.0.0.1 fails as a blocked one does.
      await context.route((u) => u.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
      return tab(context, await context.newPage(), true);
    },
    close: () => browser.close(),
  };
}

function tab(context, page, ownsContext) {
  const t = {
    raw: page,
    context,
    console: [],
    errors: [],
    goto: (url) => page.goto(url, { waitUntil: 'domcontentloaded' }).then(() => undefined),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitForFunction: (fn, arg, { timeout = 30_000 } = {}) => page.waitForFunction(fn, arg, { timeout }).then(() => undefined),
    click: (selector) => page.click(selector),
    fill: (selector, text) => page.fill(selector, text),
    textContent: (selector) => page.textContent(selector),
    newTab: async () => tab(context, await context.newPage(), false),
    close: () => (ownsContext ? context.close() : page.close()).catch(() => {}),
  };
  page.on('console', (m) => t.console.push({ type: consoleType(m.type()), text: m.text() }));
  page.on('pageerror', (e) => t.errors.push(e));
  return t;
}
