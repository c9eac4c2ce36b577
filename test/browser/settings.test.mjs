// Settings: every key with a valid value changes exactly the Heap calls it promises, every wrong
// key or value gets exactly one console warning naming it, and configure() before and after start.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, useBrowser, waitForAll, waitForUserpilot, waitForBridge, finalCalls, settle, heapCalls, bridgeStats, bridgeConsole, wasmRequests, assertNoPageErrors, assertIdle } from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify, script } from './pages.mjs';
import { DIST } from './server.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();
const manifest = JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));
const warning = (text) => `userpilot-heap-bridge: ${text}`;

// page is the README's page (bridge first, without async) with the given settings and extra HTML
// after the snippets; open serves it and waits until the bridge and both stand-ins run.
const page = (settings, ...extra) =>
  document(bridgeTag({ settings, async: false }), userpilotSnippet(), heapSnippet('classic'), ...extra);
async function open(settings, ...extra) {
  const s = await h.open(page(settings, ...extra));
  await waitForAll(s.page);
  return s;
}
const emit = (page, name, payload) => page.evaluate(([n, p]) => userpilotStandIn.emit(n, p), [name, payload]);

test('events.allow with a wildcard keeps only matching events; the rest count as filtered', async () => {
  const s = await open({ events: { allow: ['Userpilot Experience (st*)'] } }, identify('alice'));
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 3), [heap.identify('alice'), ...heap.flow7('alice').slice(0, 2)]);
  const st = await assertIdle(s.page);
  assert.deepEqual(st.dropReasons, { filtered: 1 });
  assert.deepEqual(bridgeConsole(s), [], 'a deliberate filter is counted, not warned about');
});

test('events.deny with a wildcard drops matching events, also after an allow', async () => {
  const s = await open({ events: { allow: ['Userpilot Experience (*)'], deny: ['*(step)'] } }, identify('alice'));
  await heap.runFlow7(s.page);
  const [started, , completed] = heap.flow7('alice');
  assert.deepEqual(await finalCalls(s.page, 3), [heap.identify('alice'), started, completed]);
  assert.deepEqual((await bridgeStats(s.page)).dropReasons, { filtered: 1 });
  assert.deepEqual(bridgeConsole(s), [], 'a deliberate filter is counted, not warned about');
});

test('rename sends a canonical event under the custom name', async () => {
  const s = await open({ rename: { 'Userpilot Experience (completed)': 'Onboarding finished' } }, identify('alice'));
  await heap.runFlow7(s.page);
  const [started, step] = heap.flow7('alice');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), started, step,
    heap.track('Onboarding finished', { experience_id: 7, experience_token: 'tok7' }, 'alice')]);
  assert.deepEqual(bridgeConsole(s), []);
});

test('properties.drop removes keys (and keys under a flattened object), mask sends "***"', async () => {
  const s = await open({ properties: { drop: ['experience_token', 'secret'], mask: ['meta'] } }, identify('alice'));
  await emit(s.page, 'started', { id: 9, token: 'tok9', secret: 's', meta: { a: 1, b: 'x' }, metadata: 'kept' });
  assert.deepEqual(await finalCalls(s.page, 2), [heap.identify('alice'),
    heap.track('Userpilot Experience (started)', { experience_id: 9, 'meta.a': '***', 'meta.b': '***', metadata: 'kept' }, 'alice')]);
  assert.deepEqual((await bridgeStats(s.page)).propertyDrops, { by_settings: 2 });
  assert.deepEqual(bridgeConsole(s), []);
});

test('userProperties follow the owed identify, at once when Heap holds the user; cut to 255, booleans as text', async () => {
  const s = await open({ userProperties: ['plan', 'beta', 'long'] },
    script(`userpilot.identify('alice', {plan: 'pro', beta: true, long: 'x'.repeat(300), secret: 's'});`));
  await heap.runFlow7(s.page);
  const alice = [heap.identify('alice'), heap.addUserProperties({ plan: 'pro', beta: 'true', long: 'x'.repeat(255) }), ...heap.flow7('alice')];
  assert.deepEqual(await finalCalls(s.page, 5), alice);

  // Heap already holds alice: her new properties go out without waiting for an event.
  await s.page.evaluate(() => userpilot.identify('alice', { plan: 'enterprise' }));
  const more = [...alice, heap.addUserProperties({ plan: 'enterprise' })];
  assert.deepEqual(await finalCalls(s.page, 6), more);

  // A new user: the properties wait for the identify owed before bob's first event.
  await s.page.evaluate(() => userpilot.identify('bob', { plan: 'free', beta: false }));
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), more);
  await emit(s.page, 'started', { id: 8, token: 'tok8' });
  assert.deepEqual(await finalCalls(s.page, 9), [...more, heap.identify('bob'),
    heap.addUserProperties({ plan: 'free', beta: 'false' }), heap.started(8, 'tok8', 'bob')]);
  assert.deepEqual(bridgeConsole(s), []);
});

