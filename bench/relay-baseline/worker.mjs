// bench/relay-baseline/worker.mjs: the edge relay written by hand in plain JavaScript, the yardstick
// bench/relay.mjs measures the Go relay (relay/worker + package relay) against. It does the same
// job by the same rules, as closely as is reasonable: the route and CORS, the strict shape check,
// per-event validation with the same refusal codes, the HMAC signature, token-bucket limits in
// module scope, and Heap's bulk track call with idempotency_key = id, retried with backoff.
// It is not deployed; `node relay/worker/run.mjs --baseline` runs it in workerd.

const EVENTS_PATH = '/v1/events';
const HEALTH_PATH = '/v1/health';
const DEFAULTS = { heapAPIURL: 'https://heapanalytics.com', maxBodyBytes: 262144, clientPerMinute: 120, identityEventsPerMinute: 1000 };
const HEAP_DEADLINE_MS = 8000;
const FIRST_BACKOFF_MS = 200;
const PAGE_RETRY_AFTER_S = 30;
const MAX_BATCH = 1000;
const MAX_ID = 128;
const MAX_NAME = 255;
const MAX_KEY = 511;
const MAX_VALUE = 1023;
const MAX_IDENTITY = 255;
const MAX_PROPERTIES = 101;
const MAX_FUTURE_MS = 5 * 60_000;
const MAX_AGE_MS = 7 * 24 * 3600_000;
const MAX_KEYS = 10000;
const EVENT_FIELDS = new Set(['id', 'name', 'properties', 'identity', 'timestamp']);
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const MERGE_RISK = new Set(['null', 'undefined', 'nan', '0', '-1', 'user', 'guest', 'anonymous', 'unknown', 'none', 'n/a', 'test']);
const BLANK = '\\s\\u0085\\u200b\\u200c\\u200d\\u2060\\ufeff';
const ALL_BLANK = new RegExp(`^[${BLANK}]*$`);
const TRIM_BLANK = new RegExp(`^[${BLANK}]+|[${BLANK}]+$`, 'g');
const ID_CHARS = /^[A-Za-z0-9._:-]+$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// ---- configuration ----

let cached;
function config(env) {
  if (cached && cached.env === env) return cached.cfg;
  const errs = [];
  const appID = String(env.HEAP_APP_ID ?? '').trim();
  if (!appID) errs.push('HEAP_APP_ID is required and is empty');
  let heapAPIURL = String(env.HEAP_API_URL ?? '').trim() || DEFAULTS.heapAPIURL;
  if (!/^https?:\/\/[^/?#]+/.test(heapAPIURL) || /[?#]/.test(heapAPIURL)) errs.push(`HEAP_API_URL ${JSON.stringify(heapAPIURL)} must be an http or https URL`);
  heapAPIURL = heapAPIURL.replace(/\/+$/, '');
  const origins = String(env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const int = (name, def) => {
    const raw = String(env[name] ?? '').trim();
    if (!raw) return def;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n <= 0 || n > 2 ** 31 - 1) { errs.push(`${name} ${JSON.stringify(raw)} must be a whole number above 0`); return def; }
    return n;
  };
  const cfg = {
    appID, heapAPIURL, origins, secret: String(env.IDENTITY_SECRET ?? ''),
    maxBodyBytes: int('MAX_BODY_BYTES', DEFAULTS.maxBodyBytes),
    clientPerMinute: int('RATE_CLIENT_PER_MINUTE', DEFAULTS.clientPerMinute),
    identityEventsPerMinute: int('RATE_IDENTITY_EVENTS_PER_MINUTE', DEFAULTS.identityEventsPerMinute),
    error: errs.join('\n')
  };
  cached = { env, cfg };
  return cfg;
}

// ---- answers ----

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body) + '\n', { status, headers: { 'content-type': 'application/json', ...headers } });
}
const fail = (status, error, headers) => json(status, { error }, headers);

// ---- rate limits: token buckets in module scope, like relay/worker/entry.mjs's store ----

