// The driver (driver/) does the same in every engine: what a scenario relies on, checked in the
// engine BRIDGE_ENGINE names.
import assert from 'node:assert/strict';
import { test, useBrowser, openWith, ENGINE, TIMEOUT } from './harness.mjs';
import { document, script } from './pages.mjs';
import { within, poll } from './driver/index.mjs';

const h = useBrowser();

test(`the browser is ${ENGINE} and says its version`, () => {
  assert.equal(h.browser.engine, ENGINE);
  assert.match(h.browser.version, /\d+\.\d+/);
});

test('evaluate passes an argument and returns values as they are, a promise awaited', async () => {
  const s = await h.open(document(script('window.x = 41;')));
  assert.equal(await s.page.evaluate((n) => window.x + n, 1), 42);
  assert.deepEqual(await s.page.evaluate(() => [undefined, null, 'é😀', { a: undefined, b: [1, 2] }]), [undefined, null, 'é😀', { a: undefined, b: [1, 2] }]);
  assert.deepEqual(await s.page.evaluate(() => [NaN, Infinity]), [NaN, Infinity]);
  assert.equal(await s.page.evaluate(([a, b]) => new Promise((r) => setTimeout(() => r(a + b), 300)), ['a', 'b']), 'ab');
  await assert.rejects(s.page.evaluate(() => { throw new Error('thrown in the page'); }), /thrown in the page/);
});

test('a tab shows its page: visible, and animation frames run', async () => {
  const s = await h.open(document(script('window.x = 1;')));
  assert.equal(await s.page.evaluate(() => document.visibilityState), 'visible');
  assert.equal(await s.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r('frame')))), 'frame');
});

test('a slow evaluation does not hold up the next one', async () => {
  const s = await h.open(document(script('window.done = false;')));
  const slow = s.page.evaluate(() => new Promise((r) => { const t = setInterval(() => { if (window.done) { clearInterval(t); r('released'); } }, 10); }));
  await s.page.evaluate(() => { window.done = true; });
  assert.equal(await slow, 'released');
});

test('the page is served with its headers; evaluate and waitForFunction work under a strict CSP', async () => {
  const s = await h.open(document(script("setTimeout(function () { window.later = 7; }, 200); try { eval('1'); window.evalOutcome = 'ran'; } catch (e) { window.evalOutcome = e.name; }")),
    { headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'" } });
  await s.page.waitForFunction((n) => window.later === n, 7, { timeout: TIMEOUT });
  assert.equal(await s.page.evaluate(() => window.evalOutcome), 'EvalError', 'the page itself may not eval');
});

test('console lines of each type and uncaught errors are read', async () => {
  const s = await h.open(document(script(`console.log('a log'); console.info('an info'); console.warn('a warning'); console.error('an error'); console.debug('a debug');
    setTimeout(function () { throw new Error('uncaught here'); }, 0);`)));
  await s.page.waitForFunction(() => document.readyState === 'complete', null, { timeout: TIMEOUT });
  await s.page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  assert.deepEqual(s.console.map((m) => [m.type, m.text]), [['log', 'a log'], ['info', 'an info'], ['warning', 'a warning'], ['error', 'an error'], ['debug', 'a debug']]);
  assert.equal(s.errors.length, 1);
  assert.match(String(s.errors[0]), /uncaught here/);
});

test('click, fill and textContent', async () => {
  const s = await h.open(document('<input id="name"><button id="go" onclick="document.getElementById(\'out\').textContent = \'hi \' + document.getElementById(\'name\').value">go</button><p id="out"></p>'));
  await s.page.fill('#name', 'alice');
  await s.page.click('#go');
  assert.equal(await s.page.textContent('#out'), 'hi alice');
});

test('held requests wait for release; blocked ones fail; goto navigates', async () => {
  const s = await openWith(h, document('<script async src="/cdn/js.userpilot.io/sdk/latest.js" onload="window.shimLoaded = true"></script>', script('window.parsed = true;'),
    '<script src="/cdn/cdn.heapanalytics.com/js/heap-1.js" onerror="window.heapFailed = true"></script>'), { hold: ['userpilotShim'], block: ['heap'] });
  await s.page.waitForFunction(() => window.parsed === true && window.heapFailed === true, null, { timeout: TIMEOUT });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await s.page.evaluate(() => window.shimLoaded), undefined, 'held');
  s.release('userpilotShim');
  await s.page.waitForFunction(() => window.shimLoaded === true, null, { timeout: TIMEOUT });
  assert.ok(s.requests.some((u) => u.endsWith('/sdk/latest.js')));
  const next = h.server.page(document(script('window.second = true;')));
  await s.page.goto(next);
  assert.equal(await s.page.evaluate(() => window.second), true);
});

test('a second tab runs its own page; closing it leaves the first working', async () => {
  const s = await h.open(document(script("localStorage.setItem('k', 'v'); window.which = 'first';")));
  const other = await s.page.newTab();
  await other.goto(h.server.page(document(script("window.which = 'second';"))));
  assert.equal(await other.evaluate(() => window.which), 'second');
  assert.equal(await s.page.evaluate(() => window.which), 'first');
  await other.close();
  assert.equal(await s.page.evaluate(() => localStorage.getItem('k') + ' ' + window.which), 'v first');
});

test('a new test starts without what the last one stored', async () => {
  const s = await h.open(document(script('window.y = 1;')));
  assert.equal(await s.page.evaluate(() => localStorage.getItem('k')), null);
});

test('a command that never answers fails at its deadline instead of hanging the run', async () => {
  await assert.rejects(within(new Promise(() => {}), 50, 'evaluate(a page that never answers)'),
    /did not answer within 50 ms: evaluate\(a page that never answers\)/);
  await assert.rejects(poll(() => new Promise(() => {}), { timeout: 50, what: 'a check that never settles' }),
    /a check that never settles/);
  assert.equal(await within(Promise.resolve(7), 50, 'a quick answer'), 7);
});
