// Exactly once across the two roads: Userpilot's native Heap integration (through the bridge's Heap
// interface in userpilotSettings.integrations_interfaces.heap) and userpilot.on, with the CDN
// snippet and with the npm wrapper; a Heap instance the page gave Userpilot; identity and user
// properties through the interface.
import assert from 'node:assert/strict';
import {
  test, onlyIn, useBrowser, waitForAll, waitForReceived, finalCalls, settle, heapCalls, heapViolations,
  bridgeStats, hostCalls, assertNoPageErrors, assertIdle,
} from './harness.mjs';
import { document, script, userpilotSnippet, userpilotNpm, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

// Both ways a page installs Userpilot, the integration toggled on with extra stand-in settings.
const PATHS = {
  // CDN: the page assigns userpilotSettings after Heap's snippet, handing Userpilot window.heap.
  cdn: (settings) => document(
    bridgeTag({ async: false }), heapSnippet('classic'),
    userpilotSnippet({ settings: { standInNativeHeap: true, ...settings }, heapInterface: 'window.heap' }),
    identify('alice'),
  ),
  // npm: Userpilot.initialize(token, settings) assigns window.userpilotSettings = {...old, ...settings}.
  npm: (settings) => document(
    bridgeTag({ async: false }), heapSnippet('classic'),
    userpilotNpm({ token: 'tok', settings: { standInNativeHeap: true, ...settings } }),
  ),
};

// The interface road's properties for an experience event when it arrives first.
const viaInterface = (call) => ({ method: call.method, args: [call.args[0], { ...call.args[1], type: 'flow' }] });

const VARIANTS = [
  { name: 'native call right after the on handlers', settings: {}, expected: heap.flow7('alice') },
  { name: 'native call 200 ms later', settings: { standInNativeHeapDelay: 200 }, expected: heap.flow7('alice') },
  { name: 'native call before the on handlers', settings: { standInNativeFirst: true }, expected: heap.flow7('alice').map(viaInterface) },
];

async function open(path, settings) {
  const s = await h.open(PATHS[path](settings));
  await waitForAll(s.page);
  return s;
}

async function finish(s, expected, received) {
  await waitForReceived(s.page, received);
  assert.deepStrictEqual(await finalCalls(s.page, expected.length), expected);
  assert.deepStrictEqual(await heapViolations(s.page), []);
  await assertNoPageErrors(s);
  return assertIdle(s.page);
}

// Userpilot's npm wrapper loads its SDK from https://js.userpilot.io itself: only Chromium's request
// routing (playwright) answers that host locally.
const NPM = onlyIn(['chromium'], "the npm wrapper loads Userpilot's SDK from https://js.userpilot.io");

for (const path of Object.keys(PATHS)) {
  const options = path === 'npm' ? NPM : {};
  test(`${path}: the bridge is Userpilot's Heap interface`, options, async () => {
    const s = await open(path, {});
    const r = await s.page.evaluate(() => {
      const ii = window.userpilotSettings.integrations_interfaces;
      return { notHeap: ii.heap !== window.heap, standIn: userpilotStandIn.integrationHeap() === ii.heap, track: typeof ii.heap.track };
    });
    assert.deepStrictEqual(r, { notHeap: true, standIn: true, track: 'function' });
  });

  for (const v of VARIANTS) {
    test(`${path}: started, step, completed with the integration on, ${v.name}: each once`, options, async () => {
      const s = await open(path, v.settings);
      await heap.runFlow7(s.page);
      const st = await finish(s, [heap.identify('alice'), ...v.expected], 6);
      assert.equal(st.received, 6);
      assert.equal(st.forwarded, 3);
      assert.equal(st.duplicates, 3);
      assert.equal(st.dropped, 0);
      assert.equal(st.identifies, 1);
      assert.deepStrictEqual(st.events, {
        'Userpilot Experience (started)': 1, 'Userpilot Experience (step)': 1, 'Userpilot Experience (completed)': 1,
      });
      assert.deepStrictEqual(await hostCalls(s.page), [7], 'host completed handler fires once');
    });
  }

  for (const v of VARIANTS) {
    test(`${path}: completed then dismissed for one experience, ${v.name}: two events, each once`, options, async () => {
      const s = await open(path, v.settings);
      await s.page.evaluate(() => {
        userpilotStandIn.emit('completed', { id: 7, token: 'tok7' });
        userpilotStandIn.emit('dismissed', { id: 7, token: 'tok7' });
      });
      const first = v.settings.standInNativeFirst ? viaInterface : (c) => c;
      const st = await finish(s, [heap.identify('alice'), first(heap.completed(7, 'tok7', 'alice')), first(heap.dismissed(7, 'tok7', 'alice'))], 4);
      assert.equal(st.forwarded, 2);
      assert.equal(st.duplicates, 2);
    });
  }
}

test('two experiences started in one task with the integration on: each absorbs only its own twin', async () => {
  const s = await open('cdn', {});
  await s.page.evaluate(() => {
    userpilotStandIn.emit('started', { id: 7, token: 'tok7' });
    userpilotStandIn.emit('started', { id: 8, token: 'tok8' });
  });
  const st = await finish(s, [heap.identify('alice'), heap.started(7, 'tok7', 'alice'), heap.started(8, 'tok8', 'alice')], 4);
  assert.equal(st.duplicates, 2);
});

test('the same experience restarted in a later task with the integration on is a new occurrence', async () => {
  const s = await open('cdn', {});
  await heap.runFlow7(s.page);
  await waitForReceived(s.page, 6);
  await heap.runFlow7(s.page);
  const st = await finish(s, [heap.identify('alice'), ...heap.flow7('alice'), ...heap.flow7('alice')], 12);
  assert.equal(st.forwarded, 6);
  assert.equal(st.duplicates, 6);
});

test('a native delivery more than 3 s after the on delivery is a separate occurrence (the window is 3 s)', async () => {
  const s = await open('cdn', { standInNativeHeapDelay: 3500 });
  await s.page.evaluate(() => userpilotStandIn.emit('completed', { id: 7, token: 'tok7' }));
  await waitForReceived(s.page, 1);
  await settle(s.page);
  assert.deepStrictEqual(await heapCalls(s.page), [heap.identify('alice'), heap.completed(7, 'tok7', 'alice')], 'nothing more inside the window');
  const st = await finish(s, [heap.identify('alice'), heap.completed(7, 'tok7', 'alice'), viaInterface(heap.completed(7, 'tok7', 'alice'))], 2);
  assert.equal(st.duplicates, 0);
  assert.equal(st.forwarded, 2);
});

// A page that gives Userpilot its own Heap instance (not window.heap): the bridge keeps it.
const MY_HEAP = script(`window.myHeap = { calls: [] };
  ['track', 'identify', 'resetIdentity', 'addUserProperties', 'addEventProperties'].forEach(function (m) {
    myHeap[m] = function () { myHeap.calls.push({ method: m, args: JSON.parse(JSON.stringify(Array.prototype.slice.call(arguments))) }); };
  });`);

test('a Heap instance the page put in integrations_interfaces receives every bridge call; window.heap none', async () => {
  const s = await h.open(document(
    bridgeTag({ async: false }), heapSnippet('classic'), MY_HEAP,
    userpilotSnippet({ settings: { standInNativeHeap: true }, heapInterface: 'window.myHeap' }),
    identify('alice'),
  ));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  await waitForReceived(s.page, 6);
  await s.page.evaluate(() => userpilotStandIn.nativeCall('addUserProperties', { plan: 'pro' }));
  await s.page.evaluate(() => userpilot.anonymous());
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 9, token: 'tok9' }));
  await waitForReceived(s.page, 8);
  await settle(s.page);
  assert.deepStrictEqual(await s.page.evaluate(() => myHeap.calls), [
    heap.identify('alice'), ...heap.flow7('alice'), heap.addUserProperties({ plan: 'pro' }),
    heap.resetIdentity(), heap.started(9, 'tok9'),
  ]);
  assert.deepStrictEqual(await heapCalls(s.page), [], 'window.heap receives nothing');
  assert.equal(await s.page.evaluate(() => userpilotSettings.integrations_interfaces.heap !== myHeap), true);
  const st = await assertIdle(s.page);
  assert.equal(st.forwarded, 4);
  assert.equal(st.duplicates, 4);
  assert.equal(st.resets, 1);
  await assertNoPageErrors(s);
});

