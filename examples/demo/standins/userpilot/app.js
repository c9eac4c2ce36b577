// Userpilot stand-in: the full SDK (app.js). Builds the real `userpilot` object, replays the
// shim's queue, then swaps it in by assignment, as the real SDK does.
(function () {
  "use strict";
  var settings = window.userpilotSettings || {};
  var listMode = settings.standInOnMode === "list"; // "single" (default): one handler per event name
  var control = window.userpilotStandIn || (window.userpilotStandIn = { handlerErrors: [] });
  if (!control.handlerErrors) control.handlerErrors = [];

  function hashOf(s) {
    var h = 5381;
    for (var i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0;
    return h.toString(36);
  }
  var userKey = "userpilotUserId" + hashOf(String(settings.token || ""));
  function store(key, value) {
    try { value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value); } catch (e) { /* blocked */ }
  }

  // name -> [{fn, once}]; in single mode the array never holds more than one entry.
  var handlers = Object.create(null);
  function add(name, fn, once) {
    if (typeof fn !== "function") return;
    var entry = { fn: fn, once: once };
    if (listMode && handlers[name]) handlers[name].push(entry);
    else handlers[name] = [entry];
  }

  var state = { userId: null, anonymousId: null, suppressed: false, calls: [] };

  // Userpilot's native Heap integration (the dashboard toggle), off unless
  // userpilotSettings.standInNativeHeap is true. Its Heap is integrations_interfaces.heap, read at
  // call time, else window.heap. Settings are read live so a page (or the npm wrapper) can
  // reassign window.userpilotSettings after this file ran.
  function liveSettings() { return window.userpilotSettings || settings; }
  function nativeOn() { return liveSettings().standInNativeHeap === true; }
  function integrationHeap() {
    var s = liveSettings(), ii = s && s.integrations_interfaces;
    return (ii && ii.heap) || window.heap;
  }
  function nativeHeapCall(method, args) {
    var heap = integrationHeap();
    if (!heap || typeof heap[method] !== "function") return undefined;
    try { return heap[method].apply(heap, args); } catch (err) {
      // Userpilot's SDK guards its integrations; record it so tests still see the throw.
      control.handlerErrors.push({ event: "heap." + method, message: String(err && err.message || err) });
      console.error("userpilot stand-in: heap." + method + " threw:", err);
    }
  }
  var EXPERIENCE_EVENTS = ["started", "step", "completed", "dismissed"];
  // nativeExperience sends what the integration sends for an experience event.
  function nativeExperience(name, payload) {
    var p = payload && typeof payload === "object" ? payload : {};
    var props = { type: "flow" };
    try {
      props = { id: p.id, token: p.token, type: "flow" };
      if (p.step !== undefined) props.step = p.step;
      if (p.totalSteps !== undefined) props.total_steps = p.totalSteps;
    } catch (err) { /* a payload getter threw; send what was read */ }
    var send = function () { nativeHeapCall("track", ["Userpilot Experience (" + name + ")", props]); };
    var delay = liveSettings().standInNativeHeapDelay;
    if (typeof delay === "number" && delay >= 0) setTimeout(send, delay);
    else send();
  }
  function note(method, args) { state.calls.push({ method: method, args: Array.prototype.slice.call(args) }); }

  var full = {
    initialized: true,
    initializing: function () { return false; },
    identify: function (userId, data) {
      note("identify", arguments);
      if (typeof userId !== "string" && typeof userId !== "number") {
        console.error("userpilot msg: user id can only be of type string or number");
        return;
      }
      state.userId = String(userId);
      state.anonymousId = null;
      store(userKey, String(userId));
      store("userpilot-un-id", null);
      if (nativeOn()) {
        nativeHeapCall("identify", [String(userId)]);
        if (data) nativeHeapCall("addUserProperties", [data]);
      }
    },
    anonymous: function () {
      note("anonymous", arguments);
      state.userId = null;
      state.anonymousId = String(settings.token || "") + "_" + Math.random().toString(36).slice(2);
      store(userKey, null);
      store("userpilot-un-id", state.anonymousId);
    },
    clean: function () {
      note("clean", arguments);
      state.userId = null;
      state.anonymousId = null;
      try {
        Object.keys(localStorage).forEach(function (k) { if (k.indexOf("userpilot") === 0) localStorage.removeItem(k); });
      } catch (e) { /* blocked */ }
    },
    on: function (name, fn) { add(name, fn, false); },
    once: function (name, fn) { add(name, fn, true); },
    off: function (name) { delete handlers[name]; },
    reload: function () { note("reload", arguments); },
    track: function () { note("track", arguments); },
    trigger: function () { note("trigger", arguments); },
    end: function () { note("end", arguments); },
    reset: function () { note("reset", arguments); },
    group: function () { note("group", arguments); },
    locale: function () { note("locale", arguments); },
    log: function () {},
    theme: function () {}, preview: function () {},
    next: function () {}, prev: function () {},
    suppress: function () { state.suppressed = true; },
    unsuppress: function () { state.suppressed = false; },
    destroy: function () { handlers = Object.create(null); },
    isRunning: function () { return {}; },
    getToken: function () { return settings.token; },
    getNoConflictKey: function () { return ""; }
  };

  // Replay what the stub queued, method by method, then empty the queue like the real SDK. Tests
  // can ask for other SDK behaviours (userpilotSettings.standInReplay): "log" replays the shim's
  // ordered log of copies of each call, "none" replays nothing.
  var q = window.userpilotCallMethods || {};
  var replayMode = settings.standInReplay || "arrays";
  var replay = {
    identify: function (e) { full.identify(e.userid, e.data); },
    on: function (e) { full.on(e.name, e.fn); },
    once: function (e) { full.once(e.name, e.fn); },
    off: function (e) { full.off(e.name); },
    anonymous: function () { full.anonymous(); },
    clean: function () { full.clean(); },
    reload: function (e) { full.reload(e.data); },
    track: function (e) { full.track(e.title, e.meta); },
    trigger: function (e) { full.trigger(e.token, e.metadata); },
    end: function (e) { full.end(e.data); },
    reset: function () { full.reset(); },
    suppress: function () { full.suppress(); },
    unsuppress: function () { full.unsuppress(); },
    group: function (e) { full.group(e.companyId, e.data); },
    locale: function (e) { full.locale(e.data); }
  };
  if (replayMode === "log") {
    (control.callLog || []).forEach(function (c) { if (replay[c[0]]) replay[c[0]](c[1]); });
  } else if (replayMode === "arrays") {
    Object.keys(replay).forEach(function (name) {
      (Array.isArray(q[name]) ? q[name] : []).forEach(replay[name]);
    });
  }
  control.callLog = [];
  Object.keys(q).forEach(function (name) { if (Array.isArray(q[name])) q[name].length = 0; });

  // Test and demo controls live on userpilotStandIn, never on userpilot itself.
  function emit(name, payload) {
    var native = nativeOn() && EXPERIENCE_EVENTS.indexOf(name) >= 0;
    var first = native && liveSettings().standInNativeFirst === true;
    if (first) nativeExperience(name, payload);
    emitToHandlers(name, payload);
    if (native && !first) nativeExperience(name, payload);
  }
  function emitToHandlers(name, payload) {
    var list = (handlers[name] || []).slice();
    handlers[name] = (handlers[name] || []).filter(function (h) { return !h.once; });
    if (!handlers[name].length) delete handlers[name];
    list.forEach(function (h) {
      try { h.fn(payload); } catch (err) {
        // The real SDK keeps going; record it so tests can still see a throwing handler.
        control.handlerErrors.push({ event: name, message: String(err && err.message || err) });
        console.error("userpilot stand-in: handler for '" + name + "' threw:", err);
      }
    });
  }
  var flow = null;
  control.emit = function (name, payload) { emit(name, payload); };
  control.handlers = function (name) { return (handlers[name] || []).length; };
  control.state = function () { return { userId: state.userId, anonymousId: state.anonymousId, calls: state.calls.slice() }; };
  control.startFlow = function (id, token, totalSteps) {
    flow = { id: id, token: token, step: 1, totalSteps: totalSteps };
    emit("started", { id: id, token: token });
    emit("step", { id: id, token: token, step: 1, totalSteps: totalSteps });
  };
  control.nextStep = function () {
    if (!flow) return;
    if (flow.step >= flow.totalSteps) { control.complete(); return; }
    flow.step++;
    emit("step", { id: flow.id, token: flow.token, step: flow.step, totalSteps: flow.totalSteps });
  };
  control.complete = function () {
    if (!flow) return;
    var f = flow; flow = null;
    emit("completed", { id: f.id, token: f.token });
  };
  control.dismiss = function () {
    if (!flow) return;
    var f = flow; flow = null;
    emit("dismissed", { id: f.id, token: f.token });
  };
  // Native integration controls: each calls the integration's Heap (regardless of the toggle).
  control.checklist = function (action, props) { nativeHeapCall("track", ["Userpilot Checklist (" + action + ")", props]); };
  control.nps = function (action, props) { nativeHeapCall("track", ["Userpilot NPS (" + action + ")", props]); };
  control.form = function (props) { nativeHeapCall("track", ["Form Submissions", props]); };
  control.survey = function (props) { nativeHeapCall("track", ["Userpilot Survey (submitted)", props]); };
  control.nativeTrack = function (name, props) { nativeHeapCall("track", [name, props]); };
  control.nativeCall = function (method) { return nativeHeapCall(method, Array.prototype.slice.call(arguments, 1)); };
  control.integrationHeap = integrationHeap;
  // reloadSdk runs app.js again: a new SDK object with no handlers replaces this one (a hot reload).
  control.reloadSdk = function () {
    return new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = control.appUrl + "?reload=" + Date.now();
      s.onload = resolve;
      (document.head || document.documentElement).appendChild(s);
    });
  };
  control.currentFlow = function () { return flow && { id: flow.id, token: flow.token, step: flow.step, totalSteps: flow.totalSteps }; };

  window.userpilot = full;
  control.loaded = true;
  if (control._resolveReady) control._resolveReady();
  else control.ready = Promise.resolve();
})();
