// The kit for headless tests: history() of the Heap calls made, and whenForwarded(name).
import { PREFIX } from './text.js';
import { win, setting, now } from './page.js';

var MAX_HISTORY = 1000;
var recording = false;
var calls = [], forwardedNames = Object.create(null), waiters = [];

// record turns the history on when the settings ask for it or the page's URL carries
// userpilot-heap-bridge-record.
export function record(s) {
  recording = setting(s, 'record') === true;
  if (!recording) try { recording = /[?&]userpilot-heap-bridge-record(=|&|$)/.test(win.location.search); } catch (e) { /* no location */ }
}

// delivered notes a Heap call the bridge made.
export function delivered(method, args) {
  if (recording) {
    if (calls.length >= MAX_HISTORY) calls.shift();
    calls.push({ method: method, args: JSON.parse(JSON.stringify(args)), at: now() });
  }
  if (method !== 'track') return;
  forwardedNames[args[0]] = true;
  if (!waiters.length) return;
  waiters = waiters.filter(function (w) {
    if (w.name !== args[0]) return true;
    clearTimeout(w.timer);
    w.resolve();
    return false;
  });
}

export function whenForwarded(name, timeoutMs) {
  return new Promise(function (resolve, reject) {
    if (forwardedNames[name]) return resolve();
    var ms = typeof timeoutMs === 'number' && timeoutMs >= 0 ? timeoutMs : 5000;
    var w = { name: name, resolve: resolve };
    w.timer = setTimeout(function () {
      waiters = waiters.filter(function (x) { return x !== w; });
      reject(new Error(PREFIX + 'no "' + name + '" event was forwarded to Heap within ' + ms + ' ms'));
    }, ms);
    waiters.push(w);
  });
}

export function history() { return JSON.parse(JSON.stringify(calls)); }
export function clearHistory() { calls = []; forwardedNames = Object.create(null); }
