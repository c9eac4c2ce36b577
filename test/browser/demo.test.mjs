// The demo server (examples/demo) end to end: buttons in, Heap table rows and bridge stats out.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, DIST } from './server.mjs';
import { test, LAUNCH, TIMEOUT } from './harness.mjs';

let demo, origin, browser, tmp;

before(async () => {
  // Build, then run the binary itself: `go run` would leave the server running if only go were signalled.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uhb-demo-'));
  const bin = path.join(tmp, 'demo');
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, './examples/demo'], { cwd: ROOT, stdio: 'inherit' });
  demo = spawn(bin, ['-addr', '127.0.0.1:0', '-dist', DIST], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  origin = await new Promise((resolve, reject) => {
    let out = '';
    demo.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/demo: (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve(m[1]);
    });
    demo.once('exit', (code) => reject(new Error(`demo server exited (${code}): ${out}`)));
  });
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo.once('exit', r));
    demo.kill('SIGINT');
    await exited;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('demo: identify, run a flow, see Heap calls and bridge stats', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(origin + '/');
  await page.fill('#user-id', 'alice');
  await page.click('#identify');
  await page.waitForFunction(() => window.userpilotStandIn.loaded && window.UserpilotHeapBridge, null, { timeout: TIMEOUT });
  await page.evaluate(() => UserpilotHeapBridge.ready());
  await page.click('#start');
  await page.click('#next');
  await page.click('#complete');
  await page.waitForFunction(() => document.querySelectorAll('#heap-calls tbody tr').length >= 5, null, { timeout: TIMEOUT });
  const rows = await page.$$eval('#heap-calls tbody tr', (trs) => trs.map((tr) => tr.cells[1].textContent + ' ' + tr.cells[2].textContent));
  assert.equal(rows.length, 5, rows.join('\n'));
  assert.match(rows[0], /^identify "alice"/);
  assert.match(rows[4], /^track "Userpilot Experience \(completed\)"/);
  await page.waitForFunction(() => /"forwarded": 4/.test(document.getElementById('bridge-stats').textContent), null, { timeout: TIMEOUT });
  assert.match(await page.textContent('#host-status'), /fired 1 time\b/);
  assert.deepEqual(errors, []);
  await context.close();
});
