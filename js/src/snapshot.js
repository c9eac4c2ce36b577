// Snapshots: bounded, acyclic JSON copies Go reads without touching page objects. Strings, finite
// numbers, booleans and null are themselves; anything else is a tagged array (bridge/snapshot.go):
// ["u"], ["o", omitted, key, value, ...], ["a", omitted, item, ...], ...
import { errorText } from './text.js';

var MAX_DEPTH = 8, MAX_ENTRIES = 200, MAX_NODES = 2000, MAX_STRING = 4096;

export function snapshot(value) {
  return snap(value, 0, [], { nodes: 0 });
}

function snap(v, depth, stack, budget) {
  switch (typeof v) {
    case 'string': return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
    case 'number': return v - v === 0 ? v : ['n', String(v)]; // NaN and Infinity have no JSON
    case 'boolean': return v;
    case 'undefined': return ['u'];
    case 'function': return ['f'];
    case 'symbol': return ['y'];
    case 'bigint': return ['g', String(v)];
  }
  if (v === null) return null;
  if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return ['t'];
  if (stack.indexOf(v) >= 0) return ['c'];
  stack.push(v);
  try {
    if (Object.prototype.toString.call(v) === '[object Date]') {
      var ms = Date.prototype.getTime.call(v);
      return ms === ms ? ['d', new Date(ms).toISOString()] : ['x', 'invalid date'];
    }
    var out, i, n;
    if (Array.isArray(v)) {
      n = Math.min(v.length, MAX_ENTRIES);
      out = ['a', v.length - n];
      for (i = 0; i < n; i++) out.push(read(v, i, depth, stack, budget));
      return out;
    }
    var keys = Object.keys(v);
    n = Math.min(keys.length, MAX_ENTRIES);
    out = ['o', keys.length - n];
    for (i = 0; i < n; i++) out.push(keys[i], read(v, keys[i], depth, stack, budget));
    return out;
  } catch (e) {
    return ['x', errorText(e)]; // a Proxy trap or an exotic object threw
  } finally {
    stack.pop();
  }
}

function read(obj, key, depth, stack, budget) {
  var value;
  try { value = obj[key]; } catch (e) { return ['x', errorText(e)]; }
  return snap(value, depth + 1, stack, budget);
}

// refs number payload objects so the same object delivered twice is recognised in Go.
var refs = typeof WeakMap === 'function' ? new WeakMap() : null;
var nextRef = 1;
export function refOf(v) {
  if (!refs || v === null || (typeof v !== 'object' && typeof v !== 'function')) return 0;
  var r = refs.get(v);
  if (!r) { r = nextRef++; refs.set(v, r); }
  return r;
}
