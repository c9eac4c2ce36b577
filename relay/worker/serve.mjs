// relay/worker/serve.mjs serves a Worker's requests from one Go instance per isolate. The Go side is
// package relay/worker/serve; its doc comment describes the binding (serve, deliver, cancel) and the
// port each request answers through (respond, fetch, read, abort, done).
//
// The instance starts on the isolate's first request and serves every request after that,
// concurrently. workerd ties I/O and timers to the request whose code started them, cancels them
// when that request ends, and takes a request that waits with nothing pending of its own for
// hung. Go runs all its goroutines in whichever request's event woke it, so:
//  * each request has a pump: a loop in its own context that does what Go posts to its port
//    (answer, fetch, read the body), so its I/O is its own;
//  * each request waiting on Go keeps a timer of its own (KEEPALIVE_MS) and hands the runtime's
//    ctx.waitUntil a promise that settles when Go says its handler and WaitUntil work are done;
//  * Go's one pending timeout (runtime.scheduleTimeoutEvent) is armed in the context of the
//    request that called into Go; when that request ends first, it is handed to another request
//    in flight, or to the next request to arrive, so sleeping goroutines always wake.
// As a safety net the instance is replaced after INSTANCE_MAX_REQUESTS requests or once its
// memory reaches INSTANCE_MAX_MEMORY_BYTES, or when it fails; requests in flight on the old one
// finish there. Counts reach Go (GET /v1/health) through the binding's `instance` object.
//
// wasm_exec.js and runtime.mjs are the build assets github.com/syumai/workers generates
// (cmd/workers-assets-gen); this module replaces its worker.mjs, which starts a Go instance for
// every request.
import './wasm_exec.js';
import { loadModule, createRuntimeContext } from './runtime.mjs';

export const DEFAULT_MAX_REQUESTS = 100_000;
export const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024 * 1024; // an isolate has 128 MB, JavaScript's heap included
const KEEPALIVE_MS = 10_000;
const GIVE_UP_MS = 65_000; // past Go's own bound on a request (serve.MaxRequestTime, 60 s)
const PREFETCH_BYTES = 64 * 1024; // body bytes read before Go is called; Go pulls any rest
const NULL_BODY = new Set([101, 204, 205, 304]);

// The request whose code is calling into Go right now: Go's timers are armed in its context.
let current = null;

function enter(req, fn) {
  const prev = current;
  current = req;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

// errorResponse is a JSON error answer, as the relay writes its own.
function errorResponse(status, text) {
  return new Response(JSON.stringify({ error: text }) + '\n', { status, headers: { 'content-type': 'application/json' } });
}

const describe = (err) => String((err && err.message) || err);

// ---- heads: "METHOD\nURL" or "", then "\nname\nvalue" per header value ----

function headOf(prefix, headers) {
  let s = prefix;
  for (const [name, value] of headers) s += '\n' + name + '\n' + value;
  return s;
}

function headersOf(pairs, from) {
  const h = new Headers();
  for (let i = from; i + 1 < pairs.length; i += 2) h.append(pairs[i], pairs[i + 1]);
  return h;
}

// readBody reads the body of a Request or Response: whole when its Content-Length says it fits in
// max (the runtime's own fast path), else as readUpTo does.
async function readBody(message, max) {
  if (!message.body) return { bytes: null, more: false, reader: null };
  const length = Number(message.headers.get('content-length') ?? NaN);
  if (Number.isInteger(length) && length >= 0 && length <= max) {
    const bytes = new Uint8Array(await message.arrayBuffer());
    return { bytes: bytes.byteLength ? bytes : null, more: false, reader: null };
  }
  return readUpTo(message.body, max);
}

// readUpTo reads stream until it ends or at least max bytes came; it returns the bytes, whether
// more may follow, and the reader to go on with.
async function readUpTo(stream, max) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { bytes: concat(chunks, total), more: false, reader: null };
    chunks.push(value);
    total += value.byteLength;
    if (total >= max) return { bytes: concat(chunks, total), more: true, reader };
  }
}