const buckets = new Map();
function takeTokens(wants, now) {
  const filled = [];
  for (const w of wants) {
    let b = buckets.get(w.key);
    if (!b || b.tokens > w.perMinute) b = { tokens: w.perMinute, at: now };
    else if (b.at > now) b = { tokens: b.tokens, at: now };
    else b = { tokens: Math.min(w.perMinute, b.tokens + (now - b.at) * w.perMinute / 60000), at: now };
    if (b.tokens < w.n) return { blocked: w, waitMs: (w.n - b.tokens) / (w.perMinute / 60000) };
    filled.push(b);
  }
  wants.forEach((w, i) => {
    buckets.delete(w.key);
    buckets.set(w.key, { tokens: filled[i].tokens - w.n, at: now });
    while (buckets.size > MAX_KEYS) buckets.delete(buckets.keys().next().value);
  });
  return null;
}
const seconds = (ms) => String(Math.max(1, Math.ceil(ms / 1000)));

// ---- shape ----

function kindOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return { string: 'a string', number: 'a number', boolean: 'a boolean' }[typeof v] ?? 'an object';
}

// decode returns the events of a body, or throws an Error saying why it is not the shape.
function decode(text) {
  let top;
  try { top = JSON.parse(text); } catch (e) { throw new Error(`body: ${e.message}`); }
  if (top === null || typeof top !== 'object' || Array.isArray(top)) throw new Error(`body: is ${kindOf(top)}, not a JSON object`);
  for (const k of Object.keys(top)) if (k !== 'events') throw new Error(`body: unknown field ${JSON.stringify(k)}`);
  if (!Array.isArray(top.events)) throw new Error('body: "events" is required and must be an array');
  if (top.events.length === 0 || top.events.length > MAX_BATCH) throw new Error(`body: "events" has ${top.events.length} entries, want 1 to ${MAX_BATCH}`);
  return top.events.map((e, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`events[${i}]: is ${kindOf(e)}, not an object`);
    const out = { id: '', name: '', properties: {}, identity: '', timestamp: '' };
    for (const [k, v] of Object.entries(e)) {
      if (!EVENT_FIELDS.has(k)) throw new Error(`events[${i}]: unknown field ${JSON.stringify(k)}`);
      if (v === null) continue;
      if (k === 'properties') {
        if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`events[${i}]: "properties" is ${kindOf(v)}, not an object`);
      } else if (typeof v !== 'string') {
        throw new Error(`events[${i}]: ${JSON.stringify(k)} is ${kindOf(v)}, not a string`);
      }
      out[k] = v;
    }
    return out;
  });
}

// ---- validation, with the Go relay's refusal codes ----

const label = (s) => JSON.stringify(s.length > 64 ? s.slice(0, 64) : s) + (s.length > 64 ? '…' : '');

function checkEvent(e, conflict, now) {
  if (e.id === '') return ['invalid_id', 'the id is empty'];
  if (e.id.length > MAX_ID) return ['invalid_id', `the id is longer than ${MAX_ID} characters`];
  if (!ID_CHARS.test(e.id)) return ['invalid_id', 'the id may hold only A-Z, a-z, 0-9 and . _ : -'];
  if (conflict.has(e.id)) return ['duplicate_id', `the batch holds different events with id ${JSON.stringify(e.id)}`];
  if (ALL_BLANK.test(e.name)) return ['invalid_name', 'the event name is empty'];
  if (e.name.length > MAX_NAME) return ['invalid_name', `the event name is longer than ${MAX_NAME} characters`];
  const keys = Object.keys(e.properties);
  if (keys.length > MAX_PROPERTIES) return ['invalid_properties', `the event has ${keys.length} properties, and at most ${MAX_PROPERTIES} are allowed`];
  for (const k of keys.sort()) {
    const v = e.properties[k];
    if (k === '') return ['invalid_properties', `the property name ${label(k)} is empty`];
    if (k.length > MAX_KEY) return ['invalid_properties', `the property name ${label(k)} is longer than ${MAX_KEY} characters`];
    const seg = k.split('.').find((s) => RESERVED.has(s));
    if (seg !== undefined) return ['invalid_properties', `the property name ${label(k)} is refused because ${JSON.stringify(seg)} is reserved`];
    if (typeof v === 'string') {
      if (v.length > MAX_VALUE) return ['invalid_properties', `the property ${label(k)} is longer than ${MAX_VALUE} characters`];
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return ['invalid_properties', `the property ${label(k)} is ${v}`];
    } else if (typeof v !== 'boolean') {
      return ['invalid_properties', `the property ${label(k)} is ${v === null ? 'null, not a string, number or boolean' : 'not a string, number or boolean'}`];
    }
  }
  if (e.identity === '') return ['no_identity', "the event has no identity, and Heap's server API needs one for every event"];
  const norm = e.identity.replace(TRIM_BLANK, '').toLowerCase();
  if (norm === '') return ['invalid_identity', 'the identity is empty'];
  if (e.identity.length > MAX_IDENTITY) return ['invalid_identity', 'the identity is longer than 255 characters'];
  if (MERGE_RISK.has(norm)) return ['invalid_identity', `the identity is refused because ${JSON.stringify(e.identity)} is shared by many people and would merge them into one Heap user`];
  if (e.timestamp !== '') {
    const t = parseRFC3339(e.timestamp);
    if (t === null) return ['invalid_timestamp', `the timestamp ${label(e.timestamp)} is not RFC 3339, like 2024-05-01T12:00:00Z`];
    if (t > now + MAX_FUTURE_MS) return ['invalid_timestamp', `the timestamp ${label(e.timestamp)} is more than 5 minutes in the future`];
    if (t < now - MAX_AGE_MS) return ['invalid_timestamp', `the timestamp ${label(e.timestamp)} is older than 7 days`];
  }
  return null;
}

