// Text the loader and the worker script both say: the product's console prefix, an error's
// message, and the advice to serve dist/ whole.
export var PREFIX = 'userpilot-heap-bridge: ';

// errorText is an error's message, cut after a whole word (with …) when longer than max (200).
export function errorText(e, max) {
  var text;
  try { text = String((e && e.message) || e); } catch (_) { return 'unknown error'; }
  max = max || 200;
  if (text.length <= max) return text;
  var cut = text.lastIndexOf(' ', max - 1);
  return text.slice(0, cut > max / 2 ? cut : max - 1) + '…';
}

// copyWhole is the remedy for a file of dist/ that is not where the loader looks for it.
export function copyWhole(setting, file) {
  return 'copy dist/ whole (the .js, .worker.js and .wasm side by side), or set userpilotHeapBridgeSettings.' + setting + ' to where the ' + file + ' is';
}
