// Heap stand-in: the loaded SDK. Records every call, checks it against Heap's web limits,
// replays what the classic or heap.js 5 snippet queued, and renders calls into #heap-calls.
(function () {
  "use strict";
  var rec = window.heapStandIn || (window.heapStandIn = {});
  rec.calls = rec.calls || [];
  rec.violations = rec.violations || [];
  rec.replayed = 0;
  rec.loaded = false;

  var MERGE_RISK = ["", "null", "undefined", "nan", "0", "-1", "user", "guest", "anonymous", "unknown", "none", "n/a", "test"];
  var FORBIDDEN_KEYS = ["__proto__", "constructor", "prototype"];

  function violation(method, problem) { rec.violations.push({ method: method, problem: problem }); }
  function endsInsideSurrogatePair(s) {
    var c = s.charCodeAt(s.length - 1);
    return c >= 0xd800 && c <= 0xdbff;
  }

  // Deep copy for the record: calls are kept as they looked at call time, cycles and all.
  function copy(v, seen) {
    if (typeof v === "function") return "[Function]";
    if (typeof v === "symbol") return String(v);
    if (v === null || typeof v !== "object") return v;
    if (seen.indexOf(v) >= 0) return "[Circular]";
    seen = seen.concat([v]);
    if (Array.isArray(v)) return v.map(function (x) { return copy(x, seen); });
    var out = {};
    Object.keys(v).forEach(function (k) {
      var value;
      try { value = copy(v[k], seen); } catch (e) { value = "[Throws]"; }
      Object.defineProperty(out, k, { value: value, enumerable: true, writable: true, configurable: true });
    });
    return out;
  }

  function checkName(method, name) {
    if (typeof name !== "string" || name.length === 0) return violation(method, "event name is not a non-empty string");
    if (name.length > 255) violation(method, "event name longer than 255: " + name.length);
    if (endsInsideSurrogatePair(name)) violation(method, "event name ends in a lone high surrogate");
  }

  function checkProps(method, props, maxValue) {
    if (props === undefined) return;
    if (props === null || typeof props !== "object" || Array.isArray(props)) return violation(method, "properties are not an object");
    var proto = Object.getPrototypeOf(props);
    if (proto !== Object.prototype && proto !== null) violation(method, "properties are not a plain object");
    Reflect.ownKeys(props).forEach(function (k) {
      if (typeof k !== "string") return violation(method, "symbol property key");
      if (k === "") violation(method, "empty property key");
      if (k.length >= 512) violation(method, "property key of 512 or more: " + k.length);
      if (FORBIDDEN_KEYS.indexOf(k) >= 0) violation(method, "forbidden property key " + k);
      var d = Object.getOwnPropertyDescriptor(props, k);
      if (!("value" in d)) return violation(method, "accessor property " + k);
      var v = d.value;
      if (typeof v === "string") {
        if (v.length > maxValue) violation(method, "value of " + k + " longer than " + maxValue + ": " + v.length);
        if (v.length && endsInsideSurrogatePair(v)) violation(method, "value of " + k + " ends in a lone high surrogate");
      } else if (typeof v === "number") {
        if (!isFinite(v)) violation(method, "value of " + k + " is not a finite number");
      } else if (typeof v !== "boolean") {
        violation(method, "value of " + k + " has type " + (v === null ? "null" : typeof v));
      }
    });
  }

  function checkIdentity(method, id) {
    if (typeof id !== "string") return violation(method, "identity is not a string: " + typeof id);
    if (id.length === 0 || id.length > 255) return violation(method, "identity length " + id.length);
    if (MERGE_RISK.indexOf(id.trim().toLowerCase()) >= 0) violation(method, "identity would merge users: " + JSON.stringify(id));
  }

  var checks = {
    track: function (a) { checkName("track", a[0]); checkProps("track", a[1], 1023); },
    identify: function (a) { checkIdentity("identify", a[0]); },
    addUserProperties: function (a) { checkProps("addUserProperties", a[0], 1023); },
    addEventProperties: function (a) { checkProps("addEventProperties", a[0], 1023); }
  };

  var state = { identity: null, userId: String(Math.floor(Math.random() * 1e15)), eventProperties: {} };
  var real = {};
  function method(name, impl) {
    real[name] = function () {
      var args = Array.prototype.slice.call(arguments);
      rec.calls.push({ method: name, args: copy(args, []) });
      if (checks[name]) checks[name](args);
      render();
      return impl ? impl.apply(real, args) : undefined;
    };
  }
  method("track");
  method("identify", function (id) { if (typeof id === "string" && id) state.identity = id; });
  method("identifyHashed");
  method("resetIdentity", function () { state.identity = null; state.userId = String(Math.floor(Math.random() * 1e15)); });
  method("getIdentity", function () { return state.identity; });
  method("getUserId", function () { return state.userId; });
  method("getSessionId", function () { return "session-1"; });
  ["addUserProperties", "addEventProperties", "removeEventProperty", "clearEventProperties",
   "setEventProperties", "unsetEventProperty", "addAccountProperties", "init", "startTracking",
   "stopTracking", "addAdapter", "addTransformer", "addTransformerFn", "addPageviewProperties",
   "removePageviewProperty", "clearPageviewProperties", "trackPageview"].forEach(function (n) { method(n); });
  method("onReady", function (fn) { if (typeof fn === "function") fn(); });

  var old = window.heap;
  ["appid", "config", "envId", "clientConfig"].forEach(function (k) { if (old && old[k] !== undefined) real[k] = old[k]; });
  real.loaded = true;
  real.version = "stand-in";

  // Swap first: heap.js 5 queue entries call the global `heap`, which must be the real one.
  window.heap = real;
  if (Array.isArray(old)) {
    old.forEach(function (entry) {
      if (!Array.isArray(entry) || typeof real[entry[0]] !== "function") return;
      rec.replayed++;
      real[entry[0]].apply(real, entry.slice(1));
    });
  }
  var cb = window.heapReadyCb;
  if (Array.isArray(cb)) {
    while (cb.length) {
      var e = cb.shift();
      rec.replayed++;
      if (e && typeof e.fn === "function") e.fn();
    }
    cb.push = function (entry) { if (entry && typeof entry.fn === "function") entry.fn(); return 0; };
  }
  rec.loaded = true;

  // Live table for the demo: one row per call.
  function render() {
    var table = document.getElementById("heap-calls");
    if (!table) return;
    var body = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
    for (var i = body.rows.length; i < rec.calls.length; i++) {
      var row = body.insertRow();
      row.insertCell().textContent = String(i + 1);
      row.insertCell().textContent = rec.calls[i].method;
      row.insertCell().textContent = rec.calls[i].args.map(function (a) { return JSON.stringify(a); }).join(", ");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