// Identity through the interface: the page has no Userpilot user until the integration names one.
async function openAnonymousNative() {
  const s = await h.open(document(
    bridgeTag({ async: false }), heapSnippet('classic'),
    userpilotSnippet({ settings: { standInNativeHeap: true }, heapInterface: 'window.heap' }),
    script('userpilot.anonymous();'),
  ));
  await waitForAll(s.page);
  return s;
}

test('interface identify with a merge-risk id never reaches heap.identify; Heap is reset from the previous user', async () => {
  const s = await openAnonymousNative();
  await s.page.evaluate(() => {
    userpilotStandIn.nativeCall('identify', 'bob');
    userpilotStandIn.nativeTrack('Userpilot Experience (started)', { id: 1, token: 't' });
  });
  await s.page.evaluate(() => {
    userpilotStandIn.nativeCall('identify', 'guest');
    userpilotStandIn.nativeTrack('Userpilot Experience (started)', { id: 2, token: 't' });
  });
  await s.page.evaluate(() => {
    userpilotStandIn.nativeCall('identify', ' Guest ');
    userpilotStandIn.nativeTrack('Userpilot Flow (completed)', { flowId: 2, experienceToken: 't' });
  });
  const st = await finish(s, [
    heap.identify('bob'), heap.started(1, 't', 'bob'), heap.resetIdentity(), heap.started(2, 't'), heap.completed(2, 't'),
  ], 3);
  assert.equal(st.identityRejected, 2);
  assert.equal(st.identifies, 1);
  assert.equal(st.resets, 1);
});