test('without userProperties, identify properties are not sent', async () => {
  const s = await open(undefined, script(`userpilot.identify('alice', {plan: 'pro'});`));
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
});

test('identity "off": no identify, resetIdentity or user properties; events still carry the user id', async () => {
  const s = await open({ identity: 'off', userProperties: ['plan'] }, script(`userpilot.identify('alice', {plan: 'pro'});`));
  await heap.runFlow7(s.page);
  await s.page.evaluate(() => { userpilot.anonymous(); userpilotStandIn.emit('started', { id: 8, token: 'tok8' }); });
  assert.deepEqual(await finalCalls(s.page, 4), [...heap.flow7('alice'), heap.started(8, 'tok8')]);
  const st = await bridgeStats(s.page);
  assert.equal(st.identifies + st.resets, 0);
  assert.deepEqual(bridgeConsole(s), []);
});

test('debug logs "received" and "forwarded" for each event', async () => {
  const s = await open({ debug: true }, identify('alice'));
  await emit(s.page, 'started', { id: 7, token: 'tok7' });
  await finalCalls(s.page, 2);
  assert.deepEqual(bridgeConsole(s, 'debug'), [
    'userpilot-heap-bridge: received "started" by on as "Userpilot Experience (started)"',
    'userpilot-heap-bridge: forwarded "Userpilot Experience (started)"',
  ]);
});

test('without debug nothing is logged per event', async () => {
  const s = await open({}, identify('alice'));
  await heap.runFlow7(s.page);
  await finalCalls(s.page, 4);
  assert.deepEqual(s.console.filter((m) => m.text.startsWith('userpilot-heap-bridge: ')), []);
});

test('wasmUrl fetches the module from the given URL', async () => {
  const s = await open({ wasmUrl: `/dist/${manifest.module}` }, identify('alice'));
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(wasmRequests(s), [h.url(`/dist/${manifest.module}`)]);
  assert.deepEqual(bridgeConsole(s), []);
});

// Each wrong setting: one warning naming it, and the bridge runs on the defaults
// (identify, flow7, module next to the loader).
const ALLOWED = 'consent, debug, events, extraEvents, identity, load, persist, properties, record, relayAfter, relaySignature, relayUrl, rename, thread, toUserpilot, userProperties, wasmUrl, workerUrl';
const WRONG = [
  ['unknown key', { colour: 'red' }, `unknown setting "colour" ignored; allowed settings are ${ALLOWED}`],
  ['unknown key near a known one', { wasmURL: '/broken/404.wasm' }, `unknown setting "wasmURL" ignored (did you mean "wasmUrl"?); allowed settings are ${ALLOWED}`],
  ['a string instead of an object', 'debug', 'window.userpilotHeapBridgeSettings is a string; expected an object, using the defaults'],
  ['an array instead of an object', ['debug'], 'window.userpilotHeapBridgeSettings is an array; expected an object, using the defaults'],
  ['wasmUrl: a number', { wasmUrl: 42 }, 'setting "wasmUrl" is the number 42; expected a string, using the default'],
  ['wasmUrl: empty', { wasmUrl: ' ' }, 'setting "wasmUrl" is empty; using the module next to the loader'],
  ['debug: a string', { debug: 'yes' }, 'setting "debug" is a string; expected a boolean (true or false), using the default'],
  ['events: an array', { events: ['x'] }, 'setting "events" is an array; expected an object, using the default'],
  ['events.allow: a string', { events: { allow: 'Userpilot*' } }, 'setting "events.allow" is a string; expected an array of names'],
  ['events: unknown key', { events: { only: ['x'] } }, 'unknown key "only" in setting "events" ignored; allowed keys are allow, deny'],
  ['rename: empty target', { rename: { 'Userpilot Experience (step)': '' } },
    'setting "rename" maps "Userpilot Experience (step)" to an empty string; expected a non-empty event name of at most 255 characters'],
  ['rename: a string', { rename: 'x' }, 'setting "rename" is a string; expected an object, using the default'],
  ['properties.drop: a number entry', { properties: { drop: [1] } },
    'setting "properties.drop" has an entry that is the number 1; expected non-empty names of at most 511 characters'],
  ['properties: unknown key', { properties: { hide: ['x'] } }, 'unknown key "hide" in setting "properties" ignored; allowed keys are drop, mask'],
  ['userProperties: a string', { userProperties: 'plan' }, 'setting "userProperties" is a string; expected an array, using the default'],
  ['identity: unknown value', { identity: 'maybe' }, 'setting "identity" is "maybe"; expected one of "sync", "off", using "sync"'],
  ['consent: unknown value', { consent: 'maybe' }, 'setting "consent" is "maybe"; expected one of "granted", "pending", "denied", using "granted"'],
  ['load: unknown value', { load: 'lazy' }, 'setting "load" is "lazy"; expected one of "eager", "idle", "first-event", using "eager"'],
  ['record: a string', { record: 'yes' }, 'setting "record" is a string; expected a boolean (true or false), using the default'],
  ['extraEvents: empty entry', { extraEvents: [''] }, 'setting "extraEvents" has an entry that is an empty string; expected non-empty names of at most 100 characters'],
];