// parseRFC3339 returns the epoch milliseconds of an RFC 3339 time, or null.
function parseRFC3339(s) {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return null;
  let offset = 0;
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const [oh, om] = m[8].slice(1).split(':').map(Number);
    if (oh > 23 || om > 59) return null;
    offset = sign * (oh * 60 + om) * 60000;
  }
  return ms - offset + (m[7] ? Number(m[7].slice(0, 4).padEnd(4, '0').slice(1)) : 0);
}

// ---- signature ----

const encoder = new TextEncoder();
const keys = new Map();
async function hmacHex(secret, identity) {
  let key = keys.get(secret);
  if (!key) {
    key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(identity)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- Heap ----

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function forward(cfg, events, start) {
  const body = JSON.stringify({
    app_id: cfg.appID,
    events: events.map((e) => {
      const out = { identity: e.identity, timestamp: e.timestamp || new Date(start).toISOString(), event: e.name };
      const props = {};
      let any = false;
      for (const [k, v] of Object.entries(e.properties)) { props[k] = typeof v === 'boolean' ? String(v) : v; any = true; }
      if (any) out.properties = props;
      out.idempotency_key = e.id;
      return out;
    })
  });
  let backoff = FIRST_BACKOFF_MS;
  let slept = 0;
  for (;;) {
    const remaining = HEAP_DEADLINE_MS - Math.max(Date.now() - start, slept);
    let status = 0;
    let heapWait = 0;
    let last;
    if (remaining <= 0) {
      last = 'no time left before the deadline';
    } else {
      try {
        const res = await fetch(`${cfg.heapAPIURL}/api/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(remaining) });
        await res.arrayBuffer();
        status = res.status;
        const ra = Number((res.headers.get('retry-after') ?? '').trim());
        if (Number.isInteger(ra) && ra > 0 && ra <= 86400) heapWait = ra * 1000;
      } catch (err) {
        last = String(err?.message ?? err);
      }
    }
    if (last === undefined && status >= 200 && status < 300) return { accepted: true };
    if (last === undefined && status >= 400 && status < 500 && status !== 429) return { rejected: status };
    if (last === undefined) last = `HTTP ${status}`;
    const wait = heapWait || backoff;
    if (Math.max(Date.now() - start, slept) + wait >= HEAP_DEADLINE_MS) return { failure: last, retryAfterMs: heapWait || PAGE_RETRY_AFTER_S * 1000 };
    await sleep(wait);
    slept += wait;
    backoff *= 2;
  }
}

// ---- the request ----

async function readCapped(request, max) {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) { await reader.cancel(); return null; }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.byteLength; }
  return new TextDecoder().decode(all);
}

async function events(request, cfg, cors) {
  const start = Date.now();
  const client = request.headers.get('cf-connecting-ip') ?? '';
  const clientLimit = takeTokens([{ key: `client:${client}`, n: 1, perMinute: cfg.clientPerMinute }], start);
  if (clientLimit) {
    return fail(429, `client rate limit: more than ${cfg.clientPerMinute} requests per minute from this address`, { ...cors, 'retry-after': seconds(clientLimit.waitMs) });
  }
  const ct = request.headers.get('content-type') ?? '';
  const mediaType = ct.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json' && mediaType !== 'text/plain') {
    return fail(415, `content type ${JSON.stringify(ct)} is not supported; send application/json or text/plain`, cors);
  }
  const tooLarge = `the body is over the relay's cap of ${cfg.maxBodyBytes} bytes; send fewer events per request`;
  if (Number(request.headers.get('content-length') ?? 0) > cfg.maxBodyBytes) return fail(413, tooLarge, cors);
  const text = await readCapped(request, cfg.maxBodyBytes);
  if (text === null) return fail(413, tooLarge, cors);
  let batch;
  try { batch = decode(text); } catch (err) { return fail(400, err.message, cors); }

  if (cfg.secret) {
    const identity = batch[0].identity;
    if (batch.some((e) => e.identity !== identity)) return fail(403, 'the batch mixes identities; a signed batch must carry one identity', cors);
    const sig = request.headers.get('x-bridge-signature') || new URL(request.url).searchParams.get('signature') || '';
    if (!sig) return fail(403, 'the signature is missing: send the X-Bridge-Signature header or the signature query parameter', cors);
    if (sig !== await hmacHex(cfg.secret, identity)) return fail(403, 'the signature does not match the identity', cors);
  }

  // Every id is answered once, like the Go relay: copies of one event are that event, and an id
  // carried by different events is refused.
  const first = new Map();
  const conflict = new Set();
  for (const e of batch) {
    const text = JSON.stringify(e);
    if (!first.has(e.id)) first.set(e.id, { e, text });
    else if (first.get(e.id).text !== text) conflict.add(e.id);
  }
  const ok = [];
  const refused = [];
  for (const e of batch) {
    if (first.get(e.id).e !== e) continue;
    const why = checkEvent(e, conflict, start);
    if (why) refused.push({ id: e.id, reason: `${why[0]}: ${why[1]}` });
    else ok.push(e);
  }
  const perIdentity = new Map();
  for (const e of ok) perIdentity.set(e.identity, (perIdentity.get(e.identity) ?? 0) + 1);
  const wants = [...perIdentity].map(([identity, n]) => ({ key: `identity:${identity}`, n, perMinute: cfg.identityEventsPerMinute, identity }));
  const identityLimit = takeTokens(wants, start);
  if (identityLimit) {
    return fail(429, `identity rate limit: more than ${cfg.identityEventsPerMinute} events per minute for identity ${label(identityLimit.blocked.identity)}`,
      { ...cors, 'retry-after': seconds(identityLimit.waitMs) });
  }
  const answer = { accepted: [], refused };
  if (ok.length) {
    const out = await forward(cfg, ok, start);
    if (out.failure) {
      return fail(503, `Heap's API did not accept the events: ${out.failure}`, { ...cors, 'retry-after': seconds(out.retryAfterMs) });
    }
    if (out.rejected) for (const e of ok) refused.push({ id: e.id, reason: `heap_rejected: Heap's API refused the batch with HTTP ${out.rejected}` });
    else for (const e of ok) answer.accepted.push(e.id);
  }
  return json(200, answer, cors);
}

export default {
  async fetch(request, env) {
    const cfg = config(env);
    if (cfg.error) return fail(500, `relay is misconfigured: ${cfg.error}`);
    // Like the Go relay, answer under any first-party route prefix (example.com/heap-relay/*).
    const full = new URL(request.url).pathname;
    const at = full.lastIndexOf('/v1/');
    const pathname = at > 0 ? full.slice(at) : full;
    if (pathname === HEALTH_PATH) {
      if (request.method !== 'GET') return fail(405, `method ${request.method} is not allowed on ${HEALTH_PATH}; use GET`, { allow: 'GET' });
      return json(200, { ok: true });
    }
    if (pathname !== EVENTS_PATH) return fail(404, `no such path ${JSON.stringify(pathname)}; the relay serves POST ${EVENTS_PATH}`);
    if (request.method !== 'POST' && request.method !== 'OPTIONS') {
      return fail(405, `method ${request.method} is not allowed on ${EVENTS_PATH}; use POST`, { allow: 'POST, OPTIONS' });
    }
    const origin = request.headers.get('origin');
    let cors = {};
    if (origin) {
      if (!cfg.origins.includes(origin)) return fail(403, `origin ${origin} is not allowed`);
      cors = { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'Retry-After' };
    }
    if (request.method === 'OPTIONS') {
      return new Response(null, { status: 204, headers: { ...cors, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'Content-Type, X-Bridge-Signature', 'access-control-max-age': '86400' } });
    }
    try {
      return await events(request, cfg, cors);
    } catch (err) {
      return fail(500, `relay failed: ${err?.message ?? err}`, cors);
    }
  }
};