function concat(chunks, total) {
  if (total === 0) return null;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

// ---- settings ----

// instanceLimits reads INSTANCE_MAX_REQUESTS and INSTANCE_MAX_MEMORY_BYTES, or throws naming the bad one.
function instanceLimits(env) {
  const read = (name, fallback) => {
    const raw = env?.[name];
    if (raw === undefined || raw === null || String(raw).trim() === '') return fallback;
    const n = Number(String(raw).trim());
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} ${JSON.stringify(String(raw))} must be a whole number above 0`);
    return n;
  };
  return { maxRequests: read('INSTANCE_MAX_REQUESTS', DEFAULT_MAX_REQUESTS), maxMemoryBytes: read('INSTANCE_MAX_MEMORY_BYTES', DEFAULT_MAX_MEMORY_BYTES) };
}

// ---- one request ----

// Req is one request on an instance, from its arrival until Go is done with it. Go holds it as the
// request's port: its port methods only queue, and the pump does the work in this request's context.
class Req {
  constructor(inst, request, env) {
    this.inst = inst;
    this.request = request;
    this.env = env;
    this.id = -1;
    this.queue = [];
    this.wake = null;
    this.ended = false;
    this.answered = false;
    this.fetches = new Map(); // call → AbortController
    this.reader = null; // the body, past what was read before Go was called
    this.started = performance.now();
    this.response = new Promise((resolve) => { this.resolveResponse = resolve; });
    this.finished = new Promise((resolve) => { this.resolveFinished = resolve; });
  }

  // ---- the port, called by Go from any request's context ----
  respond(status, head, body) { this.post(['respond', status, head, body]); }
  fetch(call, head, body, redirect, max) { this.post(['fetch', call, head, body, redirect, max]); }
  read(call) { this.post(['read', call]); }
  abort(call) { this.post(['abort', call]); }
  done() { this.post(['done']); }

  post(op) {
    this.queue.push(op);
    const wake = this.wake;
    if (wake) { this.wake = null; wake(); }
  }

  // pump does what was posted, in this request's context, until the request ends.
  async pump() {
    while (!this.ended) {
      if (this.queue.length === 0) await new Promise((resolve) => { this.wake = resolve; });
      const ops = this.queue;
      this.queue = [];
      for (const op of ops) if (!this.ended) this.handle(op);
    }
  }

  handle([kind, ...args]) {
    switch (kind) {
      case 'respond': return this.answer(() => responseOf(...args));
      case 'fetch': return void this.send(...args);
      case 'read': return void this.readBody(args[0]);
      case 'abort': return this.fetches.get(args[0])?.abort();
      case 'done': return this.end();
      case 'timer': return this.inst.adopt(this);
      case 'fail': return this.fail(args[0]);
    }
  }

  answer(make) {
    if (this.answered) return;
    this.answered = true;
    let res;
    try {
      res = make();
    } catch (err) {
      res = errorResponse(500, `relay failed to build its answer: ${describe(err)}`);
    }
    this.resolveResponse(res);
  }

  // deliver hands Go the result of a port call; null stands for no head or no error, since each
  // string handed to Go costs it a finalizer.
  deliver(call, status, head, body, error, more) {
    this.inst.call(this, () => this.inst.binding.deliver(call, status, head, body, error, more));
  }

  async send(call, head, body, redirect, max) {
    const ctl = new AbortController();
    this.fetches.set(call, ctl);
    try {
      const pairs = head.split('\n');
      const init = { method: pairs[0], headers: headersOf(pairs, 2), body: body ?? undefined, redirect, signal: ctl.signal };
      const res = pairs[1].startsWith('do://') ? await this.durable(pairs[1], init) : await fetch(pairs[1], init);
      const got = await readBody(res, max);
      if (got.reader) got.reader.cancel().catch(() => {});
      this.deliver(call, res.status, headOf('', res.headers) || null, got.bytes, null, got.more);
    } catch (err) {
      this.deliver(call, 0, null, null, describe(err) || 'fetch failed', false);
    } finally {
      this.fetches.delete(call);
    }
  }

  // durable sends a request for do://<binding>/<name>/<path> to the Durable Object <name> of the
  // namespace env[<binding>].
  durable(url, init) {
    const [, ns, name, ...rest] = url.slice('do://'.length - 1).split('/');
    const namespace = this.env?.[ns];
    if (!namespace) throw new Error(`the Worker has no Durable Object binding ${ns}`);
    return namespace.get(durableId(namespace, name)).fetch(`https://${name}/${rest.join('/')}`, { method: init.method, headers: init.headers, body: init.body });
  }

  async readBody(call) {
    try {
      const { value, done } = this.reader ? await this.reader.read() : { done: true };
      this.deliver(call, 0, null, done ? null : value, null, !done);
    } catch (err) {
      this.deliver(call, 0, null, null, describe(err) || 'reading the body failed', false);
    }
  }

  // keepAlive keeps a timer of this request's own while it waits on Go, and gives up on a
  // request that Go has not finished long past its own bound.
  keepAlive() {
    this.keep = setTimeout(() => {
      if (this.ended) return;
      if (performance.now() - this.started > GIVE_UP_MS) {
        this.inst.cancel(this);
        return this.fail('Go did not finish the request in time');
      }
      this.inst.overdue(this);
      this.keepAlive();
    }, KEEPALIVE_MS);
  }

  fail(why) {
    this.answer(() => errorResponse(500, `relay failed: ${why}`));
    this.end();
  }

  // end lets the request go: the runtime's waitUntil promise settles. It runs in this request's context.
  end() {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.keep);
    this.answer(() => errorResponse(500, 'relay failed: the request ended without an answer'));
    for (const ctl of this.fetches.values()) ctl.abort();
    this.reader?.cancel().catch(() => {});
    this.inst.release(this);
    this.resolveFinished();
    const wake = this.wake;
    if (wake) { this.wake = null; wake(); }
  }
}

