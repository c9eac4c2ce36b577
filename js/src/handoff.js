// How the loader and the worker script hand the module over: the tags of their non-answer
// messages, the boot object the module reads, the answer that stands for a failed step, and the
// origin rule a Worker's script must meet.
export const TAG_INIT = 'init', TAG_ALIVE = 'alive', TAG_READY = 'ready', TAG_FAIL = 'fail', TAG_EXIT = 'exit';
// The event the worker script, added as a page script, dispatches on its tag to hand over the runtime.
export const RUNTIME_EVENT = 'userpilot-heap-bridge-runtime';

// boot is what the module reads as its scope's BOOT_GLOBAL (bridge.BootGlobal): the init text, then attach(step) once
// it runs, or fail(message).
export function boot(init, attach, fail) {
  return { init: init, attach: attach, fail: fail };
}

// errorAnswer stands for the answer to a message the module failed on; the loader counts its events.
export function errorAnswer(why) {
  return JSON.stringify({ x: why });
}

// crossOrigin tells a URL that is not on the page's origin.
export function crossOrigin(url) {
  return new URL(url).origin !== location.origin;
}
