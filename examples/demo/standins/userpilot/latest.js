// Userpilot stand-in: the loading shim (latest.js). Mimics the real shim's stub and
// queue (userpilotCallMethods) so the stub-then-swap life cycle can be tested offline.
(function () {
  "use strict";
  if (window.userpilot && (window.userpilot.initializing || window.userpilot.initialized)) return;

  var settings = window.userpilotSettings || (window.userpilotSettings = {});
  var names = ["identify", "locale", "group", "anonymous", "reload", "track", "trigger", "end",
    "reset", "clean", "getData", "suppress", "unsuppress", "on", "off", "once", "log", "theme", "preview"];
  var q = window.userpilotCallMethods || {};
  names.forEach(function (n) { if (!Array.isArray(q[n])) q[n] = []; });
  if (!("destroy" in q)) q.destroy = false;
  window.userpilotCallMethods = q;

  // Resolve app.js against this script, like the real shim does against its CDN domain.
  var shimSrc = (document.currentScript && document.currentScript.src) || location.href;
  var appUrl = new URL("version/" + (settings.version || "1.788") + "/app.js", shimSrc).href;

  var resolveReady;
  var control = window.userpilotStandIn || (window.userpilotStandIn = {});
  control.loaded = false;
  control.handlerErrors = control.handlerErrors || [];
  control.ready = new Promise(function (r) { resolveReady = r; });
  control._resolveReady = resolveReady;
  control.appUrl = appUrl;

  var injected = false;
  function inject() {
    if (injected) return;
    injected = true;
    var s = document.createElement("script");
    s.async = true;
    s.src = appUrl;
    (document.head || document.documentElement).appendChild(s);
  }
  control.loadSdk = inject;
  function load() { if (settings.standInAutoLoad !== false) inject(); }

  // Same storage the real shim writes, so a reloaded page (or a late bridge) can find the user.
  function storageKey() { return "userpilotUserId" + hashOf(String(settings.token || "")); }
  function hashOf(s) {
    var h = 5381;
    for (var i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0;
    return h.toString(36);
  }
  control.hashOf = hashOf;
  control.storageKey = storageKey;

  // The queue by method, as the real shim keeps it, and an ordered log of copies of each call, for
  // tests of an SDK that replays its own record instead of the queue (userpilotSettings.standInReplay).
  control.callLog = [];
  function push(name, entry) {
    window.userpilotCallMethods[name].push(entry);
    control.callLog.push([name, Object.assign({}, entry)]);
  }
  window.userpilot = {
    initialized: -1,
    initializing: function () { return true; },
    init: function () {}, initV2SDK: function () {},
    isRunning: function () { return {}; },
    next: function () {}, prev: function () {}, getToken: function () {}, getNoConflictKey: function () {},
    identify: function (t, e) {
      if (typeof t === "string" || typeof t === "number") {
        try { localStorage.setItem(storageKey(), String(t)); } catch (err) { /* storage may be blocked */ }
      }
      push("identify", { userid: t, data: e }); load();
    },
    anonymous: function (t) { push("anonymous", { data: t }); load(); },
    on: function (t, e) { push("on", { name: t, fn: e }); },
    once: function (t, e) { push("once", { name: t, fn: e }); },
    off: function (t) { push("off", { name: t }); },
    track: function (t, e) { push("track", { title: t, meta: e }); },
    trigger: function (t, e) { push("trigger", { token: t, metadata: e }); },
    reload: function (t) { push("reload", { data: t }); },
    end: function (t) { push("end", { data: t }); },
    reset: function () { push("reset", {}); },
    clean: function () { push("clean", {}); },
    suppress: function () { push("suppress", {}); },
    unsuppress: function () { push("unsuppress", {}); },
    group: function (t, e) { push("group", { companyId: t, data: e }); },
    locale: function (t) { push("locale", { data: t }); },
    log: function (t) { push("log", { data: t }); },
    theme: function (t) { push("theme", { name: t }); },
    preview: function (t, e) { push("preview", { component: t, object: e }); },
    destroy: function () { window.userpilotCallMethods.destroy = true; }
  };

  // The real shim loads app.js at once when a user is remembered from an earlier page.
  try { if (localStorage.getItem(storageKey()) !== null) load(); } catch (err) { /* no storage */ }
})();