// durableIds keeps each namespace's object ids by name: an id is a plain value (a stub is not: it
// belongs to the request that made it), and idFromName hashes the name every time.
const durableIds = new WeakMap();

function durableId(namespace, name) {
  let ids = durableIds.get(namespace);
  if (ids === undefined) durableIds.set(namespace, ids = new Map());
  let id = ids.get(name);
  if (id === undefined) {
    id = namespace.idFromName(name);
    if (ids.size < 1024) ids.set(name, id); // the relay's names are a few: 16 shards, a segment queue per key
  }
  return id;
}

function responseOf(status, head, body) {
  const headers = headersOf(head.split('\n'), 1);
  return new Response(NULL_BODY.has(status) ? null : body, { status, headers });
}

// ---- one Go instance ----

class Instance {
  constructor(mod, info) {
    this.mod = mod;
    this.info = info; // what Go reads for its health answer
    this.live = new Set();
    this.served = 0;
    this.timer = null; // Go's pending timeout: {id, due, host, handle}
    this.failure = null;
    this.go = null;
    this.binding = null;
  }

  memoryBytes() { return this.go?._inst?.exports.mem.buffer.byteLength ?? 0; }

  // start runs the Go program until it has installed its binding, within req's context.
  start(req) {
    const go = new Go();
    const binding = { instance: this.info };
    this.info.memoryBytes = () => this.memoryBytes();
    go.importObject.gojs['runtime.scheduleTimeoutEvent'] = (sp) => this.schedule(sp);
    go.importObject.gojs['runtime.clearTimeoutEvent'] = (sp) => this.clear(sp);
    const wasm = new WebAssembly.Instance(this.mod, go.importObject);
    this.go = go;
    this.binding = binding;
    // No env or ctx here: each request brings its own, and nothing instance-wide may hold one.
    const exited = enter(req, () => go.run(wasm, createRuntimeContext({ env: undefined, ctx: undefined, binding })));
    exited.then(() => this.fail(new Error('the Go program exited')), (err) => this.fail(err));
    if (typeof binding.serve !== 'function') throw new Error('the Go program did not install its serve function');
  }

