/*! userpilot-heap-bridge __VERSION__ | forwards Userpilot events to Heap | MIT */
// The loader owns readiness: it hooks Userpilot at once, queues what happens until the Go module
// runs, and hands each thing over as a safe snapshot. Every rule about meaning lives in Go.
(function () {
  'use strict';
  var VERSION = '__VERSION__';
  var PREFIX = 'userpilot-heap-bridge: ';
  var win = window;
  var existing = win.UserpilotHeapBridge;
  if (existing && typeof existing.ready === 'function' && existing.version) {
    console.info(PREFIX + 'already loaded (version ' + existing.version + '); this copy does nothing');
    return;
  }

  // Userpilot `on` events to listen to; the Go core maps each one (bridge.SubscribedEvents).
  var EVENTS = ['started', 'step', 'completed', 'dismissed'];
  var MAX_QUEUE = 1000; // entries held before the module runs
  var script = document.currentScript;
  var rawSettings = win.userpilotHeapBridgeSettings;
  // extraEvents names undocumented `on` events to listen to as well; Go validates the setting.
  var SUBSCRIBED = EVENTS.concat(extraEventNames(rawSettings));

  function extraEventNames(s) {
    var out = [];
    try {
      var list = s && s.extraEvents;
      if (Array.isArray(list)) {
        for (var i = 0; i < list.length && i < 100; i++) {
          var name = typeof list[i] === 'string' ? list[i].trim() : '';
          if (name && out.indexOf(name) < 0 && EVENTS.indexOf(name) < 0) out.push(name);
        }
      }
    } catch (e) { /* an unreadable setting is reported by Go */ }
    return out;
  }

  // ---- snapshots: bounded, acyclic copies that Go can read without touching page objects ----
  var MAX_DEPTH = 8, MAX_ENTRIES = 200, MAX_NODES = 2000, MAX_STRING = 4096;

  function errorText(e) {
    try { return String((e && e.message) || e).slice(0, 200); } catch (_) { return 'unknown error'; }
  }

  function snapshot(value) {
    return snap(value, 0, [], { nodes: 0 });
  }

  function snap(v, depth, stack, budget) {
    switch (typeof v) {
      case 'string': return { t: 's', s: v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v };
      case 'number': return { t: 'n', n: v };
      case 'boolean': return { t: 'b', b: v };
      case 'undefined': return { t: 'u' };
      case 'function': return { t: 'f' };
      case 'symbol': return { t: 'y' };
      case 'bigint': return { t: 'g', s: String(v) };
    }
    if (v === null) return { t: 'z' };
    if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return { t: 't' };
    if (stack.indexOf(v) >= 0) return { t: 'c' };
    stack.push(v);
    try {
      if (Object.prototype.toString.call(v) === '[object Date]') {
        var ms = Date.prototype.getTime.call(v);
        return ms === ms ? { t: 'd', s: new Date(ms).toISOString() } : { t: 'x', s: 'invalid date' };
      }
      var items = [], i, n;
      if (Array.isArray(v)) {
        n = Math.min(v.length, MAX_ENTRIES);
        for (i = 0; i < n; i++) items.push(read(v, i, depth, stack, budget));
        return { t: 'a', v: items, m: v.length - n };
      }
      var keys = Object.keys(v), taken = keys.slice(0, MAX_ENTRIES);
      for (i = 0; i < taken.length; i++) items.push(read(v, taken[i], depth, stack, budget));
      return { t: 'o', k: taken, v: items, m: keys.length - taken.length };
    } catch (e) {
      return { t: 'x', s: errorText(e) }; // a Proxy trap or an exotic object threw
    } finally {
      stack.pop();
    }
  }

  function read(obj, key, depth, stack, budget) {
    var value;
    try { value = obj[key]; } catch (e) { return { t: 'x', s: errorText(e) }; }
    return snap(value, depth + 1, stack, budget);
  }

  // refs number payload objects so the same object delivered twice is recognised in Go.
  var refs = typeof WeakMap === 'function' ? new WeakMap() : null;
  var nextRef = 1;
  function refOf(v) {
    if (!refs || v === null || (typeof v !== 'object' && typeof v !== 'function')) return 0;
    var r = refs.get(v);
    if (!r) { r = nextRef++; refs.set(v, r); }
    return r;
  }

  // task numbers the synchronous run a delivery happens in; it advances at the next microtask.
  var task = 1, taskOpen = false;
  function currentTask() {
    if (!taskOpen) {
      taskOpen = true;
      Promise.resolve().then(function () { task++; taskOpen = false; });
    }
    return task;
  }

  function now() { return win.performance && performance.now ? performance.now() : Date.now(); }

  // ---- handing entries to Go: queued until the module attaches ----
  var queue = [], overflow = 0, receiver = null, failure = null, lostAfterFailure = 0;

  // isEvent tells the entries that count as received events: `on` events and interface tracks.
  function isEvent(entry) { return entry.k === 'event' || (entry.k === 'interface' && entry.n === 'track'); }

  function deliver(entry) {
    try {
      if (receiver) return receiver.receive(entry);
      if (failure) { if (isEvent(entry)) lostAfterFailure++; return; }
      if (queue.length < MAX_QUEUE) queue.push(entry); else if (isEvent(entry)) overflow++;
      if (!started && isEvent(entry) && rawSettings && rawSettings.load === 'first-event') start();
    } catch (e) {
      // The module stopped (it exited or crashed): count what it can no longer take.
      receiver = null;
      fail(new Error(PREFIX + 'the module stopped: ' + errorText(e)));
      if (isEvent(entry)) lostAfterFailure++;
    }
  }

  function entry(kind, name, args, payload) {
    var snaps = [];
    for (var i = 0; i < args.length; i++) snaps.push(snapshot(args[i]));
    return { k: kind, n: name, a: snaps, r: refOf(payload), t: currentTask(), at: now() };
  }

  // send hands what a Userpilot call carried to Go; nothing it does may break the caller.
  function send(kind, name, args, payload) {
    try { deliver(entry(kind, name, args, payload)); } catch (e) { reportLater(e); }
  }

  // ---- hooking Userpilot: the stub, its replacement and the npm wrapper all land here ----
  var handlers = {}; // event name -> host handlers [{fn, once}] kept by us so none is lost
  var dispatchers = {}; // event name -> the one function we register with Userpilot
  SUBSCRIBED.forEach(function (name) { handlers[name] = []; });

  function isOurs(name) { return SUBSCRIBED.indexOf(name) >= 0; }

  function dispatcher(name) {
    if (dispatchers[name]) return dispatchers[name];
    handlers[name] = handlers[name] || [];
    dispatchers[name] = function (payload) {
      send('event', name, [payload], payload);
      var list = handlers[name].slice();
      for (var i = 0; i < list.length; i++) {
        if (list[i].once) removeHandler(name, list[i]);
        try { list[i].fn.apply(this, arguments); } catch (e) { reportLater(e); }
      }
    };
    return dispatchers[name];
  }

  function removeHandler(name, h) {
    var i = handlers[name].indexOf(h);
    if (i >= 0) handlers[name].splice(i, 1);
  }

  // reportLater surfaces a host handler's error the way an uncaught error would, without
  // stopping the other handlers.
  function reportLater(e) { setTimeout(function () { throw e; }, 0); }

  var hooked = typeof WeakSet === 'function' ? new WeakSet() : null;

  function hook(up, late) {
    if (!up || (typeof up !== 'object' && typeof up !== 'function')) return;
    if (hooked) { if (hooked.has(up)) return; hooked.add(up); }
    var orig = {};
    ['on', 'once', 'off', 'identify', 'anonymous', 'clean'].forEach(function (m) { orig[m] = up[m]; });
    var stub = up.initialized === -1;
    if (stub) adoptQueuedHandlers();
    // Host handlers for our events are kept by us; other names go to Userpilot untouched.
    ['on', 'once'].forEach(function (m) {
      replace(up, m, function (name, fn) {
        if (!isOurs(name) || typeof fn !== 'function') return call(orig[m], this, arguments);
        handlers[name].push({ fn: fn, once: m === 'once' });
      });
    });
    replace(up, 'off', function (name) {
      var result = call(orig.off, this, arguments);
      if (isOurs(name)) {
        handlers[name].length = 0;
        call(orig.on, this, [name, dispatcher(name)]); // off() removed ours too; put it back
      }
      return result;
    });
    replace(up, 'identify', function (userId, properties) {
      send('identify', '', [userId, properties], null);
      return call(orig.identify, this, arguments);
    });
    ['anonymous', 'clean'].forEach(function (m) {
      replace(up, m, function () {
        send(m, '', [], null);
        return call(orig[m], this, arguments);
      });
    });
    latest = { up: up, on: orig.on, stub: stub };
    SUBSCRIBED.forEach(function (name) { register(latest, name); });
    if (late) recoverIdentity(stub);
  }

  var latest = null; // the Userpilot object hooked last: the stub, or the SDK that replaced it
  var queuedOnStub = {}; // event name -> our dispatcher waits in a stub's queue

  // register subscribes our dispatcher once per Userpilot object. When the SDK replaces the stub,
  // it registers directly only if our queued entry was not consumed, so no emit reaches us twice.
  function register(target, name) {
    if (!target.stub && queuedOnStub[name] && !takeQueued(name)) {
      queuedOnStub[name] = false; // the SDK replayed the queue: it already holds ours
      return;
    }
    call(target.on, target.up, [name, dispatcher(name)]);
    queuedOnStub[name] = target.stub;
  }

  // takeQueued removes our dispatcher's entry from the stub's queue, reporting if it was there.
  function takeQueued(name) {
    var q = win.userpilotCallMethods && win.userpilotCallMethods.on;
    if (!Array.isArray(q)) return false;
    for (var i = 0; i < q.length; i++) {
      if (q[i] && q[i].name === name && q[i].fn === dispatchers[name]) { q.splice(i, 1); return true; }
    }
    return false;
  }

  // subscribe adds `on` event names after start (configure's extraEvents).
  function subscribe(names) {
    names.forEach(function (name) {
      if (isOurs(name)) return;
      SUBSCRIBED.push(name);
      handlers[name] = handlers[name] || [];
      if (latest) { try { register(latest, name); } catch (e) { reportLater(e); } }
    });
  }

  function call(fn, self, args) {
    if (typeof fn === 'function') return fn.apply(self, args);
  }

  function replace(obj, method, fn) {
    try { obj[method] = fn; } catch (e) {
      console.warn(PREFIX + 'could not hook userpilot.' + method + ' (' + errorText(e) + ')');
    }
  }

  // adoptQueuedHandlers moves host handlers queued in the stub before this tag ran into our list,
  // so an SDK that keeps one handler per event cannot replace them with ours.
  function adoptQueuedHandlers() {
    var calls = win.userpilotCallMethods;
    if (!calls) return;
    [['on', false], ['once', true]].forEach(function (kind) {
      var q = calls[kind[0]];
      if (!Array.isArray(q)) return;
      for (var i = 0; i < q.length; i++) {
        var item = q[i];
        if (item && isOurs(item.name) && typeof item.fn === 'function' && item.fn !== dispatchers[item.name]) {
          dispatcher(item.name);
          handlers[item.name].push({ fn: item.fn, once: kind[1] });
          q.splice(i--, 1);
        }
      }
    });
  }

  // recoverIdentity finds the user identified before this tag ran: from the stub's queue, or,
  // once the SDK has loaded, from the id Userpilot keeps in localStorage.
  function recoverIdentity(stub) {
    var calls = win.userpilotCallMethods, q = calls && calls.identify;
    if (Array.isArray(q) && q.length) {
      for (var i = 0; i < q.length; i++) {
        if (q[i]) deliver(entry('identify', '', [q[i].userid, q[i].data], null));
      }
      return;
    }
    if (stub) return;
    try {
      var found = [];
      for (var j = 0; j < localStorage.length; j++) {
        var key = localStorage.key(j);
        if (key && key.indexOf('userpilotUserId') === 0) found.push(localStorage.getItem(key));
      }
      if (found.length === 1) deliver(entry('restore', '', [parseStored(found[0])], null));
      console.warn(PREFIX + 'loaded after Userpilot; place this tag before Userpilot\'s snippet so no handler or identify call is missed');
    } catch (e) { /* storage is blocked: nothing to recover */ }
  }

  function parseStored(s) {
    if (s && s.charAt(0) === '"') { try { return JSON.parse(s); } catch (e) { /* raw */ } }
    return s;
  }

  // trapGlobal turns window[name] into an accessor that hands each value assigned to onAssign
  // (Userpilot swaps its stub for the SDK, the npm wrapper rewrites its settings), and hands over
  // the value already there.
  function trapGlobal(name, onAssign) {
    var current = win[name];
    var desc = Object.getOwnPropertyDescriptor(win, name);
    if (!desc || desc.configurable) {
      try {
        Object.defineProperty(win, name, {
          configurable: true,
          enumerable: true,
          get: function () { return current; },
          set: function (v) { current = v; try { onAssign(v, false); } catch (e) { reportLater(e); } }
        });
      } catch (e) { /* fall through: hook what is there */ }
    }
    if (current) onAssign(current, true);
  }

  // ---- the bridge as Userpilot's Heap interface (userpilotSettings.integrations_interfaces.heap) ----
  // Every method the classic and heap.js 5 snippets stub; calls become entries for Go.
  var HEAP_METHODS = ['track', 'identify', 'identifyHashed', 'resetIdentity', 'addUserProperties',
    'addEventProperties', 'removeEventProperty', 'clearEventProperties', 'setEventProperties',
    'unsetEventProperty', 'addAccountProperties', 'init', 'startTracking', 'stopTracking',
    'addAdapter', 'addTransformer', 'addTransformerFn', 'addPageviewProperties',
    'removePageviewProperty', 'clearPageviewProperties', 'trackPageview'];
  // Getters and readiness hooks read the live Heap; they carry no data to forward.
  var HEAP_PASSTHROUGH = ['getSessionId', 'getUserId', 'getIdentity', 'onReady'];
  var heapTarget = null; // a Heap instance the page gave Userpilot that is not window.heap

  function liveHeap() { return heapTarget || win.heap; }

  var heapInterface = (function () {
    var iface = {};
    HEAP_METHODS.forEach(function (m) {
      iface[m] = function () {
        var args = Array.prototype.slice.call(arguments);
        send('interface', m, args, args[1]);
      };
    });
    HEAP_PASSTHROUGH.forEach(function (m) {
      iface[m] = function () {
        var h = liveHeap();
        if (h && typeof h[m] === 'function') return h[m].apply(h, arguments);
      };
    });
    ['loaded', 'appid', 'envId', 'userId', 'identity', 'config', 'clientConfig'].forEach(function (p) {
      Object.defineProperty(iface, p, { enumerable: true, get: function () { var h = liveHeap(); return h ? h[p] : undefined; } });
    });
    return iface;
  })();

  // offerInterface puts the bridge in settings.integrations_interfaces.heap, keeping a Heap the
  // page put there as the one the bridge calls.
  function offerInterface(settings) {
    if (!settings || typeof settings !== 'object') return;
    try {
      var ii = settings.integrations_interfaces;
      if (!ii || typeof ii !== 'object') ii = settings.integrations_interfaces = {};
      var given = ii.heap;
      if (given === heapInterface) return;
      if (given && (typeof given === 'object' || typeof given === 'function') && given !== win.heap && !Array.isArray(given)) {
        heapTarget = given;
        boot.heapTarget = given;
      }
      ii.heap = heapInterface;
    } catch (e) {
      console.warn(PREFIX + 'could not offer the bridge to Userpilot as its Heap interface (' + errorText(e) + ')');
    }
  }

  // ---- the public API ----
  var readyResolve, readyReject;
  var readyPromise = new Promise(function (resolve, reject) { readyResolve = resolve; readyReject = reject; });
  readyPromise.catch(function () {}); // a page that never asks must not see an unhandled rejection

  function fail(err) {
    if (failure) return;
    failure = err;
    console.error(err.message);
    readyReject(err);
  }

  function localStats() {
    var events = 0;
    for (var i = 0; i < queue.length; i++) if (isEvent(queue[i])) events++;
    var s = { received: events + overflow + lostAfterFailure, forwarded: 0, dropped: overflow, duplicates: 0,
      identifies: 0, resets: 0, pending: events, identityRejected: 0, truncated: 0, dropReasons: {},
      propertyDrops: {}, events: {}, interfaceIgnored: {} };
    if (overflow) s.dropReasons.queue_full = overflow;
    if (failure) {
      var lost = events + lostAfterFailure;
      s.pending = 0;
      s.dropped += lost;
      if (lost) s.dropReasons.module_unavailable = lost;
    }
    return s;
  }

  function mergeStats(base, local) {
    if (!base) return local;
    var s = JSON.parse(JSON.stringify(base));
    s.received += lostAfterFailure;
    s.dropped += lostAfterFailure;
    if (lostAfterFailure) s.dropReasons.module_unavailable = (s.dropReasons.module_unavailable || 0) + lostAfterFailure;
    return s;
  }

  // ---- the kit for headless tests: history() and whenForwarded() ----
  var MAX_HISTORY = 1000;
  var recording = recordWanted(rawSettings);
  var history = [], forwardedNames = {}, waiters = [];

  function recordWanted(s) {
    if (s && s.record === true) return true;
    try { return /[?&]userpilot-heap-bridge-record(=|&|$)/.test(win.location.search); } catch (e) { return false; }
  }

  function delivered(method) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (recording) {
      if (history.length >= MAX_HISTORY) history.shift();
      history.push({ method: method, args: JSON.parse(JSON.stringify(args)), at: now() });
    }
    if (method !== 'track') return;
    forwardedNames[args[0]] = true;
    waiters = waiters.filter(function (w) {
      if (w.name !== args[0]) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  function whenForwarded(name, timeoutMs) {
    return new Promise(function (resolve, reject) {
      if (forwardedNames[name]) return resolve();
      var ms = typeof timeoutMs === 'number' && timeoutMs >= 0 ? timeoutMs : 5000;
      var w = { name: name, resolve: resolve };
      w.timer = setTimeout(function () {
        waiters = waiters.filter(function (x) { return x !== w; });
        reject(new Error(PREFIX + 'no "' + name + '" event was forwarded to Heap within ' + ms + ' ms'));
      }, ms);
      waiters.push(w);
    });
  }

  var lastStats = null;
  var api = {
    version: VERSION,
    ready: function () { return readyPromise; },
    stats: function () {
      if (receiver) {
        try { return (lastStats = receiver.stats()); } catch (e) { /* module stopped */ }
      }
      return mergeStats(lastStats, localStats());
    },
    // configure takes the same object as window.userpilotHeapBridgeSettings, for bundler users.
    configure: function (settings) {
      recording = recordWanted(settings);
      subscribe(extraEventNames(settings));
      if (!started) {
        // The ES module entry sets where the module is; a settings object without wasmUrl keeps it.
        if (settings && typeof settings === 'object' && !settings.wasmUrl && rawSettings && rawSettings.wasmUrl) {
          settings = Object.assign({}, settings, { wasmUrl: rawSettings.wasmUrl });
        }
        rawSettings = settings;
        boot.settings = snapshot(settings);
        return;
      }
      deliver(entry('settings', '', [settings], null));
    },
    setConsent: function (state) { deliver(entry('consent', String(state), [], null)); },
    history: function () { return JSON.parse(JSON.stringify(history)); },
    clearHistory: function () { history = []; forwardedNames = {}; },
    whenForwarded: whenForwarded
  };

  try {
    Object.defineProperty(win, 'UserpilotHeapBridge', { value: Object.freeze(api), configurable: true, enumerable: true });
  } catch (e) {
    console.error(PREFIX + 'window.UserpilotHeapBridge is taken; the bridge cannot start');
    return;
  }

  // ---- loading the Go module ----
  // goRuntime is Go's wasm_exec.js from the same Go release, run against a private scope so its
  // globals (Go, fs, process, path) never land on window.
  var goRuntime = /*__WASM_EXEC__*/null;
  // The module this loader was built with, verified by the browser (Subresource Integrity).
  var WASM_FILE = '__WASM_FILE__', WASM_INTEGRITY = '__WASM_INTEGRITY__';

  function moduleUrl() {
    var s = rawSettings;
    if (s && typeof s.wasmUrl === 'string' && s.wasmUrl.trim()) return new URL(s.wasmUrl, document.baseURI).href;
    var base = (script && script.src) || document.baseURI;
    return new URL(WASM_FILE, base).href;
  }

  function makeScope(own) {
    return new Proxy(own, {
      get: function (t, k) { return Object.prototype.hasOwnProperty.call(t, k) ? t[k] : win[k]; },
      set: function (t, k, v) { t[k] = v; return true; },
      has: function (t, k) { return k in t || k in win; },
      deleteProperty: function (t, k) { delete t[k]; return true; }
    });
  }

  var boot = {
    settings: snapshot(rawSettings),
    overflow: 0,
    heapTarget: heapTarget,
    attach: function (goApi) {
      var drained = queue;
      queue = [];
      receiver = goApi;
      for (var i = 0; i < drained.length; i++) goApi.receive(drained[i]);
    },
    ready: function () { readyResolve(); },
    fail: function (message) { fail(new Error(PREFIX + message)); },
    delivered: delivered,
    // The edge relay (relayUrl): page facts for event ids and timestamps, and the transport.
    page: { session: sessionId(), timeOrigin: pageTimeOrigin(), started: now() },
    now: now,
    heapLoaded: heapLoaded,
    relay: relay,
    beacon: beacon
  };

  function instantiate(url, imports) {
    return fetch(url, { credentials: 'same-origin', integrity: WASM_INTEGRITY }).catch(diagnose(url)).then(function (resp) {
      if (!resp.ok) throw new Error('HTTP ' + resp.status + ' ' + resp.statusText);
      var type = resp.headers.get('Content-Type') || '';
      if (WebAssembly.instantiateStreaming && type.split(';')[0].trim() === 'application/wasm') {
        return WebAssembly.instantiateStreaming(resp, imports);
      }
      console.info(PREFIX + url + ' is served as "' + type + '", not application/wasm; loading it without streaming');
      return resp.arrayBuffer().then(function (bytes) { return WebAssembly.instantiate(bytes, imports); });
    });
  }

  // diagnose explains a failed integrity-checked fetch, which the browser reports only as
  // "Failed to fetch": a plain fetch tells a missing file from one that is not this build's module.
  function diagnose(url) {
    return function (err) {
      return fetch(url, { credentials: 'same-origin' }).then(function (resp) {
        if (!resp.ok) throw new Error('HTTP ' + resp.status + ' ' + resp.statusText);
        throw new Error('its content does not match the sha384 integrity hash this loader was built with; serve the module from the same build as the loader');
      }, function () { throw err; });
    };
  }

  // ---- the edge relay's transport; Go decides what goes and settles each answer ----
  function sessionId() {
    var bytes = new Uint8Array(8), out = '';
    try { crypto.getRandomValues(bytes); } catch (e) { for (var i = 0; i < 8; i++) bytes[i] = Math.random() * 256; }
    for (var j = 0; j < 8; j++) out += (bytes[j] < 16 ? '0' : '') + bytes[j].toString(16);
    return out;
  }

  function pageTimeOrigin() {
    return win.performance && performance.timeOrigin ? performance.timeOrigin : Date.now() - now();
  }

  // heapLoaded tells Heap's loaded SDK from a snippet's stub: both snippets make window.heap an
  // array, the loaded SDK may set heap.loaded (Segment's integration waits for it), and a heap.js 5
  // stub method only queues onto window.heapReadyCb.
  function heapLoaded(h) {
    if (!h || Array.isArray(h)) return false;
    if (h.loaded === true) return true;
    if (typeof h.track !== 'function') return false;
    try { return Function.prototype.toString.call(h.track).indexOf('heapReadyCb') < 0; } catch (e) { return true; }
  }

  function relay(id, url, body, signature, keepalive) {
    function settle(status, answer, retryAfter, failure) {
      deliver(entry('relayed', '', [id, status, answer, retryAfter, failure], null));
    }
    Promise.resolve().then(function () {
      var headers = { 'Content-Type': 'application/json' };
      if (signature) headers['X-Bridge-Signature'] = signature;
      return fetch(url, { method: 'POST', headers: headers, body: body, keepalive: !!keepalive, credentials: 'omit', mode: 'cors' });
    }).then(function (resp) {
      var retryAfter = parseFloat(resp.headers.get('Retry-After')) || 0;
      return resp.text().then(function (text) {
        var answer;
        try { answer = JSON.parse(text); } catch (e) { answer = undefined; }
        settle(resp.status, answer, retryAfter, '');
      });
    }).catch(function (e) { settle(0, undefined, 0, errorText(e)); });
  }

  // beacon is for a page being left: a string body goes as text/plain, which needs no preflight,
  // and the signature rides in the query because sendBeacon cannot set headers.
  function beacon(url, body, signature) {
    try {
      if (signature) url += (url.indexOf('?') < 0 ? '?' : '&') + 'signature=' + encodeURIComponent(signature);
      return navigator.sendBeacon(url, body);
    } catch (e) {
      return false;
    }
  }

  try {
    win.addEventListener('pagehide', function () { if (receiver) deliver(entry('pagehide', '', [], null)); });
  } catch (e) { /* no window events: nothing to send on leaving */ }

  var started = false;

  function start() {
    if (started) return;
    started = true;
    var url;
    try {
      url = moduleUrl();
      var scope = makeScope({ fs: undefined, process: undefined, path: undefined, Go: undefined, userpilotHeapBridgeBoot: boot });
      var Go = goRuntime(scope);
      var go = new Go();
      instantiate(url, go.importObject).then(function (result) {
        boot.overflow = overflow;
        overflow = 0;
        go.run(result.instance).then(function () {
          receiver = null;
          fail(new Error(PREFIX + 'the module exited'));
        });
      }).catch(function (e) { fail(loadError(url, e)); });
    } catch (e) {
      fail(loadError(url, e));
    }
  }

  function loadError(url, e) {
    var msg = errorText(e);
    if (/Content Security Policy|unsafe-eval|wasm-eval/i.test(msg)) {
      msg += " (the page's Content-Security-Policy must allow script-src 'wasm-unsafe-eval')";
    }
    return new Error(PREFIX + 'could not load the module from ' + url + ': ' + msg +
      '; Userpilot events are not forwarded to Heap on this page');
  }

  // scheduleStart applies the load setting: "eager" now, "idle" when the browser is idle,
  // "first-event" when the first Userpilot event arrives (see deliver).
  function scheduleStart() {
    var mode = rawSettings && rawSettings.load;
    if (mode === 'first-event') return;
    if (mode === 'idle') {
      if (typeof win.requestIdleCallback === 'function') win.requestIdleCallback(startUnlessDeferred, { timeout: 5000 });
      else setTimeout(startUnlessDeferred, 1000);
      return;
    }
    start();
  }

  // startUnlessDeferred starts a scheduled load unless configure() has since chosen first-event.
  function startUnlessDeferred() {
    if (!(rawSettings && rawSettings.load === 'first-event')) start();
  }

  trapGlobal('userpilotSettings', offerInterface);
  trapGlobal('userpilot', hook);
  // A microtask later, so configure() called in the same task (a bundle's import) applies first.
  Promise.resolve().then(scheduleStart);
})();
