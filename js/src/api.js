// The public API, window.UserpilotHeapBridge (js/index.d.ts).
import { settings, setSettings, setting, reportLater } from './page.js';
import { subscribe, extraEventNames } from './hooks.js';
import { mirrorHeap } from './mirror.js';
import { record, history, clearHistory, whenForwarded } from './testkit.js';
import { started } from './loading.js';
import {
  deliver, entry, count, isMirrored, waitingEvents, failure, thread, readyPromise, lastStats, unmadeStats,
  applied, settleAt, queue, outbox, mirrorInFlight, overflow, lost, broken
} from './channel.js';
import { ZERO_STATS, KIND_SETTINGS, KIND_CONSENT, DROP_QUEUE_FULL, DROP_MODULE_UNAVAILABLE, DROP_INTERNAL_ERROR } from './protocol.gen.js';

export var VERSION = '__VERSION__';

// stats are the module's counters from its last answer, plus what the loader holds: events not
// yet answered count as received and pending, those that can never be answered as dropped.
function stats() {
  var s = JSON.parse(lastStats ? JSON.stringify(applied < settleAt ? unmadeStats : lastStats) : ZERO_STATS);
  var waiting = waitingEvents();
  s.received += waiting + overflow + lost + broken;
  s.pending += waiting;
  s.dropped += overflow + lost + broken;
  add(s.dropReasons, DROP_QUEUE_FULL, overflow);
  add(s.dropReasons, DROP_MODULE_UNAVAILABLE, lost);
  add(s.dropReasons, DROP_INTERNAL_ERROR, broken);
  var t = s.toUserpilot;
  if (t && !failure) {
    var mirrored = count(queue, isMirrored) + count(outbox, isMirrored);
    for (var i = 0; i < mirrorInFlight.length; i++) mirrored += mirrorInFlight[i];
    t.received += mirrored;
    t.pending += mirrored;
  }
  if (thread) s.thread = thread;
  if (failure) s.failure = failure.message;
  return s;
}

function add(counts, key, n) { if (n) counts[key] = (counts[key] || 0) + n; }

export var api = {
  version: VERSION,
  ready: function () { return failure ? Promise.reject(failure) : readyPromise; },
  stats: stats,
  // configure takes the same object as window.userpilotHeapBridgeSettings, for bundler users.
  configure: function (s) {
    record(s);
    subscribe(extraEventNames(s));
    if (!started) {
      // The ES module entry sets where the files are; a settings object without them keeps them.
      if (s && typeof s === 'object') {
        var keep = {};
        ['wasmUrl', 'workerUrl'].forEach(function (k) {
          if (!setting(s, k) && setting(settings, k)) keep[k] = settings[k];
        });
        s = Object.assign({}, s, keep);
      }
      setSettings(s);
      mirrorHeap();
      return;
    }
    deliver(entry(KIND_SETTINGS, '', [s], null));
    if (setting(s, 'toUserpilot')) { setSettings(s); mirrorHeap(); }
  },
  setConsent: function (state) { deliver(entry(KIND_CONSENT, String(state), [], null)); },
  history: history,
  clearHistory: clearHistory,
  whenForwarded: whenForwarded
};

// takeStubQueue replays, in order, the calls the pre-tag stub (README) queued before this tag ran,
// and takes any a page still makes through a reference it kept to the stub.
export function takeStubQueue(stub) {
  var q = stub && Array.isArray(stub._q) ? stub._q : null;
  function replay(c) {
    try {
      var result = api[c[0]].apply(api, c[1]);
      if (c[2]) result.then(c[2], c[3]);
    } catch (e) { reportLater(e); }
  }
  if (q) {
    q.splice(0).forEach(replay);
    q.push = function (c) { replay(c); return 0; };
  }
}
