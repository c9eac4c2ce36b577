// Checks of the Userpilot stand-in's native Heap integration itself, without the bridge.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForUserpilot, waitForHeap, finalCalls, settle, heapCalls, assertNoPageErrors } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet } from './pages.mjs';

const h = useBrowser();

// A recording Heap handed to Userpilot, and a log of the order in which on handlers and Heap run.
const REC = script(`window.log = []; window.rec = {};
  ['track', 'identify', 'addUserProperties', 'resetIdentity', 'addEventProperties'].forEach(function (m) {
    rec[m] = function () { log.push(['heap.' + m].concat(JSON.parse(JSON.stringify(Array.prototype.slice.call(arguments))))); };
  });`);
const ON = script("['started', 'step', 'checklist_completed'].forEach(function (n) { userpilot.on(n, function (e) { log.push(['on ' + n, e && e.id]); }); });");

async function open(settings, heapInterface = 'window.rec') {
  const s = await h.open(document(REC, heapSnippet('classic'), userpilotSnippet({ host: false, settings, heapInterface: heapInterface ?? undefined }), ON,
    script("userpilot.identify('alice', { plan: 'pro' });")));
  await waitForUserpilot(s.page);
  await waitForHeap(s.page);
  return s;
}
const log = (page) => page.evaluate(() => window.log);

test('native integration is off by default: nothing reaches any Heap', async () => {
  const s = await open({});
  await s.page.evaluate(() => userpilotStandIn.startFlow(1, 't1', 2));
  await settle(s.page);
  assert.deepStrictEqual(await log(s.page), [['on started', 1], ['on step', 1]]);
  assert.deepStrictEqual(await heapCalls(s.page), []);
});

test('native on: identify + user properties, then each experience event after the on handlers', async () => {
  const s = await open({ standInNativeHeap: true });
  await s.page.evaluate(() => { userpilotStandIn.startFlow(1, 't1', 2); userpilotStandIn.emit('checklist_completed', { id: 'c' }); });
  assert.deepStrictEqual(await log(s.page), [
    ['heap.identify', 'alice'], ['heap.addUserProperties', { plan: 'pro' }],
    ['on started', 1], ['heap.track', 'Userpilot Experience (started)', { id: 1, token: 't1', type: 'flow' }],
    ['on step', 1], ['heap.track', 'Userpilot Experience (step)', { id: 1, token: 't1', type: 'flow', step: 1, total_steps: 2 }],
    ['on checklist_completed', 'c'],
  ]);
  assert.deepStrictEqual(await heapCalls(s.page), [], 'window.heap is not the integration\'s Heap here');
  await assertNoPageErrors(s);
});

test('native first: the Heap call comes before the on handlers', async () => {
  const s = await open({ standInNativeHeap: true, standInNativeFirst: true });
  await s.page.evaluate(() => { log.length = 0; userpilotStandIn.emit('started', { id: 2, token: 't2' }); });
  assert.deepStrictEqual(await log(s.page), [['heap.track', 'Userpilot Experience (started)', { id: 2, token: 't2', type: 'flow' }], ['on started', 2]]);
});

test('native delay: the Heap call comes in a later task', async () => {
  const s = await open({ standInNativeHeap: true, standInNativeHeapDelay: 100 });
  const sync = await s.page.evaluate(() => { log.length = 0; userpilotStandIn.emit('started', { id: 3, token: 't3' }); return log.slice(); });
  assert.deepStrictEqual(sync, [['on started', 3]]);
  await s.page.waitForFunction(() => log.length === 2);
  assert.deepStrictEqual(await log(s.page), [['on started', 3], ['heap.track', 'Userpilot Experience (started)', { id: 3, token: 't3', type: 'flow' }]]);
});

test('without integrations_interfaces the integration falls back to window.heap; controls call it', async () => {
  const s = await open({ standInNativeHeap: true }, null);
  await s.page.evaluate(() => {
    userpilotStandIn.emit('completed', { id: 4, token: 't4' });
    userpilotStandIn.checklist('started', { id: 'cl' });
    userpilotStandIn.nps('score', { id: 'n', score: 9 });
    userpilotStandIn.form({ id: 'f' });
    userpilotStandIn.survey({ id: 's' });
    userpilotStandIn.nativeTrack('X', { a: 1 });
    userpilotStandIn.nativeCall('addEventProperties', { b: 2 });
  });
  assert.deepStrictEqual(await finalCalls(s.page, 9), [
    { method: 'identify', args: ['alice'] }, { method: 'addUserProperties', args: [{ plan: 'pro' }] },
    { method: 'track', args: ['Userpilot Experience (completed)', { id: 4, token: 't4', type: 'flow' }] },
    { method: 'track', args: ['Userpilot Checklist (started)', { id: 'cl' }] },
    { method: 'track', args: ['Userpilot NPS (score)', { id: 'n', score: 9 }] },
    { method: 'track', args: ['Form Submissions', { id: 'f' }] },
    { method: 'track', args: ['Userpilot Survey (submitted)', { id: 's' }] },
    { method: 'track', args: ['X', { a: 1 }] },
    { method: 'addEventProperties', args: [{ b: 2 }] },
  ]);
  await assertNoPageErrors(s);
});
