/*! userpilot-heap-bridge __VERSION__ | forwards Userpilot events to Heap | MIT */
// The loader owns readiness: it hooks Userpilot at once, snapshots what happens, and hands it to
// the Go module in one message per batch; it makes the Heap calls the module answers with on
// whatever window.heap is at that moment. Every rule about meaning lives in Go. The module runs in
// a Web Worker where the page allows one, else on the main thread (setting "thread").
(function () {
  'use strict';
  var VERSION = '__VERSION__';
  var PREFIX = 'userpilot-heap-bridge: ';
  if (typeof window === 'undefined') return; // outside a page (server-side rendering): nothing to hook
  var win = window;
  var existing = win.UserpilotHeapBridge;
  if (existing && typeof existing.ready === 'function' && existing.version) {
    console.info(PREFIX + 'already loaded (version ' + existing.version + '); this copy does nothing');
    return;
  }
  var hasOwn = Object.prototype.hasOwnProperty;
  function has(obj, key) { return obj != null && hasOwn.call(obj, key); }
  function setting(s, key) { try { return has(s, key) ? s[key] : undefined; } catch (e) { return undefined; } }

  // Userpilot `on` events to listen to; the Go core maps each one (bridge.SubscribedEvents).
  var EVENTS = ['started', 'step', 'completed', 'dismissed'];
  var MAX_QUEUE = 1000; // entries held before the module runs
  var CHUNK = 500; // entries per message, so one burst never makes one long task
  var script = document.currentScript;
  var rawSettings = win.userpilotHeapBridgeSettings;
  // extraEvents names undocumented `on` events to listen to as well; Go validates the setting.
  var SUBSCRIBED = EVENTS.concat(extraEventNames(rawSettings));

  function extraEventNames(s) {
    var out = [];
    try {
      var list = setting(s, 'extraEvents');
      if (Array.isArray(list)) {
        for (var i = 0; i < list.length && i < 100; i++) {
          var name = typeof list[i] === 'string' ? list[i].trim() : '';
          if (name && out.indexOf(name) < 0 && EVENTS.indexOf(name) < 0) out.push(name);
        }
      }
    } catch (e) { /* an unreadable setting is reported by Go */ }
    return out;
  }

  // errorText is an error's message, cut after a whole word (with …) when longer than max (200).
  function errorText(e, max) {
    var text;
    try { text = String((e && e.message) || e); } catch (_) { return 'unknown error'; }
    max = max || 200;
    if (text.length <= max) return text;
    var cut = text.lastIndexOf(' ', max - 1);
    return text.slice(0, cut > max / 2 ? cut : max - 1) + '…';
  }

  // ---- snapshots: bounded, acyclic JSON copies Go reads without touching page objects ----
  // Strings, finite numbers, booleans and null are themselves; anything else is a tagged array
  // (bridge/snapshot.go): ["u"], ["o", omitted, key, value, ...], ["a", omitted, item, ...], ...
  var MAX_DEPTH = 8, MAX_ENTRIES = 200, MAX_NODES = 2000, MAX_STRING = 4096;

  function snapshot(value) {
    return snap(value, 0, [], { nodes: 0 });
  }

  function snap(v, depth, stack, budget) {
    switch (typeof v) {
      case 'string': return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
      case 'number': return v - v === 0 ? v : ['n', String(v)]; // NaN and Infinity have no JSON
      case 'boolean': return v;
      case 'undefined': return ['u'];
      case 'function': return ['f'];
      case 'symbol': return ['y'];
      case 'bigint': return ['g', String(v)];
    }
    if (v === null) return null;
    if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return ['t'];
    if (stack.indexOf(v) >= 0) return ['c'];
    stack.push(v);
    try {
      if (Object.prototype.toString.call(v) === '[object Date]') {
        var ms = Date.prototype.getTime.call(v);
        return ms === ms ? ['d', new Date(ms).toISOString()] : ['x', 'invalid date'];
      }
      var out, i, n;
      if (Array.isArray(v)) {
        n = Math.min(v.length, MAX_ENTRIES);
        out = ['a', v.length - n];
        for (i = 0; i < n; i++) out.push(read(v, i, depth, stack, budget));
        return out;
      }
      var keys = Object.keys(v);
      n = Math.min(keys.length, MAX_ENTRIES);
      out = ['o', keys.length - n];
      for (i = 0; i < n; i++) out.push(keys[i], read(v, keys[i], depth, stack, budget));
      return out;
    } catch (e) {
      return ['x', errorText(e)]; // a Proxy trap or an exotic object threw
    } finally {
      stack.pop();
    }
  }

  function read(obj, key, depth, stack, budget) {
    var value;
    try { value = obj[key]; } catch (e) { return ['x', errorText(e)]; }
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

  // ---- entries: [kind, name, ref, task, at, arg...] (bridge/message.go), held until the module runs ----
  var queue = [], overflow = 0, lost = 0, broken = 0; // lost: module gone; broken: a batch it failed on
  var pageId = Math.random().toString(36).slice(2) + Date.now().toString(36), stamped = 0; // stored events' ids
  var transport = null, failure = null, thread = '';

  // isEvent tells the entries that count as received events: `on` events, interface tracks, and
  // events an earlier page stored (bridge.NumberedInput counts the same ones).
  function isEvent(e) { return e[0] === 'event' || e[0] === 'recovered' || (e[0] === 'interface' && e[1] === 'track'); }
  // isMirrored tells the entries stats().toUserpilot counts as received: the page's Heap calls to mirror.
  function isMirrored(e) { return e[0] === 'heapcall' && (e[1] === 'track' || e[1] === 'addUserProperties'); }

  function deliver(e) {
    if (failure) { if (isEvent(e)) lost++; return; }
    if (transport) { outbox.push(e); return schedule(); }
    if (queue.length < MAX_QUEUE) queue.push(e);
    else if (isEvent(e) && !overflow++) console.warn(PREFIX + MAX_QUEUE + ' entries arrived before the module loaded; later events are dropped as queue_full');
    if (!started && isEvent(e) && setting(rawSettings, 'load') === 'first-event') start();
  }

  function entry(kind, name, args, payload) {
    var e = [kind, name, refOf(payload), currentTask(), now()];
    for (var i = 0; i < args.length; i++) e.push(snapshot(args[i]));
    if (isEvent(e)) { e.id = pageId + '-' + ++stamped; e.who = upUser; } // kept if the page is left before it is answered
    return e;
  }

  // send hands what a Userpilot call carried to Go; nothing it does may break the caller.
  function send(kind, name, args, payload) {
    try { deliver(entry(kind, name, args, payload)); } catch (e) { reportLater(e); }
  }

  // ---- hooking Userpilot: the stub, its replacement and the npm wrapper all land here ----
  // Host handlers for our event names are kept by us and run from our own registrations, whichever
  // way Userpilot's SDK takes over its stub (replaying its queue, a log, or nothing; one handler per
  // name or a list), so each runs once per emit.
  var handlers = Object.create(null); // event name -> host handlers [{fn, once}]
  var adopted = Object.create(null); // event names whose handlers were taken from a stub's queue
  SUBSCRIBED.forEach(function (name) { handlers[name] = []; });

  function isOurs(name) { return SUBSCRIBED.indexOf(name) >= 0; }

  // Every registration is its own function, so when Userpilot holds several (the stub's, replayed,
  // and the SDK's own), the ones after the first that fire for one emit are recognised and skipped.
  var registrations = 0;
  function registration(name) {
    var id = ++registrations;
    return function (payload) { fire(name, id, payload, this, arguments); };
  }

  // emits: per event name and payload, the emits seen in this task, each as the registrations that
  // delivered it. An emit calls each registration once, so a delivery is one already handled when
  // an emit with the same payload has not been delivered by this registration yet; otherwise it is
  // a new emit. Kept by payload, so a burst of emits costs no scan of the earlier ones.
  var emits = Object.create(null), emitsTask = 0;
  function fire(name, id, payload, self, args) {
    var t = currentTask();
    if (t !== emitsTask) { emits = Object.create(null); emitsTask = t; }
    var byPayload = emits[name] || (emits[name] = new Map());
    var list = byPayload.get(payload), i;
    if (!list) byPayload.set(payload, list = []);
    for (i = list.length - 1; i >= 0; i--) {
      if (!list[i][id]) { list[i][id] = true; return; }
    }
    var seen = Object.create(null);
    seen[id] = true;
    list.push(seen);
    send('event', name, [payload], payload);
    var hosts = handlers[name].slice();
    for (i = 0; i < hosts.length; i++) {
      if (hosts[i].once) removeHandler(name, hosts[i]);
      try { hosts[i].fn.apply(self, args); } catch (e) { reportLater(e); }
    }
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
    ['on', 'once', 'off', 'identify', 'anonymous', 'clean'].forEach(function (m) { orig[m] = peek(up, m); });
    var stub = peek(up, 'initialized') === -1;
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
        call(orig.on, this, [name, registration(name)]); // off() removed ours too; put it back
      }
      return result;
    });
    replace(up, 'identify', function (userId, properties) {
      if (!ownCall) { setUser(userId); send('identify', '', [userId, properties], null); }
      return call(orig.identify, this, arguments);
    });
    ['anonymous', 'clean'].forEach(function (m) {
      replace(up, m, function () {
        upUser = null;
        send(m, '', [], null);
        return call(orig[m], this, arguments);
      });
    });
    latest = { up: up, on: orig.on, off: orig.off, stub: stub };
    SUBSCRIBED.forEach(function (name) { register(latest, name); });
    if (late) recoverIdentity(stub);
  }

  var latest = null; // the Userpilot object hooked last: the stub, or the SDK that replaced it

  // upUser is Userpilot's user as the app last set it, read on this thread when a mirrored call is
  // sent: a call bound to another user is not sent (docs/identity.md). Userpilot takes only a
  // string or a number as an id, a number as its text.
  var upUser = null;
  function setUser(id) { if (typeof id === 'string' || typeof id === 'number') upUser = '' + id; }

  // register subscribes a registration of ours on a Userpilot object. On an SDK, names whose host
  // handlers we took from the stub are cleared first: an SDK that replayed the stub's calls from its
  // own log may hold those handlers directly, and they run from our registration instead.
  function register(target, name) {
    try {
      if (!target.stub && adopted[name]) call(target.off, target.up, [name]);
      call(target.on, target.up, [name, registration(name)]);
    } catch (e) {
      reportLater(e);
    }
  }

  // subscribe adds `on` event names after start (configure's extraEvents).
  function subscribe(names) {
    names.forEach(function (name) {
      if (isOurs(name)) return;
      SUBSCRIBED.push(name);
      handlers[name] = handlers[name] || [];
      if (latest) register(latest, name);
    });
  }

  function call(fn, self, args) {
    if (typeof fn === 'function') return fn.apply(self, args);
  }

  // peek reads a page object's property; a getter that throws reads as undefined.
  function peek(obj, key) {
    try { return obj[key]; } catch (e) { return undefined; }
  }

  function replace(obj, method, fn) {
    try { obj[method] = fn; } catch (e) {
      console.warn(PREFIX + 'could not hook userpilot.' + method + ' (' + errorText(e) + ')');
    }
  }

  // adoptQueuedHandlers takes host handlers queued in the stub before this tag ran into our list.
  // Their queue entries are neutralised in place, not removed, so an SDK that replays the queue (or
  // a copy sharing its entries) registers nothing of theirs, and one handler per name stays ours.
  function adoptQueuedHandlers() {
    var calls = peek(win, 'userpilotCallMethods');
    if (!calls) return;
    [['on', false], ['once', true]].forEach(function (kind) {
      var q = peek(calls, kind[0]);
      if (!Array.isArray(q)) return;
      for (var i = 0; i < q.length; i++) {
        var item = q[i];
        if (item && isOurs(item.name) && typeof item.fn === 'function' && !item.fn.userpilotHeapBridge) {
          handlers[item.name].push({ fn: item.fn, once: kind[1] });
          adopted[item.name] = true;
          item.fn = adoptedMark;
        }
      }
    });
  }

  // adoptedMark stands in a stub's queue entry for a host handler the bridge now runs.
  function adoptedMark() {}
  adoptedMark.userpilotHeapBridge = true;

  // recoverIdentity finds the user identified before this tag ran: from the stub's queue, or,
  // once the SDK has loaded, from the id Userpilot keeps in localStorage.
  function recoverIdentity(stub) {
    var calls = win.userpilotCallMethods, q = calls && calls.identify;
    if (Array.isArray(q) && q.length) {
      for (var i = 0; i < q.length; i++) {
        if (q[i]) { setUser(q[i].userid); deliver(entry('identify', '', [q[i].userid, q[i].data], null)); }
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
      if (found.length === 1) {
        if (upUser === null) setUser(parseStored(found[0]));
        deliver(entry('restore', '', [parseStored(found[0])], null));
      }
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
  // A page's own accessor there keeps answering: what it returns is handed over when it changes.
  // It returns the getter it put there, if it could.
  function trapGlobal(name, onAssign) {
    var desc = Object.getOwnPropertyDescriptor(win, name), pageGet = desc && desc.get, current = peek(win, name);
    function assign(v) { current = v; try { onAssign(v, false); } catch (e) { reportLater(e); } }
    function get() {
      if (pageGet) { var v = pageGet.call(win); if (v !== current) assign(v); }
      return current;
    }
    if (!desc || desc.configurable) {
      try {
        Object.defineProperty(win, name, {
          configurable: true,
          enumerable: true,
          get: get,
          set: function (v) {
            if (pageGet) { call(desc.set, win, [v]); v = pageGet.call(win); }
            assign(v);
          }
        });
      } catch (e) { get = 0; /* hook what is there */ }
    } else get = 0;
    if (current) onAssign(current, true);
    return get;
  }

  // ---- the bridge as Userpilot's Heap interface (userpilotSettings.integrations_interfaces.heap) ----
  // Every method the classic and heap.js 5 snippets stub; calls become entries for Go.
  var HEAP_METHODS = ('track identify identifyHashed resetIdentity addUserProperties addEventProperties ' +
    'removeEventProperty clearEventProperties setEventProperties unsetEventProperty addAccountProperties ' +
    'init startTracking stopTracking addAdapter addTransformer addTransformerFn addPageviewProperties ' +
    'removePageviewProperty clearPageviewProperties trackPageview').split(' ');
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
        var h = peek(win, 'heap'), fn = h && peek(h, m);
        if (heapTarget) { h = heapTarget; fn = peek(h, m); }
        if (typeof fn === 'function') return fn.apply(h, arguments);
      };
    });
    ['loaded', 'appid', 'envId', 'userId', 'identity', 'config', 'clientConfig'].forEach(function (p) {
      Object.defineProperty(iface, p, { enumerable: true, get: function () { var h = heapTarget || peek(win, 'heap'); return h ? peek(h, p) : undefined; } });
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
      }
      ii.heap = heapInterface;
    } catch (e) {
      console.warn(PREFIX + 'could not offer the bridge to Userpilot as its Heap interface (' + errorText(e) + ')');
    }
  }

  // ---- messages to the module and its answers (bridge/message.go, bridge/answer.go) ----
  var outbox = [], scheduled = false;
  var posted = 0, applied = 0; // messages posted, answers applied; answer n belongs to message n
  var inFlight = [], mirrorInFlight = []; // events, and Heap calls to mirror, in each message not yet answered
  var sentEntries = [], numbered = 0; // the entries of each message not yet answered; events posted (bridge.Input.Num)
  var bounced = [], failed = [], skipped = []; // what became of calls, told with the next message
  // owed: calls given back (window.heap could not take them) -> the message that told the module.
  // No later call is made before they come again, or an answer written after that message no
  // longer holds them ("h": they went to the relay).
  var owed = Object.create(null), lowest = Infinity;
  // Calls that failed or went back, counted by the module as made until it hears so: stats() counts
  // them as not made (their events pending) until the answer to the message that told it.
  var unsettled = [], outcomes = [], abandoned = [];
  var lastState = -1, need = 1, readyAt = 0, lastStats = null;
  var standby = [], beaconedIds = Object.create(null);

  function schedule() {
    if (scheduled || !transport) return;
    scheduled = true;
    Promise.resolve().then(flush);
  }

  // flush posts what is waiting. On the main thread one chunk runs per task, so a burst of events
  // never becomes one long task; a Worker takes every chunk at once and answers each in its own task.
  function flush(all) {
    scheduled = false;
    if (!transport) return;
    do {
      post(outbox.splice(0, CHUNK));
      if (outbox.length && thread === 'main' && all !== true) {
        scheduled = true;
        setTimeout(flush, 0);
        return;
      }
    } while (outbox.length && transport);
  }

  // A Worker that stops answering (killed by the browser, say) would leave events pending forever:
  // after STALL_MS without an answer while messages wait, the module is taken as stopped.
  var STALL_MS = 10000, lastProgress = 0, watchdog = 0;
  function watch() {
    if (watchdog || thread !== 'worker' || !inFlight.length) return;
    watchdog = setTimeout(function () {
      watchdog = 0;
      if (!inFlight.length) return;
      if (now() - lastProgress >= STALL_MS) return fail(new Error(PREFIX + 'the module stopped: the Web Worker has not answered for ' + STALL_MS / 1000 + ' s'));
      watch();
    }, STALL_MS);
  }

  function count(entries, is) {
    var n = 0;
    for (var i = 0; i < entries.length; i++) if (is(entries[i])) n++;
    return n;
  }

  function post(entries) {
    var events = count(entries, isEvent), i;
    for (i = 0; i < entries.length; i++) if (isEvent(entries[i])) entries[i].k = ++numbered;
    lastState = heapState();
    var msg = [1, events, applied, now(), lastState, bounced, failed, skipped].concat(entries);
    posted++;
    for (i = 0; i < bounced.length; i++) owed[bounced[i]] = posted;
    if (outcomes.length) { unsettled.push({ upto: posted, calls: outcomes }); outcomes = []; }
    bounced = []; failed = []; skipped = [];
    if (!inFlight.length) lastProgress = now();
    inFlight.push(events);
    sentEntries.push(entries);
    mirrorInFlight.push(count(entries, isMirrored));
    try {
      transport.post(JSON.stringify(msg));
    } catch (e) {
      return fail(new Error(PREFIX + 'the module stopped: ' + errorText(e)));
    }
    watch();
  }

  // heapState tells the module what window.heap offers now (bridge.HeapState bits).
  function heapState() {
    try {
      var h = liveHeap();
      if (!h || (typeof h !== 'object' && typeof h !== 'function') || typeof h.track !== 'function') return 0;
      return 1 | (heapLoaded(h) ? 2 : 0) | (typeof h.identify === 'function' ? 4 : 0) |
        (typeof h.resetIdentity === 'function' ? 8 : 0) | (typeof h.addUserProperties === 'function' ? 16 : 0);
    } catch (e) {
      return 63; // reading it threw: the module sends the calls and their errors are counted
    }
  }

  // heapLoaded tells Heap's loaded SDK from a snippet's stub: both snippets make window.heap an
  // array, the loaded SDK may set heap.loaded (Segment's integration waits for it), and a heap.js 5
  // stub method only queues onto window.heapReadyCb.
  var seenTrack = null, seenStub = false; // the last track function read, and whether it was a stub's
  function heapLoaded(h) {
    if (!h || Array.isArray(h)) return false;
    if (h.loaded === true) return true;
    var track = unwrap(h.track);
    if (typeof track !== 'function') return false;
    if (track !== seenTrack) {
      seenTrack = track;
      try { seenStub = Function.prototype.toString.call(track).indexOf('heapReadyCb') >= 0; } catch (e) { seenStub = false; }
    }
    return !seenStub;
  }

  function onAnswer(text) {
    if (store && store.parked()) { deferred.push(text); return takeBack(); }
    var events = inFlight.shift() || 0, number = applied + 1, a;
    mirrorInFlight.shift();
    sentEntries.shift();
    lastProgress = now();
    try { a = JSON.parse(text); } catch (e) { a = { x: 'unreadable answer' }; }
    if (a.x) {
      applied = number;
      broken += events;
      console.error(PREFIX + 'the module failed on a batch (' + a.x + '); its ' + events + ' events are counted as internal_error');
      return afterAnswer();
    }
    lastStats = a.s;
    need = a.n;
    mayPersist = a.k;
    var calls = a.c, i, seq;
    if (lowest < Infinity) {
      var still = Object.create(null);
      for (i = 0; i < a.h.length; i++) still[a.h[i]] = true;
      for (i = 0; i < calls.length; i++) still[calls[i][0]] = true;
      for (seq in owed) if (owed[seq] && owed[seq] <= number && !still[seq]) release(seq);
    }
    for (i = 0; i < calls.length; i++) {
      seq = calls[i][0];
      if (seq <= lowest && apply(calls[i])) {
        if (seq in owed) release(seq);
        continue;
      }
      owed[seq] = 0; // numbered when the message telling the module is posted
      lowest = Math.min(lowest, seq);
      bounced.push(seq);
      outcomes.push(calls[i]);
    }
    applied = number;
    unsettled = unsettled.filter(function (u) { return u.upto > applied; });
    for (i = 0; i < a.u.length; i++) toUserpilot(a.u[i]);
    for (i = 0; i < a.m.length; i++) say(a.m[i][0], a.m[i][1]);
    for (i = 0; i < a.r.length; i++) relay.apply(null, a.r[i]);
    if (a.b) standby = a.b;
    wake(a.w);
    poll(a.p);
    afterAnswer();
  }

  function release(seq) {
    delete owed[seq];
    lowest = Infinity;
    for (var s in owed) lowest = Math.min(lowest, +s);
  }

  function afterAnswer() {
    if (bounced.length || failed.length || skipped.length) { outbox.length ? schedule() : flush(); }
    if (readyAt && applied >= readyAt) { readyAt = 0; readyResolve(); }
  }

  function say(level, text) {
    try { (console[level] || console.log).call(console, text); } catch (e) { /* a replaced console */ }
  }

  // apply makes one call on whatever Heap is there now. It returns false when that Heap cannot take
  // it any more (the call goes back to the module); a call that throws is reported as failed.
  function apply(c) {
    var method = c[1], h, fn;
    if (method === 'track' && beaconedIds[c[4]]) { skipped.push(c[0]); return true; }
    if (method === 'track' && givenNums[c[5]]) return true; // another page claimed it from storage
    try {
      h = liveHeap();
      fn = h && (typeof h === 'object' || typeof h === 'function') ? h[method] : undefined;
      if (typeof fn !== 'function' || (need & 2 && !heapLoaded(h))) {
        if (method === 'track' || !h || (need & 2 && !heapLoaded(h))) return false;
        return failedCall(c, 'it is not a function in this Heap snippet');
      }
    } catch (e) {
      return failedCall(c, e);
    }
    var args = method === 'track' ? [c[2], c[3]] : c.slice(2);
    ownArgs(args[0]);
    ownArgs(args[1]);
    ownCall = true;
    try { fn.apply(h, args); } catch (e) {
      return failedCall(c, e);
    } finally {
      ownCall = false;
    }
    delivered(method, args);
    return true;
  }

  function failedCall(c, e) {
    failed.push([c[0], typeof e === 'string' ? e : errorText(e)]);
    outcomes.push(c);
    return true;
  }

  // The module asks to run again at a time (relay retries, relayAfter) or when window.heap changes.
  var wakeTimer = 0, pollTimer = 0;
  function wake(at) {
    clearTimeout(wakeTimer);
    if (at > 0) wakeTimer = setTimeout(tick, Math.max(0, at - now()));
  }

  function poll(on) {
    if (on && !pollTimer) {
      pollTimer = setInterval(function () { if (heapState() !== lastState) tick(); }, 200);
    } else if (!on && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = 0;
    }
  }

  function tick() { if (transport && !outbox.length) post([]); else schedule(); }

  // ---- Heap to Userpilot (setting toUserpilot): the page's own calls on window.heap ----
  // ownCall is true while the bridge itself calls Heap or Userpilot, whose calls are never mirrored.
  var ownCall = false;
  var MIRRORED = ['track', 'addUserProperties', 'identify'];
  var heapHooked = typeof WeakSet === 'function' ? new WeakSet() : null;
  var wrappers = typeof WeakMap === 'function' ? new WeakMap() : null; // a Heap method -> its wrapper
  var unwrapped = typeof WeakMap === 'function' ? new WeakMap() : null; // a wrapper -> the method
  var mirroring = false;
  // replays: calls made on a snippet's stub, which Heap's SDK makes again when it loads; those
  // repeats are not the page's calls. [method, first argument, second argument, expires at]
  var replays = [], replaysExpire = Infinity, inHeapCall = false;

  function unwrap(fn) { return (unwrapped && unwrapped.get(fn)) || fn; }

  // own holds the argument objects the bridge passed to Heap and to Userpilot: a Heap call that
  // carries one is the bridge's own, however late a stub or Userpilot makes it again.
  var own = typeof WeakSet === 'function' ? new WeakSet() : null;
  function ownArgs(v) { if (own && v && typeof v === 'object') own.add(v); }
  function isOwn(v) { return own && own.has(v); }

  // mirrorHeap starts watching window.heap once toUserpilot is set (at start, or by configure()).
  function mirrorHeap() {
    if (mirroring || !heapHooked || !setting(rawSettings, 'toUserpilot')) return;
    mirroring = true;
    var trapped = trapGlobal('heap', hookHeap);
    // A page may put window.heap in place with Object.defineProperty, which passes by the trap:
    // then the trap is set again, and the object there hooked.
    setInterval(function () {
      var d = Object.getOwnPropertyDescriptor(win, 'heap');
      if (!d || !trapped || d.get !== trapped) trapped = trapGlobal('heap', hookHeap);
    }, 250);
  }

  // hookHeap wraps the mirrored methods of a Heap object (a snippet's stub, the SDK, a page's own
  // object). A classic stub's queue holds the page's calls made before this tag.
  function hookHeap(h) {
    if (!h || (typeof h !== 'object' && typeof h !== 'function') || heapHooked.has(h)) return;
    heapHooked.add(h);
    if (Array.isArray(h)) {
      for (var i = 0; i < h.length; i++) {
        var q = h[i];
        if (Array.isArray(q) && MIRRORED.indexOf(q[0]) >= 0) heapCall(h, q[0], q.slice(1));
      }
    }
    MIRRORED.forEach(function (m) { hookMethod(h, m); });
    if (heapLoaded(h)) loadedNow();
  }

  // hookMethod turns method m where it lives (on h, or on a prototype for a class instance; on h
  // when it is not there yet) into an accessor that hands out a wrapper around whatever function
  // is assigned, so methods a snippet or the SDK installs later are wrapped too. A method that
  // cannot be changed (a frozen object, a read-only property, a Proxy that ignores its target) is
  // left as it is, and the console says its calls are not mirrored.
  function hookMethod(h, m) {
    var o = h, desc;
    try {
      while (o && !(desc = Object.getOwnPropertyDescriptor(o, m))) o = Object.getPrototypeOf(o);
      if (!desc) o = h;
      else if (heapHooked.has(desc.get)) return; // a prototype already hooked for another object
      else if (!desc.configurable || !('value' in desc)) throw 0;
      var inner = desc && desc.value, get = function () { return typeof inner === 'function' ? wrapperOf(m, inner) : inner; };
      heapHooked.add(get);
      Object.defineProperty(o, m, {
        configurable: true,
        enumerable: desc ? desc.enumerable : true,
        get: get,
        set: function (fn) {
          // An assignment on an object that inherits the method makes it its own, as it would have.
          if (this !== o) return Object.defineProperty(this, m, { value: fn, writable: true, configurable: true, enumerable: true }) && hookMethod(this, m);
          inner = unwrap(fn);
          if (heapLoaded(h)) loadedNow();
        }
      });
      var now = h[m];
      if (typeof now === 'function' && !unwrapped.has(now)) throw 0;
    } catch (e) {
      deliver(entry('unwrapped', m, [], null)); // the module says so in the console
    }
  }

  function wrapperOf(m, fn) {
    var w = wrappers.get(fn);
    if (!w) {
      w = function () {
        // A page that wraps heap.track itself calls one wrapper inside another: count the outer.
        // A method on a prototype is shared: only calls on a Heap object (or detached) are mirrored.
        try { if (!inHeapCall && (this == null || this === win || heapHooked.has(this))) heapCall(this, m, arguments); } catch (e) { /* never into the page's call */ }
        var outer = !inHeapCall;
        inHeapCall = true;
        try { return fn.apply(this, arguments); } finally { if (outer) inHeapCall = false; }
      };
      wrappers.set(fn, w);
      unwrapped.set(w, fn);
    }
    return w;
  }

  // loadedNow: Heap's SDK is there; what it will replay, it replays now, so old records expire.
  function loadedNow() {
    if (replaysExpire === Infinity) replaysExpire = now() + 10000;
  }

  // heapCall sees a call on a Heap object: made on a stub, it is recorded (the SDK makes it again
  // on load) and, unless the bridge made it, mirrored now; made on the SDK, it is mirrored unless it
  // is the SDK making a recorded call again.
  function heapCall(h, m, args) {
    var a0 = args[0], a1 = args[1];
    if (isOwn(a0) || isOwn(a1)) return;
    if (h && !heapLoaded(h)) {
      if (replays.length < MAX_QUEUE) replays.push([m, a0, a1]);
      if (!ownCall) send('heapcall', m, Array.prototype.slice.call(args, 0, 2), null);
      return;
    }
    if (ownCall) return;
    if (now() > replaysExpire) replays = [];
    for (var i = 0; i < replays.length; i++) {
      var r = replays[i];
      if (r[0] === m && Object.is(r[1], a0) && Object.is(r[2], a1)) { replays.splice(i, 1); return; }
    }
    send('heapcall', m, Array.prototype.slice.call(args, 0, 2), null);
  }

  // toUserpilot makes a call the module answered with on whatever window.userpilot is now.
  // c is [method, the user it is bound to, arguments...]: made only while that user is Userpilot's.
  function toUserpilot(c) {
    if (c[1] !== upUser) return deliver(entry('upfailed', 'identity_changed', [c[0], upUser], null));
    var up = peek(win, 'userpilot'), fn = up && peek(up, c[0]);
    ownArgs(c[3]);
    ownCall = true;
    try {
      if (typeof fn !== 'function') throw new Error('window.userpilot.' + c[0] + ' is not a function');
      fn.apply(up, c.slice(2));
    } catch (e) {
      deliver(entry('upfailed', '', [c[0], errorText(e)], null));
    } finally {
      ownCall = false;
    }
  }

  // ---- the public API ----
  var readyResolve, readyReject;
  var readyPromise = new Promise(function (resolve, reject) { readyResolve = resolve; readyReject = reject; });
  readyPromise.catch(function () {}); // a page that never asks must not see an unhandled rejection

  function fail(err) {
    if (failure) return;
    failure = err;
    transport = null;
    // Everything the module has not answered can no longer be forwarded: count it.
    var waiting = queue.concat(outbox);
    for (var i = 0; i < waiting.length; i++) if (isEvent(waiting[i])) lost++;
    for (i = 0; i < inFlight.length; i++) lost += inFlight[i];
    queue = []; outbox = []; inFlight = []; mirrorInFlight = []; sentEntries = [];
    abandoned = unsettled.concat([{ calls: outcomes }]); // the module will never settle these
    unsettled = []; outcomes = [];
    poll(false);
    wake(0);
    console.error(err.message);
    readyReject(err);
  }

  function waitingEvents() {
    var n = count(queue, isEvent) + count(outbox, isEvent);
    for (var i = 0; i < inFlight.length; i++) n += inFlight[i];
    return n;
  }

  // zeroStats are the counters before the module's first answer, in the module's order.
  function zeroStats() {
    var s = {};
    'received forwarded dropped duplicates identifies resets pending relayed relaying identityRejected truncated persisted unpersisted recovered'.split(' ').forEach(function (k) { s[k] = 0; });
    'dropReasons propertyDrops events interfaceIgnored'.split(' ').forEach(function (k) { s[k] = {}; });
    return s;
  }

  // stats are the module's counters from its last answer, plus what the loader holds: events not
  // yet answered count as received and pending, those that can never be answered as dropped.
  function stats() {
    var s = lastStats ? JSON.parse(JSON.stringify(lastStats)) : zeroStats();
    var waiting = waitingEvents();
    function unmade(list, track) {
      list.forEach(function (u) {
        u.calls.forEach(function (c) {
          if (c[1] === 'track') { s.forwarded--; track(); add(s.events, c[2], -1); if (!s.events[c[2]]) delete s.events[c[2]]; }
          if (c[1] === 'identify') s.identifies--;
          if (c[1] === 'resetIdentity') s.resets--;
        });
      });
    }
    unmade(unsettled.concat([{ calls: outcomes }]), function () { s.pending++; });
    unmade(abandoned, function () { s.dropped++; add(s.dropReasons, 'module_unavailable', 1); });
    s.received += waiting + overflow + lost + broken;
    s.pending += waiting;
    s.dropped += overflow + lost + broken;
    add(s.dropReasons, 'queue_full', overflow);
    add(s.dropReasons, 'module_unavailable', lost);
    add(s.dropReasons, 'internal_error', broken);
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

  // ---- the kit for headless tests: history() and whenForwarded() ----
  var MAX_HISTORY = 1000;
  var recording = recordWanted(rawSettings);
  var history = [], forwardedNames = Object.create(null), waiters = [];

  function recordWanted(s) {
    if (setting(s, 'record') === true) return true;
    try { return /[?&]userpilot-heap-bridge-record(=|&|$)/.test(win.location.search); } catch (e) { return false; }
  }

  function delivered(method, args) {
    if (recording) {
      if (history.length >= MAX_HISTORY) history.shift();
      history.push({ method: method, args: JSON.parse(JSON.stringify(args)), at: now() });
    }
    if (method !== 'track') return;
    forwardedNames[args[0]] = true;
    if (!waiters.length) return;
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

  var api = {
    version: VERSION,
    ready: function () { return failure ? Promise.reject(failure) : readyPromise; },
    stats: stats,
    // configure takes the same object as window.userpilotHeapBridgeSettings, for bundler users.
    configure: function (settings) {
      recording = recordWanted(settings);
      subscribe(extraEventNames(settings));
      if (!started) {
        // The ES module entry sets where the files are; a settings object without them keeps them.
        if (settings && typeof settings === 'object') {
          var keep = {};
          ['wasmUrl', 'workerUrl'].forEach(function (k) {
            if (!setting(settings, k) && setting(rawSettings, k)) keep[k] = rawSettings[k];
          });
          settings = Object.assign({}, settings, keep);
        }
        rawSettings = settings;
        mirrorHeap();
        return;
      }
      deliver(entry('settings', '', [settings], null));
      if (setting(settings, 'toUserpilot')) { rawSettings = settings; mirrorHeap(); }
    },
    setConsent: function (state) { deliver(entry('consent', String(state), [], null)); },
    history: function () { return JSON.parse(JSON.stringify(history)); },
    clearHistory: function () { history = []; forwardedNames = Object.create(null); },
    whenForwarded: whenForwarded
  };

  try {
    Object.defineProperty(win, 'UserpilotHeapBridge', { value: Object.freeze(api), configurable: true, enumerable: true });
  } catch (e) {
    console.error(PREFIX + 'window.UserpilotHeapBridge is taken; the bridge cannot start');
    return;
  }

  // ---- the edge relay's transport; Go decides what goes and settles each answer ----

  function pageTimeOrigin() {
    return win.performance && performance.timeOrigin ? performance.timeOrigin : Date.now() - now();
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
      return navigator.sendBeacon(url, body) === true;
    } catch (e) {
      return false;
    }
  }

  // A page being left cannot wait for the module: the loader sends the standby beacons the module
  // prepared with its last answer, and tells it which went.
  function pageHidden() {
    if (!transport) return;
    flush(true);
    var list = standby;
    standby = [];
    for (var i = 0; i < list.length; i++) {
      var b = list[i], ok = beacon(b[0], b[1], b[2]);
      if (ok) for (var j = 0; j < b[3].length; j++) beaconedIds[b[3][j]] = true;
      deliver(entry('beaconed', '', [ok].concat(b[3]), null));
    }
    flush(true);
  }

  try {
    win.addEventListener('pagehide', function () { pageHidden(); persistPending(); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') persistPending(); else takeBack();
    });
    // A page back from the back/forward cache, or unfrozen, was not waiting on a stopped module.
    win.addEventListener('pageshow', function () { lastProgress = now(); takeBack(); });
    document.addEventListener('resume', function () { lastProgress = now(); });
  } catch (e) { /* no window events: nothing to send on leaving */ }

  // ---- leaving the page: pending events kept in storage for a later page (docs/contract.md §9) ----
  /*__PERSIST__*/
  var persistOn = setting(rawSettings, 'persist') !== false, store = null;
  // The module's word (persist on, consent granted) from its last answer; before it, the settings.
  var mayPersist = persistOn && !/^(pending|denied)$/.test(setting(rawSettings, 'consent'));
  var deferred = [], givenNums = Object.create(null), takingBack = 0;
  try {
    if (persistOn && navigator.locks.request) {
      store = persistence({ storage: function () { return win.localStorage; }, locks: navigator.locks, page: pageId });
    }
  } catch (e) { /* no Web Locks: nothing is kept */ }

  // persistPending writes the events the module has not answered, synchronously, as the page is
  // hidden: [id, identity, epoch ms, kind, name, ref, task, at, arg...]. A consent change the
  // module has not answered yet decides instead of its word.
  function persistPending() {
    if (!store || failure) return;
    var list = [], ok = mayPersist, i, e;
    sentEntries.concat([outbox, queue]).forEach(function (l) { list = list.concat(l); });
    for (i = 0; i < list.length; i++) if (list[i][0] === 'consent') ok = list[i][1] === 'granted';
    var events = [];
    for (i = 0; i < list.length; i++) {
      e = list[i];
      if (isEvent(e)) events.push(e[0] === 'recovered' ? e.slice(5, 8).concat(e.slice(9)) : [e.id, e.who, page.timeOrigin + e[4]].concat(e));
    }
    if (!ok || !events.length) return;
    var r = store.write(events);
    giveAway(r.given);
    if (r.written || r.refused) deliver(entry('persisted', '', [r.written, r.refused], null));
  }

  // takeBack, once the page is shown again or an answer arrives after a write, takes the stored
  // events back (or learns another page claimed them), then applies the answers held meanwhile.
  function takeBack() {
    if (!store || takingBack || !store.parked()) return;
    takingBack = 1;
    store.takeBack().then(function (given) {
      takingBack = 0;
      var held = deferred;
      deferred = [];
      giveAway(given, held);
    });
  }

  // giveAway drops the events another page claimed: unsent ones from the queue; sent ones are not
  // made (by their number) once the held answers are applied, and the module is told.
  function giveAway(ids, held) {
    var gone = Object.create(null), nums = [];
    ids.forEach(function (id) { gone[id] = 1; });
    function keep(e) { return !gone[e.id]; }
    queue = queue.filter(keep);
    outbox = outbox.filter(keep);
    sentEntries.forEach(function (l) {
      l.forEach(function (e) { if (gone[e.id]) nums.push(givenNums[e.k] = e.k); });
    });
    (held || []).forEach(onAnswer);
    if (nums.length) deliver(entry('given', '', nums, null));
  }

  // claimStored hands over what earlier pages of the origin stored, before this page's own events.
  function claimStored() {
    if (store) store.claim().then(function (r) {
      var mine = r.entries.map(function (s) {
        var e = ['recovered', '', 0, currentTask(), now()].concat(s);
        e.id = s[0];
        e.who = s[1];
        return e;
      });
      if (r.overflow) mine.push(entry('unrecovered', 'overflow', [r.overflow], null));
      if (r.unavailable) mine.push(entry('unrecovered', 'storage_unavailable', [r.unavailable], null));
      if (transport) mine.forEach(deliver);
      else queue = mine.concat(queue);
    });
  }

  // ---- loading the Go module: in a Worker, else on the main thread ----
  // The files this loader was built with; the module is verified by the browser (Subresource Integrity).
  var WASM_FILE = '__WASM_FILE__', WASM_INTEGRITY = '__WASM_INTEGRITY__';
  var WORKER_FILE = '__WORKER_FILE__', WORKER_INTEGRITY = '__WORKER_INTEGRITY__';
  var WORKER_START_MS = 5000; // a worker that has not run its script by then is given up
  var NOT_FORWARDED = '; Userpilot events are not forwarded to Heap on this page';
  var workerAdvice = ''; // what to do about a module the worker could not load
  var page = { timeOrigin: pageTimeOrigin(), started: now() };

  function fileUrl(key, file) {
    var s = setting(rawSettings, key);
    if (typeof s === 'string' && s.trim()) return new URL(s, document.baseURI).href;
    return new URL(file, (script && script.src) || document.baseURI).href;
  }

  function initText() {
    return JSON.stringify([snapshot(rawSettings), '', page.timeOrigin, page.started]); // '': the module picks the session
  }

  // attach starts talking to a running module: the queue goes first, and ready() resolves once the
  // module has answered it.
  function attach(t, where) {
    transport = t;
    thread = where;
    outbox = queue;
    queue = [];
    if (!outbox.length) post([]);
    flush();
    readyAt = posted + Math.ceil(outbox.length / CHUNK);
    if (applied >= readyAt) { readyAt = 0; readyResolve(); }
  }

  var started = false;

  function start() {
    if (started) return;
    started = true;
    var mode = setting(rawSettings, 'thread');
    if (mode === 'main' || typeof Worker !== 'function') return startMain('');
    startWorker(function (cause) {
      if (mode === 'worker') return fail(new Error(PREFIX + 'could not run the module in a Web Worker: ' + cause + NOT_FORWARDED + workerAdvice));
      console.info(PREFIX + 'running on the main thread: ' + cause);
      startMain(cause);
    });
  }

  function startWorker(fallback) {
    var url = fileUrl('workerUrl', WORKER_FILE), w, up = false, timer = 0, given = false;
    function giveUp(cause) {
      if (given) return;
      given = true;
      clearTimeout(timer);
      try { w.terminate(); } catch (e) { /* never started */ }
      fallback(cause);
    }
    try {
      var src = url;
      if (new URL(url).origin !== location.origin) {
        // A Worker must come from the page's origin; a blob one may import the script from a CDN.
        src = URL.createObjectURL(new Blob(['importScripts(' + JSON.stringify(url) + ');'], { type: 'text/javascript' }));
      }
      w = new Worker(src);
    } catch (e) {
      return giveUp('new Worker() threw (' + errorText(e) + ')');
    }
    timer = setTimeout(function () { giveUp('the worker did not start within ' + WORKER_START_MS + ' ms'); }, WORKER_START_MS);
    w.onerror = function (e) {
      var why = (e && e.message) || 'the worker script did not run (is ' + url + ' served? does the Content-Security-Policy allow it in worker-src?)';
      if (!up) { if (e && e.preventDefault) e.preventDefault(); return giveUp('the worker failed to start: ' + why); }
      fail(new Error(PREFIX + 'the module stopped: ' + why));
    };
    w.onmessage = function (e) {
      var d = e.data;
      if (typeof d === 'string') return onAnswer(d);
      if (!d || given) return;
      if (d.t === 'alive') clearTimeout(timer);
      if (d.t === 'ready' && !up) {
        up = true;
        clearTimeout(timer);
        attach({ post: function (text) { w.postMessage(text); } }, 'worker');
      }
      if (d.t === 'fail') {
        if (!up) { workerAdvice = d.advice || ''; return giveUp('the module did not load in the worker: ' + d.message); }
        fail(new Error(PREFIX + 'the module stopped: ' + d.message));
      }
      if (d.t === 'exit') fail(new Error(PREFIX + 'the module exited'));
    };
    w.postMessage({ t: 'init', wasm: fileUrl('wasmUrl', WASM_FILE), integrity: WASM_INTEGRITY, init: initText() });
  }

  // startMain runs the module on the page's main thread: the worker script, added as a page script,
  // hands over Go's runtime, which runs against a private scope so its globals never land on window.
  function startMain(workerCause) {
    var url = fileUrl('workerUrl', WORKER_FILE), wasm = fileUrl('wasmUrl', WASM_FILE);
    function failed(e) { fail(loadError(wasm, e, workerCause)); }
    try {
      var tag = document.createElement('script');
      tag.src = url;
      if (WORKER_INTEGRITY) { tag.integrity = WORKER_INTEGRITY; tag.crossOrigin = 'anonymous'; }
      tag.addEventListener('userpilot-heap-bridge-runtime', function (e) {
        var step = null;
        e.detail(win, wasm, WASM_INTEGRITY, {
          init: initText(),
          attach: function (f) {
            step = f;
            attach({ post: function (text) { onAnswer(step(text)); } }, 'main');
          },
          fail: function (message) { failed(new Error(message)); }
        }, function () { fail(new Error(PREFIX + 'the module exited')); }).catch(failed);
      });
      tag.onerror = function () {
        var e = new Error('could not load the worker script ' + url + ' (missing, refused by the Content-Security-Policy, or not the file this loader was built with)');
        e.advice = '. Check that ' + url + ' is served: copy dist/ whole (the .js, .worker.js and .wasm side by side), or set userpilotHeapBridgeSettings.workerUrl to where the .worker.js is';
        failed(e);
      };
      (document.head || document.documentElement).appendChild(tag);
    } catch (e) {
      failed(e);
    }
  }

  // loadError says the module could not load from url and why (the worker script's explain()),
  // then, once, what to do.
  function loadError(url, e, workerCause) {
    return new Error(PREFIX + 'could not load the module from ' + url + ': ' + errorText(e, 400) +
      (workerCause ? ' (in a worker: ' + workerCause + ')' : '') + NOT_FORWARDED + (e.advice || workerAdvice));
  }

  // scheduleStart applies the load setting: "eager" now, "idle" when the browser is idle,
  // "first-event" when the first Userpilot event arrives (see deliver).
  function scheduleStart() {
    var mode = setting(rawSettings, 'load');
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
    if (setting(rawSettings, 'load') !== 'first-event') start();
  }

  // The pre-tag stub (README) queued calls made before this tag ran: replay them in order, and
  // take any a page still makes through a reference it kept to the stub.
  var stubQueue = existing && Array.isArray(existing._q) ? existing._q : null;
  function replay(c) {
    try {
      var result = api[c[0]].apply(api, c[1]);
      if (c[2]) result.then(c[2], c[3]);
    } catch (e) { reportLater(e); }
  }
  if (stubQueue) {
    stubQueue.splice(0).forEach(replay);
    stubQueue.push = function (c) { replay(c); return 0; };
  }

  trapGlobal('userpilotSettings', offerInterface);
  trapGlobal('userpilot', hook);
  mirrorHeap();
  claimStored();
  // A microtask later, so configure() called in the same task (a bundle's import) applies first.
  Promise.resolve().then(scheduleStart);
})();
