// The channel to the module: it owns the queue of entries held before the module runs, the
// messages in flight and what became of the calls each answer carried (bridge/message.go,
// bridge/answer.go). Entries are [kind, name, ref, task, at, arg...].
import { PREFIX, errorText } from './text.js';
import { settings, setting, now, reportLater } from './page.js';
import { snapshot, refOf } from './snapshot.js';
import { heapState, callHeap } from './heap.js';
import { toUserpilot } from './mirror.js';
import { relay, beaconed, setStandby } from './relay.js';
import { started, start } from './loading.js';
import { upUser } from './hooks.js';
import { MESSAGE_VERSION, RECEIVED, MIRRORED } from './protocol.gen.js';

var MAX_QUEUE = 1000; // entries held before the module runs
export var CHUNK = 500; // entries per message, so one burst never makes one long task

export var queue = [], overflow = 0, lost = 0, broken = 0; // lost: module gone; broken: a batch it failed on
export var transport = null, failure = null, thread = '';
// Each received event carries an id and the identity it came with, kept if the page is left before
// the module answers (leaving.js); pageId makes the ids unique to this page.
export var pageId = Math.random().toString(36).slice(2) + Date.now().toString(36);
var stamped = 0;

// task numbers the synchronous run a delivery happens in; it advances at the next microtask.
var task = 1, taskOpen = false;
export function currentTask() {
  if (!taskOpen) {
    taskOpen = true;
    Promise.resolve().then(function () { task++; taskOpen = false; });
  }
  return task;
}

// isEvent tells the entries that are received events, isMirrored the page's Heap calls to mirror
// (bridge/protocol.go): the loader counts them until the module answers.
export function isEvent(e) { return isIn(RECEIVED, e); }
export function isMirrored(e) { return isIn(MIRRORED, e); }
function isIn(table, e) { var k = table[e[0]]; return (k && k[e[1]] || k) === 1; }

export function deliver(e) {
  if (failure) { if (isEvent(e)) lost++; return; }
  if (transport) { outbox.push(e); return schedule(); }
  if (queue.length < MAX_QUEUE) queue.push(e);
  else if (isEvent(e) && !overflow++) console.warn(PREFIX + MAX_QUEUE + ' entries arrived before the module loaded; later events are dropped as queue_full');
  if (!started && isEvent(e) && setting(settings, 'load') === 'first-event') start();
}

export function entry(kind, name, args, payload) {
  var e = [kind, name, refOf(payload), currentTask(), now()];
  for (var i = 0; i < args.length; i++) e.push(snapshot(args[i]));
  if (isEvent(e)) { e.id = pageId + '-' + ++stamped; e.who = upUser; }
  return e;
}

// send hands what a Userpilot call carried to Go; nothing it does may break the caller.
export function send(kind, name, args, payload) {
  try { deliver(entry(kind, name, args, payload)); } catch (e) { reportLater(e); }
}

// ---- messages to the module and its answers ----
export var outbox = [];
var scheduled = false;
export var posted = 0, applied = 0; // messages posted, answers applied; answer n belongs to message n
export var inFlight = [], mirrorInFlight = []; // events, and Heap calls to mirror, in each message not yet answered
// The entries of each message not yet answered; events posted, numbered as the module numbers them
// (bridge.Input.Num); the numbers of events another page claimed, whose calls are not made.
var sentEntries = [], numbered = 0, given = Object.create(null);
// kept: the answered events the module still holds (answer "o": for window.heap, consent or the
// page's identity), which the page stores if it is hidden.
var kept = [];
// answering: the events of the answer being applied whose calls are not made yet. Firefox stops a
// closing tab's script where it is, then runs pagehide, which stores them.
var answering = [];
// holding, while true, keeps answers aside (a page that stored its events waits to learn whether
// another page claimed them); held are those answers.
var holding = null, held = [];
// unstore(id) is called just before an event's call: a page taking its stored events back while
// hidden keeps each in storage until then (persist.js).
var unstore = null;
export function holdAnswers(test, beforeCall) { holding = test; unstore = beforeCall; }
var bounced = [], failed = [], skipped = []; // what became of calls, told with the next message
// owed: calls given back (window.heap could not take them) -> the message that told the module.
// No later call is made before they come again, or an answer written after that message no
// longer holds them ("h": they went to the relay).
var owed = Object.create(null), lowest = Infinity;
// The module counts a call as made when it answers with it. Until the module has answered the
// message that told it of a call (to Heap or Userpilot) that failed or went back (settleAt),
// stats() shows its counters as if the calls not yet confirmed were not made ("z").
export var settleAt = 0;
var lastState = -1, need = 1, readyAt = 0;
export var lastStats = null, unmadeStats = null;
// mayPersist is the module's word from its last answer: the page may store its pending events when
// hidden (persist on, consent granted); null before the first answer.
export var mayPersist = null;

