// Points the loader at the module and the worker script shipped next to this package, unless the
// page chose others.
const settings = window.userpilotHeapBridgeSettings || (window.userpilotHeapBridgeSettings = {});
if (!settings.wasmUrl) settings.wasmUrl = new URL('./userpilot-heap-bridge.wasm', import.meta.url).href;
if (!settings.workerUrl) settings.workerUrl = new URL('./userpilot-heap-bridge.worker.js', import.meta.url).href;
