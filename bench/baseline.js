// The yardstick for the per-event benchmark: the bridge's per-event work written by hand in plain
// JavaScript. It follows bridge/events.go, properties.go and identity.go (and the loader's snapshot
// limits) for ordinary page objects, and calls the same Heap; it keeps no stats and no dedupe.
(function () {
  'use strict';
  var HEAP_NAMES = {
    started: 'Userpilot Experience (started)', step: 'Userpilot Experience (step)',
    completed: 'Userpilot Experience (completed)', dismissed: 'Userpilot Experience (dismissed)'
  };
  var FIELDS = [['token', 'experience_token'], ['step', 'step'], ['totalSteps', 'total_steps']];
  var KNOWN = new Set(['id', 'token', 'step', 'totalSteps']);
  var RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
  var NOT_JOINABLE = new Set(['object', 'array', 'cycle', 'bad', 'deep']); // arrays holding these flatten by index
  var MERGE_RISK = new Set(['null', 'undefined', 'nan', '0', '-1', 'user', 'guest', 'anonymous',
    'unknown', 'none', 'n/a', 'test']);
  var USER_KEY = 'userpilot_user_id';
  var MAX_VALUE = 1023, MAX_KEY = 511, MAX_PROPS = 100, MAX_ID = 255, MAX_DEPTH = 8, MAX_ENTRIES = 200;
  var own = Object.prototype.hasOwnProperty;

  // cut shortens s to MAX_VALUE UTF-16 units, stepping back rather than split a surrogate pair.
  function cut(s) {
    if (s.length <= MAX_VALUE) return s;
    var n = MAX_VALUE, hi = s.charCodeAt(n - 1);
    if (hi >= 0xd800 && hi < 0xdc00 && (s.charCodeAt(n) & 0xfc00) === 0xdc00) n--;
    return s.slice(0, n);
  }

  // kind names what the loader's snapshot would make of v at this depth, with `stack` its ancestors.
  function kind(v, depth, stack) {
    var t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return t;
    if (v === null || t !== 'object') return 'unsupported'; // null, undefined, function, symbol
    if (depth >= MAX_DEPTH) return 'deep';
    if (stack.indexOf(v) >= 0) return 'cycle';
    if (v instanceof Date) return v.getTime() === v.getTime() ? 'date' : 'bad';
    return Array.isArray(v) ? 'array' : 'object';
  }

  // scalar returns the Heap value of a leaf, or undefined when it must be dropped.
  function scalar(v, k) {
    switch (k) {
      case 'string': return cut(v);
      case 'number': return isFinite(v) ? v : undefined;
      case 'boolean': return v;
      case 'bigint': return cut(String(v));
      case 'date': return cut(v.toISOString());
    }
  }

  // set adds a final key under Heap's key rules and the cap (one place kept for the user id).
  function set(p, key, value) {
    var segs = key.split('.');
    for (var i = 0; i < segs.length; i++) if (RESERVED.has(segs[i])) return;
    if (key.length > MAX_KEY || own.call(p.out, key) || p.n >= MAX_PROPS - 1) return;
    p.out[key] = value;
    p.n++;
  }

  // add flattens v under key: objects with dot keys, arrays of scalars joined with '||',
  // other arrays by index; unsupported leaves are dropped.
  function add(p, key, v, depth, stack) {
    if (key === '') return;
    var k = kind(v, depth, stack), i;
    if (k === 'object') {
      stack.push(v);
      var keys = Object.keys(v).slice(0, MAX_ENTRIES);
      for (i = 0; i < keys.length; i++) {
        if (!RESERVED.has(keys[i]) && keys[i] !== '') add(p, key + '.' + keys[i], v[keys[i]], depth + 1, stack);
      }
      stack.pop();
    } else if (k === 'array') {
      stack.push(v);
      var n = Math.min(v.length, MAX_ENTRIES), kinds = [], joinable = true;
      for (i = 0; i < n; i++) {
        kinds.push(kind(v[i], depth + 1, stack));
        if (NOT_JOINABLE.has(kinds[i])) joinable = false;
      }
      if (joinable) {
        var parts = [];
        for (i = 0; i < n; i++) {
          var s = kinds[i] === 'date' ? v[i].toISOString() : kinds[i] === 'unsupported' ||
            (kinds[i] === 'number' && !isFinite(v[i])) ? undefined : String(v[i]);
          if (s !== undefined) parts.push(s);
        }
        set(p, key, cut(parts.join('||')));
      } else {
        for (i = 0; i < n; i++) add(p, key + '.' + i, v[i], depth + 1, stack);
      }
      stack.pop();
    } else {
      var value = scalar(v, k);
      if (value !== undefined) set(p, key, value);
    }
  }

  // create returns a handler set bound to a Heap getter; identify/event mirror the bridge's inputs.
  function create(getHeap) {
    var user = null, sent = null;

    function identify(id) {
      var s = typeof id === 'string' ? id : typeof id === 'number' && isFinite(id) ? String(id) : null;
      var norm = s === null ? '' : s.trim().toLowerCase();
      if (norm === '' || s.length > MAX_ID || MERGE_RISK.has(norm)) {
        user = null;
        if (sent !== null) { sent = null; getHeap().resetIdentity(); } // reset only a Heap we identified
        return;
      }
      user = s;
    }

    function event(name, payload) {
      if (!own.call(HEAP_NAMES, name) || kind(payload, 0, []) !== 'object') return;
      var keys = Object.keys(payload).slice(0, MAX_ENTRIES), stack = [payload];
      var id = keys.indexOf('id') >= 0 ? payload.id : undefined;
      var idOk = typeof id === 'number' ? isFinite(id) : typeof id === 'string' && id !== '';
      if (!idOk) return;
      var p = { out: {}, n: 0 }, i;
      set(p, 'experience_id', typeof id === 'string' ? cut(id) : id);
      for (i = 0; i < FIELDS.length; i++) {
        var from = FIELDS[i][0];
        if (keys.indexOf(from) >= 0 && payload[from] !== undefined) add(p, FIELDS[i][1], payload[from], 1, stack);
      }
      for (i = 0; i < keys.length; i++) {
        if (!KNOWN.has(keys[i]) && !RESERVED.has(keys[i])) add(p, keys[i], payload[keys[i]], 1, stack);
      }
      var heap = getHeap();
      if (user !== null) {
        if (sent !== user) { sent = user; heap.identify(user); }
        delete p.out[USER_KEY]; // the bridge's id replaces a payload's, and goes last
        p.out[USER_KEY] = cut(user);
      }
      heap.track(HEAP_NAMES[name], p.out);
    }

    return { identify: identify, event: event };
  }

  window.BenchBaseline = { create: create, events: Object.keys(HEAP_NAMES) };
})();