export function schedule() {
  if (scheduled || !transport) return;
  scheduled = true;
  Promise.resolve().then(flush);
}

// flush posts what is waiting, entries or what became of calls, and nothing when nothing is. On the
// main thread one chunk runs per task, so a burst of events never becomes one long task; a Worker
// takes every chunk at once and answers each in its own task.
export function flush(all) {
  scheduled = false;
  while (transport && (outbox.length || bounced.length + failed.length + skipped.length)) {
    post(outbox.splice(0, CHUNK));
    if (outbox.length && thread === 'main' && all !== true) {
      scheduled = true;
      return setTimeout(flush, 0);
    }
  }
}

// A Worker that stops answering (killed by the browser, say) would leave events pending forever:
// after STALL_MS without an answer while messages wait, the module is taken as stopped. The timer
// runs to STALL_MS after the last sign of life, not a whole STALL_MS more (10 s, not up to 20).
var STALL_MS = 10000, lastProgress = 0, watchdog = 0;
function watch() {
  if (watchdog || thread !== 'worker' || !inFlight.length) return;
  watchdog = setTimeout(function () {
    watchdog = 0;
    if (!inFlight.length) return;
    if (now() - lastProgress >= STALL_MS) return fail(new Error(PREFIX + 'the module stopped: the Web Worker has not answered for ' + STALL_MS / 1000 + ' s'));
    watch();
  }, lastProgress + STALL_MS - now());
}

// progress notes the module as alive (a page back from the back/forward cache was not waiting on it).
export function progress() { lastProgress = now(); }

export function count(entries, is) {
  var n = 0;
  for (var i = 0; i < entries.length; i++) if (is(entries[i])) n++;
  return n;
}

