// The Heap side of the page: the bridge as Userpilot's Heap interface
// (userpilotSettings.integrations_interfaces.heap), what window.heap offers now, and the calls the
// module answers with, made on whatever Heap is there at that moment.
import { PREFIX, errorText } from './text.js';
import { win, peek } from './page.js';
import { send } from './channel.js';
import { unwrap, ownArgs, setOwnCall } from './mirror.js';
import { delivered } from './testkit.js';
import { KIND_INTERFACE, HEAP_USABLE, HEAP_LOADED, HEAP_IDENTIFY, HEAP_RESET, HEAP_USER_PROPS, HEAP_UNREADABLE } from './protocol.gen.js';

// Every method the classic and heap.js 5 snippets stub; calls become entries for Go.
var HEAP_METHODS = ('track identify identifyHashed resetIdentity addUserProperties addEventProperties ' +
  'removeEventProperty clearEventProperties setEventProperties unsetEventProperty addAccountProperties ' +
  'init startTracking stopTracking addAdapter addTransformer addTransformerFn addPageviewProperties ' +
  'removePageviewProperty clearPageviewProperties trackPageview').split(' ');
// Getters and readiness hooks read the live Heap; they carry no data to forward.
var HEAP_PASSTHROUGH = ['getSessionId', 'getUserId', 'getIdentity', 'onReady'];
var heapTarget = null; // a Heap instance the page gave Userpilot that is not window.heap

function liveHeap() { return heapTarget || win.heap; }

var heapInterface = (function () {
  var iface = {};
  HEAP_METHODS.forEach(function (m) {
    iface[m] = function () {
      var args = Array.prototype.slice.call(arguments);
      send(KIND_INTERFACE, m, args, args[1]);
    };
  });
  HEAP_PASSTHROUGH.forEach(function (m) {
    iface[m] = function () {
      var h = peek(win, 'heap'), fn = h && peek(h, m);
      if (heapTarget) { h = heapTarget; fn = peek(h, m); }
      if (typeof fn === 'function') return fn.apply(h, arguments);
    };
  });
  ['loaded', 'appid', 'envId', 'userId', 'identity', 'config', 'clientConfig'].forEach(function (p) {
    Object.defineProperty(iface, p, { enumerable: true, get: function () { var h = heapTarget || peek(win, 'heap'); return h ? peek(h, p) : undefined; } });
  });
  return iface;
})();

// offerInterface puts the bridge in settings.integrations_interfaces.heap, keeping a Heap the
// page put there as the one the bridge calls.
export function offerInterface(settings) {
  if (!settings || typeof settings !== 'object') return;
  try {
    var ii = settings.integrations_interfaces;
    if (!ii || typeof ii !== 'object') ii = settings.integrations_interfaces = {};
    var given = ii.heap;
    if (given === heapInterface) return;
    if (given && (typeof given === 'object' || typeof given === 'function') && given !== win.heap && !Array.isArray(given)) {
      heapTarget = given;
    }
    ii.heap = heapInterface;
  } catch (e) {
    console.warn(PREFIX + 'could not offer the bridge to Userpilot as its Heap interface (' + errorText(e) + ')');
  }
}

// heapState tells the module what window.heap offers now (bridge.HeapState bits).
export function heapState() {
  try {
    var h = liveHeap();
    if (!h || (typeof h !== 'object' && typeof h !== 'function') || typeof h.track !== 'function') return 0;
    return HEAP_USABLE | (heapLoaded(h) ? HEAP_LOADED : 0) | (typeof h.identify === 'function' ? HEAP_IDENTIFY : 0) |
      (typeof h.resetIdentity === 'function' ? HEAP_RESET : 0) | (typeof h.addUserProperties === 'function' ? HEAP_USER_PROPS : 0);
  } catch (e) {
    return HEAP_UNREADABLE; // reading it threw: the module sends the calls and their errors are counted
  }
}

// heapLoaded tells Heap's loaded SDK from a snippet's stub: both snippets make window.heap an
// array, the loaded SDK may set heap.loaded (Segment's integration waits for it), and a heap.js 5
// stub method only queues onto window.heapReadyCb.
var seenTrack = null, seenStub = false; // the last track function read, and whether it was a stub's
export function heapLoaded(h) {
  if (!h || Array.isArray(h)) return false;
  if (h.loaded === true) return true;
  var track = unwrap(h.track);
  if (typeof track !== 'function') return false;
  if (track !== seenTrack) {
    seenTrack = track;
    try { seenStub = Function.prototype.toString.call(track).indexOf('heapReadyCb') >= 0; } catch (e) { seenStub = false; }
  }
  return !seenStub;
}

// callHeap makes call c of an answer on whatever Heap is there now, if it has what need asks
// (HeapState bits). It returns true once made, false when that Heap cannot take it any more (the
// call goes back to the module), or why it failed.
export function callHeap(c, need) {
  var method = c[1], h, fn;
  try {
    h = liveHeap();
    fn = h && (typeof h === 'object' || typeof h === 'function') ? h[method] : undefined;
    if (typeof fn !== 'function' || (need & HEAP_LOADED && !heapLoaded(h))) {
      if (method === 'track' || !h || (need & HEAP_LOADED && !heapLoaded(h))) return false;
      return 'it is not a function in this Heap snippet';
    }
  } catch (e) {
    return errorText(e);
  }
  var args = method === 'track' ? [c[2], c[3]] : c.slice(2);
  ownArgs(args[0]);
  ownArgs(args[1]);
  setOwnCall(true);
  try { fn.apply(h, args); } catch (e) {
    return errorText(e);
  } finally {
    setOwnCall(false);
  }
  delivered(method, args);
  return true;
}
