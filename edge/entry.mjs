// edge/entry.mjs is the relay Worker's entry module. It wraps the default export of the
// worker.mjs that github.com/syumai/workers generates (cmd/workers-assets-gen) and adds one
// binding to the env that Go reads: RELAY_LIMITS, the store of the relay's rate-limit buckets.
//
// syumai/workers starts a new Go instance for every request, so Go memory does not outlive a
// request. This module's scope lives as long as the isolate, so the buckets are kept here, in a
// Map bounded to MAX_KEYS keys (the least recently written go first). Limits are therefore per
// isolate, and an isolate is per Cloudflare location (like Cloudflare's own rate-limiting
// binding): best effort, not a global count. `make relay-build` copies this file next to
// worker.mjs in build/relay/. workerd takes every named export of the main module for an
// entrypoint, so this module exports nothing but the default handler.
import worker from './worker.mjs';

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
// without changing the env object the runtime passed in.
function withLimits(env, store = limits) {
  const e = Object.create(env ?? null);
  Object.defineProperty(e, 'RELAY_LIMITS', { value: store, enumerable: true });
  return e;
}

export default {
  fetch(request, env, ctx) {
    return worker.fetch(request, withLimits(env), ctx);
  }
};
