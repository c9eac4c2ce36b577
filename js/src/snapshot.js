// Snapshots: bounded, acyclic JSON copies Go reads without touching page objects. Strings, finite
// numbers, booleans and null are themselves; anything else is a tagged array (bridge/snapshot.go,
// the tags bridge.Kind*): [SNAP_UNDEFINED], [SNAP_OBJECT, omitted, key, value, ...], ...
import { errorText } from './text.js';
import {
  SNAP_UNDEFINED, SNAP_NUMBER, SNAP_OBJECT, SNAP_ARRAY, SNAP_DATE, SNAP_FUNCTION, SNAP_SYMBOL, SNAP_BIGINT, SNAP_CYCLE,
  SNAP_UNREADABLE, SNAP_TOO_DEEP
} from './protocol.gen.js';

var MAX_DEPTH = 8, MAX_ENTRIES = 200, MAX_NODES = 2000, MAX_STRING = 4096;

export function snapshot(value) {
  return snap(value, 0, [], { nodes: 0 });
}

function snap(v, depth, stack, budget) {
  switch (typeof v) {
    case 'string': return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
    case 'number': return v - v === 0 ? v : [SNAP_NUMBER, String(v)]; // NaN and Infinity have no JSON
    case 'boolean': return v;
    case 'undefined': return [SNAP_UNDEFINED];
    case 'function': return [SNAP_FUNCTION];
    case 'symbol': return [SNAP_SYMBOL];
    case 'bigint': return [SNAP_BIGINT, String(v)];
  }
  if (v === null) return null;
  if (depth >= MAX_DEPTH || ++budget.nodes > MAX_NODES) return [SNAP_TOO_DEEP];
  if (stack.indexOf(v) >= 0) return [SNAP_CYCLE];
  stack.push(v);
  try {
    if (Object.prototype.toString.call(v) === '[object Date]') {
      var ms = Date.prototype.getTime.call(v);
      return ms === ms ? [SNAP_DATE, new Date(ms).toISOString()] : [SNAP_UNREADABLE, 'invalid date'];
    }
    var out, i, n;
    if (Array.isArray(v)) {
      n = Math.min(v.length, MAX_ENTRIES);
      out = [SNAP_ARRAY, v.length - n];
      for (i = 0; i < n; i++) out.push(read(v, i, depth, stack, budget));
      return out;
    }
    var keys = Object.keys(v);
    n = Math.min(keys.length, MAX_ENTRIES);
    out = [SNAP_OBJECT, keys.length - n];
    for (i = 0; i < n; i++) out.push(keys[i], read(v, keys[i], depth, stack, budget));
    return out;
  } catch (e) {
    return [SNAP_UNREADABLE, errorText(e)]; // a Proxy trap or an exotic object threw
  } finally {
    stack.pop();
  }
}

function read(obj, key, depth, stack, budget) {
  var value;
  try { value = obj[key]; } catch (e) { return [SNAP_UNREADABLE, errorText(e)]; }
  return snap(value, depth + 1, stack, budget);
}

// refs number payload objects so the same object delivered twice is recognised in Go.
var refs = new WeakMap();
var nextRef = 1;
export function refOf(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return 0;
  var r = refs.get(v);
  if (!r) { r = nextRef++; refs.set(v, r); }
  return r;
}
