// Heap to Userpilot (setting toUserpilot): the page's own calls on window.heap go to the module,
// and the calls it answers with are made on whatever window.userpilot is then.
import { errorText } from './text.js';
import { win, settings, setting, peek, trapGlobal } from './page.js';
import { WRAPPED_METHODS, KIND_HEAP_CALL, KIND_STUB_CALL, KIND_OWN_STUB_CALL, KIND_HEAP_LOADED, KIND_UNWRAPPED, KIND_USERPILOT_FAILED, UP_IDENTITY_CHANGED } from './protocol.gen.js';
import { deliver, entry, send } from './channel.js';
import { heapLoaded } from './heap.js';
import { upUser } from './hooks.js';

// ownCall is true while the bridge itself calls Heap or Userpilot, whose calls are never mirrored.
export var ownCall = false;
export function setOwnCall(on) { ownCall = on; }
var heapHooked = new WeakSet();
var wrappers = new WeakMap(); // a Heap method -> its wrapper
var unwrapped = new WeakMap(); // a wrapper -> the method
var mirroring = false, loaded = false, inHeapCall = false;

export function unwrap(fn) { return unwrapped.get(fn) || fn; }

// own holds the argument objects the bridge passed to Heap and to Userpilot: a Heap call that
// carries one is the bridge's own, however late a stub or Userpilot makes it again.
var own = new WeakSet();
export function ownArgs(v) { if (v && typeof v === 'object') own.add(v); }
function isOwn(v) { return own.has(v); }

// mirrorHeap starts watching window.heap once toUserpilot is set (at start, or by configure()).
export function mirrorHeap() {
  if (mirroring || !setting(settings, 'toUserpilot')) return;
  mirroring = true;
  var trapped = trapGlobal('heap', hookHeap);
  // A page may put window.heap in place with Object.defineProperty, which passes by the trap:
  // then the trap is set again, and the object there hooked.
  setInterval(function () {
    var d = Object.getOwnPropertyDescriptor(win, 'heap');
    if (!d || !trapped || d.get !== trapped) trapped = trapGlobal('heap', hookHeap);
  }, 250);
}

// hookHeap wraps the mirrored methods of a Heap object (a snippet's stub, the SDK, a page's own
// object). A classic stub's queue holds the page's calls made before this tag.
function hookHeap(h) {
  if (!h || (typeof h !== 'object' && typeof h !== 'function') || heapHooked.has(h)) return;
  heapHooked.add(h);
  if (Array.isArray(h)) {
    for (var i = 0; i < h.length; i++) {
      var q = h[i];
      if (Array.isArray(q) && WRAPPED_METHODS.indexOf(q[0]) >= 0) heapCall(h, q[0], q.slice(1));
    }
  }
  WRAPPED_METHODS.forEach(function (m) { hookMethod(h, m); });
  if (heapLoaded(h)) loadedNow();
}

// hookMethod turns method m where it lives (on h, or on a prototype for a class instance; on h
// when it is not there yet) into an accessor that hands out a wrapper around whatever function
// is assigned, so methods a snippet or the SDK installs later are wrapped too. A method that
// cannot be changed (a frozen object, a read-only property, a Proxy that ignores its target) is
// left as it is, and the console says its calls are not mirrored.
function hookMethod(h, m) {
  var o = h, desc;
  try {
    while (o && !(desc = Object.getOwnPropertyDescriptor(o, m))) o = Object.getPrototypeOf(o);
    if (!desc) o = h;
    else if (heapHooked.has(desc.get)) return; // a prototype already hooked for another object
    else if (!desc.configurable || !('value' in desc)) throw 0;
    var inner = desc && desc.value, get = function () { return typeof inner === 'function' ? wrapperOf(m, inner) : inner; };
    heapHooked.add(get);
    Object.defineProperty(o, m, {
      configurable: true,
      enumerable: desc ? desc.enumerable : true,
      get: get,
      set: function (fn) {
        // An assignment on an object that inherits the method makes it its own, as it would have.
        if (this !== o) return Object.defineProperty(this, m, { value: fn, writable: true, configurable: true, enumerable: true }) && hookMethod(this, m);
        inner = unwrap(fn);
        if (heapLoaded(h)) loadedNow();
      }
    });
    var current = h[m];
    if (typeof current === 'function' && !unwrapped.has(current)) throw 0;
  } catch (e) {
    deliver(entry(KIND_UNWRAPPED, m, [], null)); // the module says so in the console
  }
}

function wrapperOf(m, fn) {
  var w = wrappers.get(fn);
  if (!w) {
    w = function () {
      // A page that wraps heap.track itself calls one wrapper inside another: count the outer.
      // A method on a prototype is shared: only calls on a Heap object (or detached) are mirrored.
      try { if (!inHeapCall && (this == null || this === win || heapHooked.has(this))) heapCall(this, m, arguments); } catch (e) { /* never into the page's call */ }
      var outer = !inHeapCall;
      inHeapCall = true;
      try { return fn.apply(this, arguments); } finally { if (outer) inHeapCall = false; }
    };
    wrappers.set(fn, w);
    unwrapped.set(w, fn);
  }
  return w;
}

// loadedNow tells the module, once, that Heap's SDK is there: it makes the stub's calls again now.
function loadedNow() {
  if (!loaded) { loaded = true; send(KIND_HEAP_LOADED, '', [], null); }
}

// heapCall hands the module a call on a Heap object, and whether it was made on a stub (by the
// page, or by the bridge) or on the SDK: the module tells the SDK's repeats of stub calls
// (bridge/replays.go). The bridge's own calls on the SDK are not sent.
function heapCall(h, m, args) {
  var a0 = args[0], a1 = args[1];
  if (isOwn(a0) || isOwn(a1)) return;
  var stub = h && !heapLoaded(h);
  if (stub || !ownCall) send(stub ? (ownCall ? KIND_OWN_STUB_CALL : KIND_STUB_CALL) : KIND_HEAP_CALL, m, Array.prototype.slice.call(args, 0, 2), a1 || a0);
}

// toUserpilot makes a call the module answered with on whatever window.userpilot is now, and
// returns true when it was made; a call not made is told to the module, which counted it forwarded.
// c is [method, the user it is bound to, arguments...]: made only while that user is Userpilot's.
export function toUserpilot(c) {
  if (c[1] !== upUser) return deliver(entry(KIND_USERPILOT_FAILED, UP_IDENTITY_CHANGED, [c[0], upUser], null));
  var up = peek(win, 'userpilot'), fn = up && peek(up, c[0]);
  ownArgs(c[3]);
  ownCall = true;
  try {
    if (typeof fn !== 'function') throw new Error('window.userpilot.' + c[0] + ' is not a function');
    fn.apply(up, c.slice(2));
    return true;
  } catch (e) {
    deliver(entry(KIND_USERPILOT_FAILED, '', [c[0], errorText(e)], null));
  } finally {
    ownCall = false;
  }
}
