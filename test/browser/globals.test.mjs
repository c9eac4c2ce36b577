// docs/contract.md §1/§2: one global, and a second copy of the tag is harmless.
import assert from 'node:assert/strict';
import { test, useBrowser, waitForAll, waitForBridge, finalCalls, settle, assertNoPageErrors } from './harness.mjs';
import { document, script, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

// Besides its API, the loader holds accessors for Userpilot's own globals so it can hook each
// object Userpilot installs; they hold only what the page or Userpilot assign (README, "The global").
test('the loader leaves no global of its own on window but UserpilotHeapBridge', async () => {
  const s = await h.open(document(script('window.__before = Object.getOwnPropertyNames(window);'), bridgeTag()));
  await waitForBridge(s.page);
  await settle(s.page);
  const added = await s.page.evaluate(() =>
    Object.getOwnPropertyNames(window).filter((n) => !window.__before.includes(n) && n !== '__before').sort());
  assert.deepEqual(added, ['UserpilotHeapBridge', 'userpilot', 'userpilotSettings']);
  const values = await s.page.evaluate(() => ({
    userpilot: window.userpilot, userpilotSettings: window.userpilotSettings,
    goRuntime: ['Go', 'fs', 'process', 'path', 'userpilotHeapBridgeBoot'].filter((n) => n in window),
  }));
  assert.deepEqual(values, { userpilot: undefined, userpilotSettings: undefined, goRuntime: [] });
  const api = await s.page.evaluate(() => ({
    version: typeof UserpilotHeapBridge.version, ready: typeof UserpilotHeapBridge.ready, stats: typeof UserpilotHeapBridge.stats(),
  }));
  assert.deepEqual(api, { version: 'string', ready: 'function', stats: 'object' });
  await assertNoPageErrors(s);
});

test('a second copy of the tag does nothing but say so once', async () => {
  const s = await h.open(document(userpilotSnippet(), heapSnippet('classic'), bridgeTag(), bridgeTag(), identify('alice')));
  await waitForAll(s.page);
  await heap.runFlow7(s.page);
  assert.deepEqual(await finalCalls(s.page, 4), [heap.identify('alice'), ...heap.flow7('alice')]);
  const said = s.console.filter((m) => /bridge/i.test(m.text));
  assert.equal(said.length, 1, `one console message from the second copy, got ${JSON.stringify(said)}`);
  const wasmFetches = s.loaded.filter((u) => u.endsWith('.wasm'));
  assert.equal(wasmFetches.length, 1, `module fetched once: ${wasmFetches}`);
  await assertNoPageErrors(s);
});
