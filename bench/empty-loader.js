// Starts bench-out/empty.wasm the way the bridge's loader starts its module (fetch, streaming
// compile, go.run), so an empty Go program's start-up can be timed beside the bridge's.
// run.mjs serves it appended to Go's wasm_exec.js, as one script like the bridge's.
(function () {
  'use strict';
  var resolve, reject;
  var ready = new Promise(function (res, rej) { resolve = res; reject = rej; });
  window.BenchEmpty = { ready: function () { return ready; } };
  var url = new URL('empty.wasm', document.currentScript.src).href;
  var go = new Go();
  fetch(url, { credentials: 'same-origin' }).then(function (resp) {
    if (!resp.ok) throw new Error('HTTP ' + resp.status + ' for ' + url);
    return WebAssembly.instantiateStreaming(resp, go.importObject);
  }).then(function (result) {
    go.run(result.instance); // returns once main has blocked in select{}, like the bridge's ready
    resolve();
  }).catch(reject);
})();
