// Points the loader at the module shipped next to this package, unless the page chose another.
const settings = window.userpilotHeapBridgeSettings || (window.userpilotHeapBridgeSettings = {});
if (!settings.wasmUrl) settings.wasmUrl = new URL('./userpilot-heap-bridge.wasm', import.meta.url).href;
