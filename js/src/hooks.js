// Hooking Userpilot: the stub, its replacement and the npm wrapper all land here. Host handlers
// for our event names are kept by us and run from our own registrations, whichever way
// Userpilot's SDK takes over its stub (replaying its queue, a log, or nothing; one handler per
// name or a list), so each runs once per emit.
import { PREFIX, errorText } from './text.js';
import { win, setting, peek, call, reportLater } from './page.js';
import { currentTask, deliver, entry, send } from './channel.js';
import { ownCall } from './mirror.js';

import { EVENTS, KIND_EVENT, KIND_IDENTIFY, KIND_RESTORE } from './protocol.gen.js';

var SUBSCRIBED = []; // the names listened to: EVENTS and extra ones, added by subscribe
var handlers = Object.create(null); // event name -> host handlers [{fn, once}]
var adopted = Object.create(null); // event names whose handlers were taken from a stub's queue

// extraEventNames reads the extraEvents setting: undocumented `on` events to listen to as well;
// Go validates the setting.
export function extraEventNames(s) {
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
  send(KIND_EVENT, name, [payload], payload);
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

var hooked = new WeakSet();

export function hook(up, late) {
  if (!up || (typeof up !== 'object' && typeof up !== 'function')) return;
  if (hooked.has(up)) return;
  hooked.add(up);
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
    if (!ownCall) { setUser(userId); send(KIND_IDENTIFY, '', [userId, properties], null); }
    return call(orig.identify, this, arguments);
  });
  ['anonymous', 'clean'].forEach(function (m) {
    replace(up, m, function () {
      upUser = null;
      send(m, '', [], null); // the kinds anonymous and clean are the methods' names
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
export var upUser = null;
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

// subscribe adds `on` event names to listen to (the extraEvents setting, at boot or from configure).
export function subscribe(names) {
  names.forEach(function (name) {
    if (isOurs(name)) return;
    SUBSCRIBED.push(name);
    handlers[name] = handlers[name] || [];
    if (latest) register(latest, name);
  });
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
      if (q[i]) { setUser(q[i].userid); deliver(entry(KIND_IDENTIFY, '', [q[i].userid, q[i].data], null)); }
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
      deliver(entry(KIND_RESTORE, '', [parseStored(found[0])], null));
    }
    console.warn(PREFIX + 'loaded after Userpilot; place this tag before Userpilot\'s snippet so no handler or identify call is missed');
  } catch (e) { /* storage is blocked: nothing to recover */ }
}

function parseStored(s) {
  if (s && s.charAt(0) === '"') { try { return JSON.parse(s); } catch (e) { /* raw */ } }
  return s;
}
