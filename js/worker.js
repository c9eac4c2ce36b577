/*! userpilot-heap-bridge __VERSION__ (worker) | MIT */
// The Go module's runtime: Go's wasm_exec.js and the code that fetches and starts the module. In a
// Web Worker (the default) it runs the module and answers the loader's messages; loaded by the
// loader as a page script (the main-thread fallback) it only hands the loader the runtime.
// js/build.mjs bundles it with the parts it shares with the loader (js/src/text.js, js/src/handoff.js).
import { errorText, copyWhole } from './src/text.js';
import { TAG_INIT, TAG_ALIVE, TAG_READY, TAG_FAIL, TAG_EXIT, RUNTIME_EVENT, boot, errorAnswer, crossOrigin } from './src/handoff.js';

// runtime is Go's wasm_exec.js from the Go release that built the module, run against the scope
// it is given, and returns its Go class (build.mjs puts it in place of __WASM_EXEC__).
var runtime = __WASM_EXEC__;

// notModule names a response that is a web page rather than the module (a single-page app's
// fallback page for paths it does not know), or is '' for anything else.
function notModule(resp) {
  var type = (resp.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml' ? 'the server answered with ' + type + ', not the WebAssembly module' : '';
}

// load fetches the module (its bytes checked against integrity) and instantiates it.
function load(url, integrity, imports) {
  return fetch(url, { credentials: 'same-origin', integrity: integrity }).catch(diagnose(url)).then(function (resp) {
    if (!resp.ok) throw new Error('HTTP ' + resp.status + ' ' + resp.statusText);
    if (notModule(resp)) throw new Error(notModule(resp));
    var type = resp.headers.get('Content-Type') || '';
    if (WebAssembly.instantiateStreaming && type.split(';')[0].trim() === 'application/wasm') {
      return WebAssembly.instantiateStreaming(resp, imports);
    }
    return resp.arrayBuffer().then(function (bytes) { return WebAssembly.instantiate(bytes, imports); });
  });
}

// diagnose explains a failed integrity-checked fetch, which the browser reports only as "Failed
// to fetch": a plain fetch tells a missing file from one that is not this build's module.
function diagnose(url) {
  return function (err) {
    return fetch(url, { credentials: 'same-origin' }).then(function (resp) {
      if (!resp.ok) throw new Error('HTTP ' + resp.status + ' ' + resp.statusText);
      if (notModule(resp)) throw new Error(notModule(resp));
      throw new Error('its content does not match the sha384 integrity hash this loader was built with; serve the module from the same build as the loader');
    }, function () { throw err; });
  };
}

// explain turns a failure to load the module from url into an Error that says what went wrong and
// what to do: its message names the cause, its advice (said once, at the end) the remedy.
function explain(url, err) {
  var msg = errorText(err, 400), advice = '';
  if (/Content Security Policy|unsafe-eval|wasm-eval/i.test(msg)) {
    msg += " (the page's Content-Security-Policy must allow script-src 'wasm-unsafe-eval')";
  } else if (/Failed to fetch/i.test(msg) && crossOrigin(url)) {
    msg += ' (a module on another origin must be served with Access-Control-Allow-Origin; CORS)';
  } else if (/text\/html/.test(msg)) {
    advice = '. ' + url + " answers with a web page, as a single-page app's fallback does: serve the .wasm there, or set userpilotHeapBridgeSettings.wasmUrl to where it is";
  } else if (/HTTP 404/.test(msg)) {
    advice = '. Nothing is served at ' + url + ': ' + copyWhole('wasmUrl', '.wasm');
  }
  var e = new Error(msg);
  e.advice = advice;
  return e;
}

// run starts the module in scope: the module reads scope.userpilotHeapBridgeBoot.init and calls
// attach(step) once it runs, or fail(message).
function run(scope, url, integrity, bootObject, exited) {
  scope.userpilotHeapBridgeBoot = bootObject;
  var Go = runtime(scope);
  var go = new Go();
  return load(url, integrity, go.importObject).then(function (result) {
    go.run(result.instance).then(exited, exited);
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
        self.postMessage({ t: TAG_FAIL, message: err.message, advice: err.advice, load: true });
      });
    }
  };
  self.postMessage({ t: TAG_ALIVE });
}
