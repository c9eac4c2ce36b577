// Firefox ESR through puppeteer-core over WebDriver BiDi; no geckodriver.
import puppeteer from 'puppeteer-core';
import { consoleType, poll } from './index.mjs';

export async function launch() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
    headless: true,
    protocolTimeout: 60_000,
  });
  return {
    engine: 'firefox',
    version: await browser.version(),
    pageScript: '',
    raw: browser,
    async newTab() {
      const context = await browser.createBrowserContext();
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
    // Polled from here rather than in the page, so a navigation in between is retried, not fatal.
    waitForFunction: (fn, arg, { timeout = 30_000 } = {}) =>
      poll(() => page.evaluate(fn, arg), { timeout, what: String(fn).slice(0, 120) }).then(() => undefined),
    click: (selector) => page.click(selector),
    fill: async (selector, text) => { await page.$eval(selector, (el) => { el.value = ''; }); await page.type(selector, text); },
    textContent: (selector) => page.$eval(selector, (el) => el.textContent),
    newTab: async () => tab(context, await context.newPage(), false),
    close: () => (ownsContext ? context.close() : page.close()).catch(() => {}),
  };
  page.on('console', (m) => t.console.push({ type: consoleType(m.type()), text: m.text() }));
  page.on('pageerror', (e) => t.errors.push(e));
  return t;
}
