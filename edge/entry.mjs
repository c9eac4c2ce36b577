// edge/entry.mjs is the relay Worker's entry module. It serves every request from one Go instance
// per isolate (edge/serve.mjs, the glue around the build assets github.com/syumai/workers
// generates) and adds one binding to the env that Go reads: RELAY_LIMITS, the store of the
// relay's rate-limit buckets.
//
// The buckets are kept here, in module scope, rather than in Go memory, so that they outlive a Go
// instance the glue replaces (edge/serve.mjs: after many requests, at a memory cap, or on a
// failure). They sit in a Map bounded to MAX_KEYS keys (the least recently written go first).
// Limits are therefore per isolate, and an isolate is per Cloudflare location (like Cloudflare's
// own rate-limiting binding): best effort, not a global count. `make relay-build` copies this file
// and serve.mjs next to the generated assets in build/relay/. workerd takes every named export of
// the main module for an entrypoint, so this module exports nothing but the default handler.
import { createServer } from './serve.mjs';

const MAX_KEYS = 10000;

// createLimitStore returns {get(key) → {tokens, at} | undefined, put(key, {tokens, at})} over a
// Map of at most maxKeys keys. It hands out copies, so Go never holds a live entry.
function createLimitStore(maxKeys = MAX_KEYS) {
  const buckets = new Map();
  return {
    get(key) {
      const b = buckets.get(String(key));
      return b === undefined ? undefined : { tokens: b.tokens, at: b.at };
    },
    put(key, bucket) {
      const k = String(key);
      const tokens = Number(bucket?.tokens);
      const at = Number(bucket?.at);
      if (!Number.isFinite(tokens) || !Number.isFinite(at)) return;
      buckets.delete(k); // re-inserted last: a Map iterates in insertion order
      buckets.set(k, { tokens, at });
      while (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value);
    },
    get size() { return buckets.size; }
  };
}

const limits = createLimitStore();

// withLimits returns an env that reads through to the Worker's own env and adds RELAY_LIMITS,
// without changing the env object the runtime passed in. The runtime passes the same env object
// to every request, and Go rebuilds its handler only for a new one, so each env is wrapped once.
const wrapped = new WeakMap();
function withLimits(env, store = limits) {
  const key = env ?? wrapped; // any object: a WeakMap key cannot be undefined
  let e = wrapped.get(key);
  if (e === undefined) {
    e = Object.create(env ?? null);
    Object.defineProperty(e, 'RELAY_LIMITS', { value: store, enumerable: true });
    wrapped.set(key, e);
  }
  return e;
}

const server = createServer();

export default {
  fetch(request, env, ctx) {
    return server.fetch(request, withLimits(env), ctx);
  }
};