function post(entries) {
  var events = count(entries, isEvent), i;
  for (i = 0; i < entries.length; i++) if (isEvent(entries[i])) entries[i].k = ++numbered;
  lastState = heapState();
  var msg = [MESSAGE_VERSION, events, applied, now(), lastState, bounced, failed, skipped].concat(entries);
  posted++;
  for (i = 0; i < bounced.length; i++) owed[bounced[i]] = posted;
  if (settleAt === Infinity) settleAt = posted;
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

export function onAnswer(text) {
  if (holding && holding()) return held.push(text);
  var events = inFlight.shift() || 0, number = applied + 1, a;
  mirrorInFlight.shift();
  var sent = sentEntries[0] || [], byK = {}, i, seq; // pending until answering holds those not yet made
  lastProgress = now();
  try { a = JSON.parse(text); } catch (e) { a = { x: 'unreadable answer' }; }
  if (a.x) {
    sentEntries.shift();
    applied = number;
    broken += events;
    console.error(PREFIX + 'the module failed on a batch (' + a.x + '); its ' + events + ' events are counted as internal_error');
    return afterAnswer();
  }
  lastStats = a.s;
  unmadeStats = a.z || a.s;
  need = a.n;
  mayPersist = a.k;
  var calls = a.c;
  kept.concat(sent).forEach(function (e) { if (e.k) byK[e.k] = e; });
  answering = calls.map(function (c) { return byK[c[5]]; }); // by call; none where it carries no event of these
  if (a.o) {
    var o = new Set(a.o);
    kept = kept.concat(sent).filter(function (e) { return o.has(e.k); });
  }
  sentEntries.shift();
  if (lowest < Infinity) {
    var still = Object.create(null);
    for (i = 0; i < a.h.length; i++) still[a.h[i]] = true;
    for (i = 0; i < calls.length; i++) still[calls[i][0]] = true;
    for (seq in owed) if (owed[seq] && owed[seq] <= number && !still[seq]) release(seq);
  }
  for (i = 0; i < calls.length; i++) {
    seq = calls[i][0];
    if (answering[i] && unstore) unstore(answering[i].id);
    answering[i] = 0; // before the call: a page cut short in it does not store the event too
    if (seq <= lowest && apply(calls[i])) {
      if (seq in owed) release(seq);
      continue;
    }
    owed[seq] = 0; // numbered when the message telling the module is posted
    lowest = Math.min(lowest, seq);
    bounced.push(seq);
    settleAt = Infinity;
  }
  applied = number;
  for (i = 0; i < a.u.length; i++) if (!toUserpilot(a.u[i])) settleAt = Infinity;
  for (i = 0; i < a.m.length; i++) say(a.m[i][0], a.m[i][1]);
  for (i = 0; i < a.r.length; i++) relay.apply(null, a.r[i]);
  if (a.b) setStandby(a.b);
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
  if (bounced.length + failed.length + skipped.length) { outbox.length ? schedule() : flush(); }
  if (readyAt && applied >= readyAt) { readyAt = 0; readyResolve(); }
}

function say(level, text) {
  try { (console[level] || console.log).call(console, text); } catch (e) { /* a replaced console */ }
}

// apply makes one call on whatever Heap is there now. It returns false when that Heap cannot take
// it any more (the call goes back to the module); a call that throws is reported as failed.
function apply(c) {
  if (c[1] === 'track' && beaconed[c[4]]) { skipped.push(c[0]); return true; }
  if (c[1] === 'track' && given[c[5]]) return true; // another page claimed it from storage
  var made = callHeap(c, need);
  if (made === true || made === false) return made;
  failed.push([c[0], made]);
  settleAt = Infinity;
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

// ---- readiness ----
var readyResolve, readyReject;
export var readyPromise = new Promise(function (resolve, reject) { readyResolve = resolve; readyReject = reject; });
readyPromise.catch(function () {}); // a page that never asks must not see an unhandled rejection

// attach starts talking to a running module: the queue goes first, and ready() resolves once the
// module has answered it.
export function attach(t, where) {
  transport = t;
  thread = where;
  outbox = queue;
  queue = [];
  if (!outbox.length) post([]);
  flush();
  readyAt = posted + Math.ceil(outbox.length / CHUNK);
  if (applied >= readyAt) { readyAt = 0; readyResolve(); }
}

export function fail(err) {
  if (failure) return;
  failure = err;
  transport = null;
  // Everything the module has not answered can no longer be forwarded: count it.
  var waiting = queue.concat(outbox);
  for (var i = 0; i < waiting.length; i++) if (isEvent(waiting[i])) lost++;
  for (i = 0; i < inFlight.length; i++) lost += inFlight[i];
  queue = []; outbox = []; inFlight = []; mirrorInFlight = []; sentEntries = []; kept = [];
  poll(false);
  wake(0);
  console.error(err.message);
  readyReject(err);
}

export function waitingEvents() {
  var n = count(queue, isEvent) + count(outbox, isEvent);
  for (var i = 0; i < inFlight.length; i++) n += inFlight[i];
  return n;
}

// undelivered lists the entries the module holds or has not answered, oldest first.
export function undelivered() {
  return [].concat(kept, answering.filter(Boolean), ...sentEntries, outbox, queue);
}

// giveAway drops the events another page claimed (by id): unsent ones leave the queue, sent ones
// are not made once the held answers are applied, and the module is told which they were.
export function giveAway(ids) {
  var gone = Object.create(null), nums = [], list = held;
  ids.forEach(function (id) { gone[id] = 1; });
  function keep(e) { return !gone[e.id]; }
  queue = queue.filter(keep);
  outbox = outbox.filter(keep);
  kept.concat.apply(kept, sentEntries).forEach(function (e) { if (gone[e.id]) nums.push(given[e.k] = e.k); });
  kept = kept.filter(keep);
  held = [];
  list.forEach(onAnswer);
  if (nums.length) deliver(entry('given', '', nums, null));
}

// deliverFirst puts entries before everything the module has not been sent yet.
export function deliverFirst(list) {
  if (transport) list.forEach(deliver);
  else queue = list.concat(queue);
}