test('userpilot.identify("guest") with the integration on: refused by both roads, never sent', async () => {
  const s = await openAnonymousNative();
  await s.page.evaluate(() => { userpilot.identify('guest'); userpilotStandIn.emit('started', { id: 3, token: 't3' }); });
  const st = await finish(s, [heap.started(3, 't3')], 1);
  assert.equal(st.identityRejected, 2, 'one refusal per road: userpilot.identify and the integration\'s heap.identify');
  assert.equal(st.identifies, 0);
});

test('interface addUserProperties: identify first, values cut to 255, no id keys, booleans as text', async () => {
  const s = await openAnonymousNative();
  await s.page.evaluate(() => {
    userpilotStandIn.nativeCall('identify', 'carol');
    userpilotStandIn.nativeCall('addUserProperties', { plan: 'p'.repeat(300), id: 'x', user_id: 'y', beta: true, seats: 5, company: { name: 'Acme' } });
  });
  await settle(s.page);
  const st = await finish(s, [
    heap.identify('carol'),
    heap.addUserProperties({ plan: 'p'.repeat(255), beta: 'true', seats: 5, 'company.name': 'Acme' }),
  ], 0);
  assert.equal(st.received, 0, 'user properties are not events');
  assert.equal(st.propertyDrops.reserved_key, 2, JSON.stringify(st));
});

test('identify with data and the integration on: identify then addUserProperties, once', async () => {
  const s = await openAnonymousNative();
  await s.page.evaluate(() => userpilot.identify('dave', { plan: 'pro', company: { name: 'Acme' } }));
  await s.page.evaluate(() => userpilotStandIn.emit('started', { id: 4, token: 't4' }));
  const st = await finish(s, [
    heap.identify('dave'), heap.addUserProperties({ plan: 'pro', 'company.name': 'Acme' }), heap.started(4, 't4', 'dave'),
  ], 1);
  assert.equal(st.identifies, 1);
});

test('interface resetIdentity ends the identity; other heap methods are counted, not forwarded', async () => {
  const s = await openAnonymousNative();
  await s.page.evaluate(() => {
    userpilotStandIn.nativeCall('identify', 'erin');
    userpilotStandIn.nativeTrack('Userpilot Checklist (started)', { id: 'cl-1' });
    userpilotStandIn.nativeCall('addEventProperties', { plan: 'pro' });
    userpilotStandIn.nativeCall('addEventProperties', { seats: 2 });
    userpilotStandIn.nativeCall('clearEventProperties');
    userpilotStandIn.nativeCall('resetIdentity');
    userpilotStandIn.nativeCall('resetIdentity');
    userpilotStandIn.nativeTrack('Userpilot Checklist (completed)', { id: 'cl-1' });
  });
  const st = await finish(s, [
    heap.identify('erin'), heap.track('Userpilot Checklist (started)', { checklist_id: 'cl-1' }, 'erin'),
    heap.resetIdentity(), heap.track('Userpilot Checklist (completed)', { checklist_id: 'cl-1' }),
  ], 2);
  assert.deepStrictEqual(st.interfaceIgnored, { addEventProperties: 2, clearEventProperties: 1 });
  assert.equal(st.resets, 1);
  assert.deepStrictEqual(await bridgeStats(s.page), st);
});
