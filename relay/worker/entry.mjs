// relay/worker/entry.mjs is the relay Worker's entry module. It serves every request from one Go instance
// per isolate (relay/worker/serve.mjs, the glue around the build assets github.com/syumai/workers
// generates) and adds one binding to the env that Go reads: RELAY_LIMITS, the store of the
// buckets of the relay's first brake on a client address, which refuses a flood before its body is
// read or a Durable Object is called. The client limits that hold across isolates are counted by
// the event queue's objects (relay/shardlimit.go).
//
// The buckets are kept here, in module scope, rather than in Go memory, so that they outlive a Go
// instance the glue replaces (relay/worker/serve.mjs: after many requests, at a memory cap, or on a
// failure). They sit in a Map bounded to MAX_KEYS keys. A bucket is forgotten only once it is full
// again (its fullAt has passed), which gives nothing away; when no bucket may go, a new key is
// refused (the relay answers 429) rather than a limited one forgotten. This brake counts per
// isolate. `make relay-build` copies this file and serve.mjs next to the
// generated assets in build/relay/. workerd takes every named export of the main module for an
// entrypoint or a Durable Object class, so this module exports only the default handler and
// the two queue classes.
import { createServer } from './serve.mjs';

const MAX_KEYS = 10000;

// createLimitStore returns the store relay/worker/jsstore reads, over a Map of at most maxKeys keys.
// Go crosses into JavaScript once per get or put, with numbers, not objects (each crossing and
// each object handed to Go costs more than the bucket arithmetic):
//   get(key) → true, with tokens, at, fullAt written to scratch | false when the key is not held
//   put(key, tokens, at, fullAt)                     ignored for a new key when there is no room
//   admit(n, now) → true | the unix ms a bucket is next full again
//   scratch: a Uint8Array of 24 bytes, three little-endian float64s, that get writes
function createLimitStore(maxKeys = MAX_KEYS) {
  const buckets = new Map();
  const scratch = new Uint8Array(24);
  const out = new DataView(scratch.buffer);
  let nextFull = 0; // no bucket is full again before this, so no sweep before it frees one
  return {
    scratch,
    get(key) {
      const b = buckets.get(String(key));
      if (b === undefined) return false;
      out.setFloat64(0, b.tokens, true);
      out.setFloat64(8, b.at, true);
      out.setFloat64(16, b.fullAt, true);
      return true;
    },
    put(key, tokens, at, fullAt) {
      const k = String(key);
      const bucket = { tokens: Number(tokens), at: Number(at), fullAt: Number(fullAt) };
      if (!Number.isFinite(bucket.tokens) || !Number.isFinite(bucket.at) || !Number.isFinite(bucket.fullAt)) return;
      if (!buckets.has(k) && buckets.size >= maxKeys) return;
      buckets.set(k, bucket);
      if (bucket.fullAt < nextFull) nextFull = bucket.fullAt;
    },
    admit(n, now) {
      const want = Number(n);
      const t = Number(now);
      if (buckets.size + want <= maxKeys) return true;
      if (t < nextFull) return nextFull;
      nextFull = Infinity;
      for (const [k, b] of buckets) {
        if (b.fullAt <= t) buckets.delete(k);
        else if (b.fullAt < nextFull) nextFull = b.fullAt;
      }
      return buckets.size + want <= maxKeys ? true : nextFull;
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

const POST_TIMEOUT_MS = 8000;
const DETAIL_BYTES = 200;

// queueObject makes the class of a Durable Object that holds one of the relay's queues with SQLite
// storage: EventsShard (events-<n>, Go's binding.events) and SegmentsQueue (segments-<key hash>,
// binding.segments), docs/contract.md §10. What it decides is Go's (relay/worker/durable.go); the
// glue only carries: the Worker's POST (offer or page) and GET /health, the posts Go asks for,
// and the alarm Go asks for. A step is {attempt, alarm, url, auth, answer, body} (stepOf, generated).
function queueObject(kind, post) {
  return class {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
      this.key = ctx.id.toString();
    }

    async fetch(request) {
      const go = (await server.binding(this.env))[kind];
      const sql = this.ctx.storage.sql;
      const path = new URL(request.url).pathname;
      if (path === '/health') return json(go.health(this.env, this.key, sql, Date.now()));
      if (path !== `/${post}`) return json('{"error":"no such path"}', 404);
      const body = new Uint8Array(await request.arrayBuffer());
      let step = stepOf(go[post](this.env, this.key, sql, body, Date.now()));
      while (step.attempt > 0) step = await send(go, step); // the binding that started it settles it
      if (step.alarm > 0) await this.wake(step.alarm);
      return json(step.answer);
    }

    // alarm sends what is due, one post after another, until Go says when to look again.
    async alarm() {
      for (;;) {
        const go = (await server.binding(this.env))[kind];
        let step = stepOf(go.due(this.env, this.key, this.ctx.storage.sql, Date.now()));
        if (step.attempt === 0) {
          if (step.alarm > 0) await this.ctx.storage.setAlarm(step.alarm);
          return;
        }
        while (step.attempt > 0) step = await send(go, step);
        if (step.alarm > Date.now()) {
          await this.ctx.storage.setAlarm(step.alarm);
          return;
        }
      }
    }

    // wake sets the alarm at ms unless it is set earlier.
    async wake(ms) {
      const set = await this.ctx.storage.getAlarm();
      if (set === null || set > ms) await this.ctx.storage.setAlarm(ms);
    }
  };
}

export const EventsShard = queueObject('events', 'offer');
export const SegmentsQueue = queueObject('segments', 'page');

// send makes a step's post and hands Go the reply; Go answers with the next step (a redirect it
// follows is another attempt).
async function send(go, step) {
  let reply;
  try {
    const headers = { 'content-type': 'application/json' };
    if (step.auth) headers.authorization = step.auth;
    const res = await fetch(step.url, { method: 'POST', headers, body: step.body, redirect: 'manual', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
    const text = (await res.text()).slice(0, DETAIL_BYTES);
    const ra = Number(res.headers.get('retry-after'));
    reply = { status: res.status, retryAfterMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : 0, cause: text, location: res.headers.get('location') ?? '' };
  } catch (err) {
    reply = { status: 0, retryAfterMs: 0, cause: String((err && err.message) || err), location: '' };
  }
  return stepOf(go.settle(step.attempt, reply.status, reply.retryAfterMs, reply.cause || null, Date.now(), reply.location || null));
}

// --- generated by internal/gluegen from relay/steplayout.go; do not edit ---
const utf8 = new TextDecoder();

// stepOf reads a step as Go writes it (relay.AppendStep): {attempt, alarm, url, auth, answer, body}.
function stepOf(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const attempt = view.getUint32(0, true);
  const alarm = view.getFloat64(4, true);
  let at = 12;
  const field = () => {
    const n = view.getUint32(at, true);
    const f = bytes.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return f;
  };
  const urlBytes = field();
  const url = urlBytes.byteLength ? utf8.decode(urlBytes) : '';
  const authBytes = field();
  const auth = authBytes.byteLength ? utf8.decode(authBytes) : '';
  const answer = field();
  const body = field();
  return { attempt, alarm, url, auth, answer, body };
}
// --- end of generated ---

const utf8Encoder = new TextEncoder();

// json answers the Worker with text or its UTF-8 bytes, with its length, so that the Worker reads
// it whole at once rather than as a stream.
function json(text, status = 200) {
  const bytes = typeof text === 'string' ? utf8Encoder.encode(text) : text;
  return new Response(bytes, { status, headers: { 'content-type': 'application/json', 'content-length': String(bytes.byteLength) } });
}
