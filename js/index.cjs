// CommonJS entry for bundlers (require('userpilot-heap-bridge')): runs the loader and exports the
// global API. The loader looks for the module and the worker script next to the page's script
// (the bundle) unless wasmUrl and workerUrl say where. Outside a page it is the server entry.
'use strict';
if (typeof window === 'undefined') {
  module.exports = require('./server.cjs');
} else {
  require('./userpilot-heap-bridge.js');
  module.exports = window.UserpilotHeapBridge;
}
