// An end-to-end test a front-end team can copy: serve the app, open it with the bridge recording
// (?userpilot-heap-bridge-record), go through a Userpilot flow, and assert what reached Heap.
// Run: node --test examples/headless/playwright/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

// URL prefix -> folder. The stand-ins' own URLs (Userpilot's app.js, Heap's SDK) map to their files.
const FOLDERS = [
  ['/dist/', path.join(repo, 'dist')],
  ['/standins/', path.join(repo, 'examples/demo/standins')],
  ['/app/', path.join(repo, 'examples/headless/app')],
];
const ALIASES = [
  [/^\/standins\/userpilot\/version\/[^/]+\/app\.js$/, '/standins/userpilot/app.js'],
  [/^\/heap-cdn\/js\/heap-[^/]+\.js$/, '/standins/heap/heap-sdk.js'],
];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

function serve() {
  return http.createServer(async (req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p.endsWith('/')) p += 'index.html';
    p = ALIASES.find(([re]) => re.test(p))?.[1] ?? p;
    const [prefix, dir] = FOLDERS.find(([pre]) => p.startsWith(pre)) ?? [];
    const file = dir && path.resolve(dir, '.' + p.slice(prefix.length - 1));
    try {
      if (!file || !file.startsWith(dir + path.sep)) throw new Error('outside');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
}

let server, browser, origin;
before(async () => {
  server = serve();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('the onboarding tour reaches Heap as Userpilot events for the signed-in user', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/app/?userpilot-heap-bridge-record`);
    // The bridge must be running; with the stand-in, also wait for Userpilot's SDK to load.
    await page.evaluate(() => window.UserpilotHeapBridge.ready());
    await page.waitForFunction(() => window.userpilotStandIn && window.userpilotStandIn.loaded);

    await page.click('#start-tour');
    await page.click('#next');
    await page.click('#next');
    await page.evaluate(() => window.UserpilotHeapBridge.whenForwarded('Userpilot Experience (completed)', 5000));

    const calls = await page.evaluate(() => window.UserpilotHeapBridge.history().map(({ method, args }) => ({ method, args })));
    const props = (extra) => ({ experience_id: 'onboarding', experience_token: 'tok-onboarding', ...extra, userpilot_user_id: 'user-42' });
    assert.deepEqual(calls, [
      { method: 'identify', args: ['user-42'] },
      { method: 'track', args: ['Userpilot Experience (started)', props()] },
      { method: 'track', args: ['Userpilot Experience (step)', props({ step: 1, total_steps: 2 })] },
      { method: 'track', args: ['Userpilot Experience (step)', props({ step: 2, total_steps: 2 })] },
      { method: 'track', args: ['Userpilot Experience (completed)', props()] },
    ]);
  } finally {
    await context.close();
  }
});