for (const [name, settings, message] of WRONG) {
  test(`wrong setting (${name}): one warning naming it, defaults apply`, async () => {
    const s = await open(settings, identify('alice'));
    await heap.runFlow7(s.page);
    assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
    assert.deepEqual(bridgeConsole(s), [warning(message)]);
    assert.deepEqual(wasmRequests(s), [h.url('/dist/userpilot-heap-bridge.wasm')]);
    assert.deepEqual(await s.page.evaluate(() => UserpilotHeapBridge.history()), [], 'record stays off');
    await assertNoPageErrors(s);
  });
}

// ---- configure() ----

test('configure() before the module starts (first-event mode) replaces the settings', async () => {
  const s = await h.open(page({ load: 'first-event', debug: true, rename: { 'Userpilot Experience (step)': 'Old' } },
    script(`UserpilotHeapBridge.configure({ load: 'first-event', rename: { 'Userpilot Experience (completed)': 'Done' } });`),
    identify('alice')));
  await waitForUserpilot(s.page);
  await heap.runFlow7(s.page); // the first event starts the module
  await waitForBridge(s.page);
  const [started, step] = heap.flow7('alice');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), started, step,
    heap.track('Done', { experience_id: 7, experience_token: 'tok7' }, 'alice')]);
  assert.deepEqual(bridgeConsole(s, 'debug'), [], 'debug was replaced too');
});

test('configure() in the same task as an ES module import replaces the settings, module still next to index.mjs', async () => {
  const s = await h.open(document(
    `<script type="module">import bridge from '/dist/index.mjs';
      bridge.configure({ rename: { 'Userpilot Experience (completed)': 'Done' } });</script>`,
    userpilotSnippet(), heapSnippet('classic'), identify('alice')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  const [started, step] = heap.flow7('alice');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), started, step,
    heap.track('Done', { experience_id: 7, experience_token: 'tok7' }, 'alice')]);
  assert.deepEqual(wasmRequests(s), [h.url('/dist/userpilot-heap-bridge.wasm')]);
});

test('configure() after start: rename applies to the next event, the old settings are replaced', async () => {
  const s = await open({ rename: { 'Userpilot Experience (started)': 'Begun' } }, identify('alice'));
  await s.page.evaluate(() => {
    userpilotStandIn.startFlow(7, 'tok7', 3);
    UserpilotHeapBridge.configure({ rename: { 'Userpilot Experience (completed)': 'Done' } });
    userpilotStandIn.complete();
  });
  const [, step] = heap.flow7('alice');
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'),
    heap.track('Begun', { experience_id: 7, experience_token: 'tok7' }, 'alice'), step,
    heap.track('Done', { experience_id: 7, experience_token: 'tok7' }, 'alice')]);
  assert.deepEqual(bridgeConsole(s), []);
});

test('configure() after start: consent changes at run time; a configure without consent keeps it', async () => {
  const s = await open({}, identify('alice'));
  await s.page.evaluate(() => {
    UserpilotHeapBridge.configure({ consent: 'pending' });
    userpilotStandIn.startFlow(7, 'tok7', 3);
    UserpilotHeapBridge.configure({ debug: false });
    userpilotStandIn.complete();
  });
  await settle(s.page);
  assert.deepEqual(await heapCalls(s.page), []);
  assert.equal((await bridgeStats(s.page)).pending, 3);
  await s.page.evaluate(() => UserpilotHeapBridge.configure({ consent: 'granted' }));
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  await assertIdle(s.page);
});

test('configure() after start: wasmUrl and load are not applied, with one warning for wasmUrl', async () => {
  const s = await open({}, identify('alice'));
  await s.page.evaluate(() => UserpilotHeapBridge.configure({ wasmUrl: '/elsewhere.wasm', load: 'first-event' }));
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(wasmRequests(s), [h.url('/dist/userpilot-heap-bridge.wasm')]);
  assert.deepEqual(bridgeConsole(s), [warning('setting "wasmUrl" applies only before the module loads; ignored')]);
});

test('configure() after start with a wrong value: one warning, the default for that key', async () => {
  const s = await open({}, identify('alice'));
  await s.page.evaluate(() => UserpilotHeapBridge.configure({ colour: 'red', consent: 'maybe' }));
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  assert.deepEqual(bridgeConsole(s), [
    warning(`unknown setting "colour" ignored; allowed settings are ${ALLOWED}`),
    warning('setting "consent" is "maybe"; expected one of "granted", "pending", "denied", using "granted"'),
  ]);
});
