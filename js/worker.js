/*! userpilot-heap-bridge __VERSION__ (worker) | MIT */
// The Go module's runtime: Go's wasm_exec.js and the code that fetches and starts the module. In a
// Web Worker (the default) it runs the module and answers the loader's messages; loaded by the
// loader as a page script (the main-thread fallback) it only hands the loader the runtime.
// js/build.mjs bundles it with the parts it shares with the loader (js/src/text.js, js/src/handoff.js).
import { errorText, copyWhole } from './src/text.js';
import { TAG_INIT, TAG_ALIVE, TAG_READY, TAG_FAIL, TAG_EXIT, RUNTIME_EVENT, boot, errorAnswer, crossOrigin } from './src/handoff.js';
import { BOOT_GLOBAL } from './src/protocol.gen.js';

// runtime is Go's wasm_exec.js from the Go release that built the module, run against the scope
// it is given, and returns its Go class (build.mjs puts it in place of __WASM_EXEC__).
var runtime = __WASM_EXEC__;

// notModule names a response that is a web page rather than the module (a single-page app's
// fallback page for paths it does not know), or is '' for anything else.
function notModule(resp) {
  var type = (resp.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml' ? 'the server answered with ' + type + ', not the WebAssembly module' : '';
}

// fileError is a failure of the .wasm file itself, the same on every thread: the loader tries no other.
function fileError(message) {
  var e = new Error(message);
  e.file = true;
  return e;
}

// load fetches the module once and instantiates it. Its sha384 is checked here with WebCrypto, not
// by fetch's integrity option, which reports a plain 404 as an integrity failure; where there is
// no WebCrypto (a page not served over https) fetch checks it. The module compiles as it streams
// in while a copy of the bytes is hashed; it is instantiated only once the hash matches.
function load(url, integrity, imports) {
  var subtle = self.crypto && crypto.subtle;
  return fetch(url, { credentials: 'same-origin', integrity: subtle ? '' : integrity }).then(function (resp) {
    if (!resp.ok) throw fileError('HTTP ' + resp.status + ' ' + resp.statusText);
    if (notModule(resp)) throw fileError(notModule(resp));
    var checked = subtle && integrity ? resp.clone().arrayBuffer().then(function (bytes) { return subtle.digest('SHA-384', bytes); }) : null;
    var compiled = WebAssembly.compileStreaming && /^application\/wasm\b/i.test(resp.headers.get('Content-Type'))
      ? WebAssembly.compileStreaming(resp) : resp.arrayBuffer().then(WebAssembly.compile);
    // A compile error of bytes that are not this build's is not the cause: the hash is told first.
    return Promise.all([checked, compiled.catch(function (e) { return { e: e }; })]).then(function (done) {
      var hash = done[0], module = done[1];
      if (hash && 'sha384-' + btoa(String.fromCharCode.apply(null, new Uint8Array(hash))) !== integrity) {
        throw fileError('its content does not match the sha384 integrity hash this loader was built with; serve the module from the same build as the loader');
      }
      if (module.e) throw module.e;
      return WebAssembly.instantiate(module, imports);
    });
  });
}

// explain turns a failure to load the module from url into an Error that says what went wrong and
// what to do: its message names the cause, its advice (said once, at the end) the remedy.
function explain(url, err) {
  // WebKit ends some messages with a line break: the message is put on one line.
  var msg = errorText(err, 400).replace(/\s+/g, ' ').trim(), advice = '';
  // The engines' words: Chromium and WebKit name the directive, Firefox says "blocked by CSP"; a
  // failed fetch is "Failed to fetch" (Chromium), "NetworkError …" (Firefox), "Load failed" (WebKit).
  if (/Content Security Policy|unsafe-eval|wasm-eval|blocked by CSP/i.test(msg)) {
    msg += " (the page's Content-Security-Policy must allow script-src 'wasm-unsafe-eval')";
  } else if (/Failed to fetch|NetworkError|Load failed/i.test(msg) && crossOrigin(url)) {
    msg += ' (a module on another origin must be served with Access-Control-Allow-Origin; CORS)';
  } else if (/text\/html/.test(msg)) {
    advice = '. ' + url + " answers with a web page, as a single-page app's fallback does: serve the .wasm there, or set userpilotHeapBridgeSettings.wasmUrl to where it is";
  } else if (/HTTP 404/.test(msg)) {
    advice = '. Nothing is served at ' + url + ': ' + copyWhole('wasmUrl', '.wasm');
  }
  var e = new Error(msg);
  e.advice = advice;
  e.file = err.file;
  return e;
}

// run starts the module in scope: the module reads the boot object's init from scope[BOOT_GLOBAL]
// (bridge.BootGlobal) and calls attach(step) once it runs, or fail(message).
function run(scope, url, integrity, bootObject, exited) {
  scope[BOOT_GLOBAL] = bootObject;
  var Go = runtime(scope);
  var go = new Go();
  return load(url, integrity, go.importObject).then(function (instance) {
    go.run(instance).then(exited, exited);
  }, function (err) { throw explain(url, err); });
}

if (typeof document !== 'undefined') {
  // A page script (the main-thread fallback): hand the loader that added this tag a start that
  // runs the module against a private scope, so Go's globals (Go, fs, process, path) never land
  // on the page's window.
  var tag = document.currentScript;
  if (tag) {
    tag.dispatchEvent(new CustomEvent(RUNTIME_EVENT, {
      detail: function (win, url, integrity, bootObject, exited) {
        var own = { fs: undefined, process: undefined, path: undefined, Go: undefined };
        var scope = new Proxy(own, {
          get: function (t, k) { return Object.prototype.hasOwnProperty.call(t, k) ? t[k] : win[k]; },
          set: function (t, k, v) { t[k] = v; return true; },
          has: function (t, k) { return k in t || k in win; },
          deleteProperty: function (t, k) { delete t[k]; return true; }
        });
        return run(scope, url, integrity, bootObject, exited);
      }
    }));
  }
} else {
  var step = null;
  self.onmessage = function (e) {
    var d = e.data;
    if (typeof d === 'string') {
      var answer;
      try { answer = step(d); } catch (err) { answer = errorAnswer(errorText(err, 400)); }
      self.postMessage(answer);
      return;
    }
    if (d && d.t === TAG_INIT && !step) {
      run(self, d.wasm, d.integrity, boot(d.init,
        function (f) { step = f; self.postMessage({ t: TAG_READY }); },
        function (message) { self.postMessage({ t: TAG_FAIL, message: String(message) }); }
      ), function () { self.postMessage({ t: TAG_EXIT }); }).catch(function (err) {
        self.postMessage({ t: TAG_FAIL, message: err.message, advice: err.advice, file: err.file, load: true });
      });
    }
  };
  self.postMessage({ t: TAG_ALIVE });
}
