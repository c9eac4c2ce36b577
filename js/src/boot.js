/*! userpilot-heap-bridge __VERSION__ | forwards Userpilot events to Heap | MIT */
// The loader owns readiness: it hooks Userpilot at once, snapshots what happens, and hands it to
// the Go module in one message per batch; it makes the Heap calls the module answers with on
// whatever window.heap is at that moment. Every rule about meaning lives in Go. boot.js is the
// entry js/build.mjs bundles: it starts the other parts in order, once per page.
// The order of these imports is the order of the parts in the script; this one compresses best.
import { EVENTS } from './protocol.gen.js';
import { win, settings, setSettings, trapGlobal } from './page.js';
import { noteScript, scheduleStart } from './loading.js';
import { hook, subscribe, extraEventNames } from './hooks.js';
import { progress } from './channel.js';
import { PREFIX } from './text.js';
import { mirrorHeap } from './mirror.js';
import { pageHidden } from './relay.js';
import { record } from './testkit.js';
import { offerInterface } from './heap.js';
import { api, takeStubQueue } from './api.js';

boot();

function boot() {
  if (!win) return; // outside a page (server-side rendering): nothing to hook
  var existing = win.UserpilotHeapBridge;
  if (existing && typeof existing.ready === 'function' && existing.version) {
    console.info(PREFIX + 'already loaded (version ' + existing.version + '); this copy does nothing');
    return;
  }
  noteScript();
  setSettings(win.userpilotHeapBridgeSettings);
  subscribe(EVENTS.concat(extraEventNames(settings)));
  record(settings);
  try {
    Object.defineProperty(win, 'UserpilotHeapBridge', { value: Object.freeze(api), configurable: true, enumerable: true });
  } catch (e) {
    console.error(PREFIX + 'window.UserpilotHeapBridge is taken; the bridge cannot start');
    return;
  }
  try {
    win.addEventListener('pagehide', pageHidden);
    // A page back from the back/forward cache, or unfrozen, was not waiting on a stopped module.
    win.addEventListener('pageshow', progress);
    document.addEventListener('resume', progress);
  } catch (e) { /* no window events: nothing to send on leaving */ }
  takeStubQueue(existing);
  trapGlobal('userpilotSettings', offerInterface);
  trapGlobal('userpilot', hook);
  mirrorHeap();
  // A microtask later, so configure() called in the same task (a bundle's import) applies first.
  Promise.resolve().then(scheduleStart);
}