  // call enters Go for req; a throw means the instance is broken.
  call(req, fn) {
    if (this.failure) return undefined;
    try {
      return enter(req, fn);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  // fail marks the instance broken and fails every request on it, each in its own context.
  fail(err) {
    if (this.failure) return;
    this.failure = err;
    console.error(`relay: the Go instance (generation ${this.info.generation}) failed: ${describe(err)}`);
    for (const req of this.live) req.post(['fail', `the Go instance stopped: ${describe(err)}`]);
  }

  cancel(req) {
    if (req.id >= 0) this.call(req, () => this.binding.cancel(req.id));
  }

  // sweep forgets requests whose context the runtime has cancelled: their keep-alive would have
  // ended them by now, so their code no longer runs (a request may not run over its time limits).
  sweep() {
    const now = performance.now();
    for (const req of this.live) {
      if (now - req.started > GIVE_UP_MS + 2 * KEEPALIVE_MS) {
        req.ended = true;
        this.live.delete(req);
        this.info.requestsAbandoned++;
      }
    }
  }

  async serve(request, env, ctx) {
    this.sweep();
    const req = new Req(this, request, env);
    this.live.add(req);
    this.served++;
    // The runtime keeps this request alive until Go is done with it, its WaitUntil work included.
    ctx.waitUntil(req.finished);
    req.keepAlive();
    req.pump().catch((err) => req.fail(describe(err)));
    let body = null;
    let more = false;
    if (request.body) {
      try {
        ({ bytes: body, more, reader: req.reader } = await readBody(request, PREFETCH_BYTES));
      } catch (err) {
        req.answer(() => errorResponse(400, `cannot read the body: ${describe(err)}`));
        req.end();
        return req.response;
      }
    }
    try {
      if (!this.go) this.start(req);
    } catch (err) {
      this.fail(err);
    }
    this.adopt(req);
    const head = headOf(request.method + '\n' + request.url, request.headers);
    const id = this.call(req, () => this.binding.serve(req, env, head, body, more));
    if (typeof id !== 'number' || id < 0) {
      req.fail(this.failure ? `the Go instance stopped: ${describe(this.failure)}` : 'Go could not take the request');
    } else {
      req.id = id;
    }
    return req.response;
  }

  // ---- Go's timeout ----

  schedule(sp) {
    sp >>>= 0;
    const go = this.go;
    const id = go._nextCallbackTimeoutID++;
    const ms = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    const t = { id, due: performance.now() + ms, host: null, handle: undefined };
    go._scheduledTimeouts.set(id, t);
    this.timer = t;
    this.arm(t, current);
    go.mem.setInt32(sp + 16, id, true);
  }

  clear(sp) {
    sp >>>= 0;
    const go = this.go;
    const id = go.mem.getInt32(sp + 8, true);
    const t = go._scheduledTimeouts.get(id);
    go._scheduledTimeouts.delete(id);
    if (!t) return;
    if (t.host === current && t.handle !== undefined) clearTimeout(t.handle); // only a timer of this context
    if (this.timer === t) this.timer = null;
  }

  // arm sets t in req's context, which must be the running one; without a live request t waits.
  arm(t, req) {
    if (!req || req.ended) { t.host = null; return; }
    t.host = req;
    t.handle = setTimeout(() => this.fire(t), Math.max(0, t.due - performance.now()));
  }

  fire(t) {
    if (this.timer !== t || this.failure || !this.go) return;
    this.timer = null;
    this.go._scheduledTimeouts.delete(t.id);
    this.call(t.host, () => this.go._resume());
  }

  // adopt arms Go's timeout in req's context when its host has gone (req's context is running),
  // or fires it there and then when it is already due.
  adopt(req) {
    const t = this.timer;
    if (!t || (t.host !== null && !t.host.ended)) return;
    this.info.timersAdopted++;
    if (t.due <= performance.now()) {
      t.host = req;
      this.fire(t);
    } else {
      this.arm(t, req);
    }
  }

  // overdue fires Go's timeout from req's keep-alive if it is late (its host's timer was lost).
  overdue(req) {
    const t = this.timer;
    if (t && performance.now() >= t.due + KEEPALIVE_MS) {
      this.info.timersLate++;
      t.host = req;
      this.fire(t);
    }
  }

  // release forgets an ended request; a timeout it hosted moves to another request in flight.
  release(req) {
    this.live.delete(req);
    const t = this.timer;
    if (t && (t.host === req || t.host === null || t.host.ended)) {
      t.host = null;
      for (const other of this.live) {
        if (!other.ended) {
          this.info.timersHandedOver++;
          other.post(['timer']);
          break;
        }
      }
    }
  }
}

// ---- the server: the isolate's instance and its replacement ----

// createServer returns {fetch(request, env, ctx)} serving from one Go instance at a time.
export function createServer() {
  let instance = null;
  let generation = 0;
  const replaced = { requests: 0, memory: 0, failure: 0 };
  let settings = null;
  let settingsEnv;

  const startNew = (limits) => {
    generation++;
    return loadModule().then((mod) => new Instance(mod, {
      generation,
      replacedAfterRequests: replaced.requests,
      replacedAfterMemory: replaced.memory,
      replacedAfterFailure: replaced.failure,
      maxRequests: limits.maxRequests,
      maxMemoryBytes: limits.maxMemoryBytes,
      timersHandedOver: 0, // Go timeouts moved to another request in flight when their host ended
      timersAdopted: 0, // Go timeouts armed by the next request, none being in flight
      timersLate: 0, // Go timeouts fired late by a request's keep-alive: their host's timer was lost
      requestsAbandoned: 0 // requests forgotten because the runtime stopped running their code
    }));
  };

  // current returns the instance to use for env, replacing a failed or spent one.
  const current = async (env) => {
    if (env !== settingsEnv || settings === null) {
      settingsEnv = env;
      try {
        settings = { limits: instanceLimits(env) };
      } catch (err) {
        settings = { error: err };
      }
    }
    if (settings.error) throw settings.error;
    const { limits } = settings;
    if (instance) {
      const inst = await instance;
      let why = null;
      if (inst.failure) why = 'failure';
      else if (inst.served >= limits.maxRequests) why = 'requests';
      else if (inst.memoryBytes() >= limits.maxMemoryBytes) why = 'memory';
      if (why) {
        replaced[why]++;
        instance = null;
      }
    }
    instance ??= startNew(limits);
    return instance;
  };

  return {
    // binding returns the running Go instance's binding, starting one, for a Durable Object's glue
    // to call synchronously.
    async binding(env) {
      const inst = await current(env);
      if (!inst.go) inst.start(null);
      if (inst.failure) throw inst.failure;
      return inst.binding;
    },

    async fetch(request, env, ctx) {
      let inst;
      try {
        inst = await current(env);
      } catch (err) {
        if (err === settings?.error) return errorResponse(500, `relay is misconfigured: ${describe(err)}`);
        throw err;
      }
      return inst.serve(request, env, ctx);
    }
  };
}
