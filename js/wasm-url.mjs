// Points the loader at the module and the worker script shipped next to this package, unless the
// page chose others. Bundlers that follow new URL(..., import.meta.url) (Vite, webpack) emit both
// files; where import.meta.url is missing (an esbuild IIFE bundle) the loader looks next to the
// page's script instead. Outside a page it does nothing.
if (typeof window !== 'undefined' && typeof import.meta.url === 'string') {
  const settings = window.userpilotHeapBridgeSettings || (window.userpilotHeapBridgeSettings = {});
  if (!settings.wasmUrl) settings.wasmUrl = new URL('./userpilot-heap-bridge.wasm', import.meta.url).href;
  if (!settings.workerUrl) settings.workerUrl = new URL('./userpilot-heap-bridge.worker.js', import.meta.url).href;
}
