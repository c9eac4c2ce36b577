// ES module entry for bundlers: points the loader at the module shipped next to this file, runs
// it, and re-exports the global API. Import it once, early, before Userpilot initialises. Outside a
// page (a server build that took this entry) the loader does nothing and this is the server entry.
import './wasm-url.mjs'; // evaluated first: ES modules run their imports in order
import './userpilot-heap-bridge.js';
import serverEntry from './server.mjs';

const bridge = typeof window === 'undefined' ? serverEntry : window.UserpilotHeapBridge;
export default bridge;
export const { version, ready, stats, configure, setConsent, history, clearHistory, whenForwarded } = bridge;
