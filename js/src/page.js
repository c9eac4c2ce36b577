// Small readers of the page every part of the loader uses: the window, the settings, guarded
// property reads and calls, and the page clock.
export var win = typeof window === 'undefined' ? null : window; // null outside a page (server-side rendering)
// settings is window.userpilotHeapBridgeSettings, or what configure() was last given before start.
export var settings;
export function setSettings(s) { settings = s; }

var hasOwn = Object.prototype.hasOwnProperty;
export function has(obj, key) { return obj != null && hasOwn.call(obj, key); }
export function setting(s, key) { try { return has(s, key) ? s[key] : undefined; } catch (e) { return undefined; } }

// peek reads a page object's property; a getter that throws reads as undefined.
export function peek(obj, key) {
  try { return obj[key]; } catch (e) { return undefined; }
}

export function call(fn, self, args) {
  if (typeof fn === 'function') return fn.apply(self, args);
}

// reportLater surfaces a host handler's error the way an uncaught error would, without
// stopping the other handlers.
export function reportLater(e) { setTimeout(function () { throw e; }, 0); }

export function now() { return win.performance && performance.now ? performance.now() : Date.now(); }

// trapGlobal turns window[name] into an accessor that hands each value assigned to onAssign
// (Userpilot swaps its stub for the SDK, the npm wrapper rewrites its settings), and hands over
// the value already there.
// A page's own accessor there keeps answering: what it returns is handed over when it changes.
// It returns the getter it put there, if it could.
export function trapGlobal(name, onAssign) {
  var desc = Object.getOwnPropertyDescriptor(win, name), pageGet = desc && desc.get, current = peek(win, name);
  function assign(v) { current = v; try { onAssign(v, false); } catch (e) { reportLater(e); } }
  function get() {
    if (pageGet) { var v = pageGet.call(win); if (v !== current) assign(v); }
    return current;
  }
  if (!desc || desc.configurable) {
    try {
      Object.defineProperty(win, name, {
        configurable: true,
        enumerable: true,
        get: get,
        set: function (v) {
          if (pageGet) { call(desc.set, win, [v]); v = pageGet.call(win); }
          assign(v);
        }
      });
    } catch (e) { get = 0; /* hook what is there */ }
  } else get = 0;
  if (current) onAssign(current, true);
  return get;
}
