// Loading the Go module: in a Web Worker where the page allows one, else on the main thread
// (setting "thread"), when the load setting says.
import { PREFIX, errorText, copyWhole } from './text.js';
import { TAG_INIT, TAG_ALIVE, TAG_READY, TAG_FAIL, TAG_EXIT, RUNTIME_EVENT, boot, crossOrigin } from './handoff.js';
import { win, settings, setting, now } from './page.js';
import { snapshot } from './snapshot.js';
import { attach, fail, onAnswer } from './channel.js';

// The files this loader was built with; the module is verified by the browser (Subresource Integrity).
var WASM_FILE = '__WASM_FILE__', WASM_INTEGRITY = '__WASM_INTEGRITY__';
var WORKER_FILE = '__WORKER_FILE__', WORKER_INTEGRITY = '__WORKER_INTEGRITY__';
var WORKER_START_MS = 5000; // a worker that has not run its script by then is given up
var NOT_FORWARDED = '; Userpilot events are not forwarded to Heap on this page';
var script, page;

// noteScript keeps what only the tag's first run knows: the script element, and when the page began.
export function noteScript() {
  script = document.currentScript;
  page = { timeOrigin: win.performance && performance.timeOrigin ? performance.timeOrigin : Date.now() - now(), started: now() };
}

function fileUrl(key, file) {
  var s = setting(settings, key);
  if (typeof s === 'string' && s.trim()) return new URL(s, document.baseURI).href;
  return new URL(file, (script && script.src) || document.baseURI).href;
}

function initText() {
  return JSON.stringify([snapshot(settings), '', page.timeOrigin, page.started]); // '': the module picks the session
}

export var started = false;

export function start() {
  if (started) return;
  started = true;
  var mode = setting(settings, 'thread');
  if (mode === 'main' || typeof Worker !== 'function') return startMain('');
  startWorker(function (cause, file) {
    // A file that is wrong in the worker is wrong on the main thread too: fail once, at once.
    if (file) return fail(loadError(fileUrl('wasmUrl', WASM_FILE), file));
    if (mode === 'worker') return fail(new Error(PREFIX + 'could not run the module in a Web Worker: ' + cause + NOT_FORWARDED));
    startMain(cause);
  });
}

function startWorker(fallback) {
  var url = fileUrl('workerUrl', WORKER_FILE), w, up = false, timer = 0, given = false;
  function giveUp(cause, file) {
    if (given) return;
    given = true;
    clearTimeout(timer);
    try { w.terminate(); } catch (e) { /* never started */ }
    fallback(cause, file);
  }
  try {
    var src = url;
    if (crossOrigin(url)) {
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
    if (d.t === TAG_ALIVE) clearTimeout(timer);
    if (d.t === TAG_READY && !up) {
      up = true;
      clearTimeout(timer);
      attach({ post: function (text) { w.postMessage(text); } }, 'worker');
    }
    if (d.t === TAG_FAIL) {
      if (!up) return giveUp('the module did not load in the worker: ' + d.message, d.file && d);
      fail(new Error(PREFIX + 'the module stopped: ' + d.message));
    }
    if (d.t === TAG_EXIT) fail(new Error(PREFIX + 'the module exited'));
  };
  w.postMessage({ t: TAG_INIT, wasm: fileUrl('wasmUrl', WASM_FILE), integrity: WASM_INTEGRITY, init: initText() });
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
    tag.addEventListener(RUNTIME_EVENT, function (e) {
      var step = null;
      e.detail(win, wasm, WASM_INTEGRITY, boot(initText(), function (f) {
        step = f;
        // Said only once the main thread runs the module, so no such line comes before a failure.
        if (workerCause) console.info(PREFIX + 'running on the main thread: ' + workerCause);
        attach({ post: function (text) { onAnswer(step(text)); } }, 'main');
      }, function (message) { failed(new Error(message)); }), function () { fail(new Error(PREFIX + 'the module exited')); }).catch(failed);
    });
    tag.onerror = function () {
      var e = new Error('could not load the worker script ' + url + ' (missing, refused by the Content-Security-Policy, or not the file this loader was built with)');
      e.advice = '. Check that ' + url + ' is served: ' + copyWhole('workerUrl', '.worker.js');
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
    (workerCause ? ' (in a worker: ' + workerCause + ')' : '') + NOT_FORWARDED + (e.advice || ''));
}

// scheduleStart applies the load setting: "eager" now, "idle" when the browser is idle,
// "first-event" when the first Userpilot event arrives (channel.js, deliver).
export function scheduleStart() {
  var mode = setting(settings, 'load');
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
  if (setting(settings, 'load') !== 'first-event') start();
}
