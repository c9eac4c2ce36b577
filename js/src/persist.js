// Leaving the page (docs/contract.md §9, docs/leaving-the-page.md): the events a hidden page has
// not seen answered go to the origin's storage at once, one key per page, and a later page claims
// every other page's key under a Web Lock, so one page takes each entry once. A page shown again
// takes its own key back under the same lock, or learns that another page claimed it. The module
// decides what a stored event becomes; this file only keeps and hands over entries.
//
// An entry is [id, identity or null, epoch ms, kind, name, ref, task, at, arg...]: the loader's
// entry as it saw it, with who it belonged to and when. A claimed entry is handed over with the page
// that stored it after the time: [id, identity, epoch ms, page, kind, name, ...].

export var STORED_PREFIX = 'userpilot-heap-bridge:pending:';
export var CLAIM_LOCK = 'userpilot-heap-bridge:claim';
export var MAX_STORED = 1000; // entries a page writes, and a page takes in: the newest ones
var SETTLE_MS = 100;

// persistence works on env: storage() returns localStorage (reading it may throw), locks is
// navigator.locks (nothing is written or claimed without it: a claim must be atomic), page is this
// page's random id.
export function persistence(env) {
  var key = STORED_PREFIX + env.page;
  var parked = null, parkedText; // ids written to our key and not taken back since (another page may claim them), and that record

  // write stores entries (oldest first) synchronously, the newest MAX_STORED of them (the record
  // says how many older ones it left out), and returns {written, refused, given}: refused are the
  // entries storage threw on, given the ids of an earlier write another page claimed meanwhile,
  // which are left out. Nothing pending, no locks, or the record already written: nothing is touched.
  function write(entries) {
    var out = { written: 0, refused: 0, given: [] };
    if (!entries.length || !env.locks) return out;
    var storage, i;
    try {
      storage = env.storage();
      if (parked && storage.getItem(key) === null) {
        for (i in parked) out.given.push(i);
        parked = null;
      }
    } catch (e) {
      out.refused = entries.length;
      return out;
    }
    var keep = entries.filter(function (e) { return out.given.indexOf(e[0]) < 0; });
    var stored = keep.slice(-MAX_STORED), text = JSON.stringify({ v: 1, page: env.page, omitted: keep.length - stored.length, entries: stored });
    // pagehide and visibilitychange both come as a page is left: the same record is written once
    if (!stored.length || parked && text === parkedText) return out;
    try {
      storage.setItem(key, text);
    } catch (e) {
      out.refused = keep.length;
      return out;
    }
    parked = {};
    parkedText = text;
    for (i = 0; i < stored.length; i++) parked[stored[i][0]] = true;
    out.written = stored.length;
    return out;
  }

  // takeBack ends a write: under the lock, our key still there is ours again (removed), a key gone
  // was claimed by another page. It resolves to the ids given away ([] when none). With apply (the
  // page is still hidden, and closing perhaps), our key is not removed: apply makes the held calls
  // under the lock, and each event leaves the record just before its own call (unstore), so a page
  // ended during a slow call leaves the events not yet called to the next page.
  function takeBack(apply) {
    if (!parked) return Promise.resolve([]);
    return locked(function () {
      var ids = parked ? Object.keys(parked) : [];
      var storage = env.storage();
      if (storage.getItem(key) === null) {
        parked = null;
        return ids;
      }
      if (apply) {
        owning = true;
        try { apply(); } finally { owning = false; }
      } else {
        parked = null;
        remove(storage, key);
      }
      return [];
    }).catch(function () {
      return []; // storage went away: nothing left there to claim either
    });
  }

  // unstore takes the event id out of our record, inside takeBack's apply only (under the lock);
  // the record goes when it is empty, or when storage will not take it rewritten.
  var owning = false;
  function unstore(id) {
    if (!owning || !parked || !parked[id]) return;
    delete parked[id];
    var storage = env.storage(), r = JSON.parse(parkedText);
    r.entries = r.entries.filter(function (e) { return e[0] !== id; });
    parkedText = JSON.stringify(r);
    removed = true; // rewritten, the record lost an entry: other tabs must see it as a removal
    try {
      if (r.entries.length) return storage.setItem(key, parkedText);
    } catch (e) { /* removed below: the event must not stay stored as its call is made */ }
    parked = null;
    remove(storage, key);
  }

  // claim takes every other page's key under the lock. It resolves to {entries, overflow,
  // unavailable}: overflow counts what writers left out, unavailable the entries read but not
  // removed (storage threw), left out so that no other page delivers them a second time. The
  // module applies the 24-hour and MAX_STORED rules to what it is handed.
  function claim() {
    var out = { entries: [], overflow: 0, unavailable: 0 };
    if (!env.locks) return Promise.resolve(out);
    return locked(function () {
      var storage = env.storage(), keys = [], i;
      for (i = 0; i < storage.length; i++) {
        var k = storage.key(i);
        if (k && k.indexOf(STORED_PREFIX) === 0 && k !== key) keys.push(k);
      }
      keys.forEach(function (k) {
        var record = readRecord(storage.getItem(k));
        try {
          remove(storage, k);
        } catch (e) {
          out.unavailable += record.entries.length + (record.omitted | 0);
          return;
        }
        out.overflow += record.omitted | 0;
        record.entries.forEach(function (e) {
          if (Array.isArray(e)) out.entries.push([e[0], e[1], e[2], record.page].concat(e.slice(3)));
        });
      });
      return out;
    }).catch(function () {
      return out;
    });
  }

  // locked runs fn under the lock and resolves to its result at once, so that what it took is acted
  // on in the same task (a page closed a moment later has made its calls, or left its key); it keeps
  // the lock SETTLE_MS longer when fn removed a key: other tabs' pages may run in other processes,
  // whose copy of localStorage learns of a removal a moment later, and the next holder must see it.
  function locked(fn) {
    return new Promise(function (ok, no) {
      env.locks.request(CLAIM_LOCK, function () {
        removed = false;
        ok(fn());
        return removed && new Promise(function (r) { setTimeout(r, SETTLE_MS); });
      }).catch(no);
    });
  }
  var removed = false;
  function remove(storage, k) { storage.removeItem(k); removed = true; }

  return { write: write, takeBack: takeBack, claim: claim, unstore: unstore, parked: function () { return !!parked && !owning; } };
}

// readRecord parses a stored record; anything else reads as empty (the module checks each entry).
function readRecord(text) {
  var r;
  try { r = JSON.parse(text); } catch (e) { /* not ours */ }
  return r && r.v === 1 && Array.isArray(r.entries) ? r : { entries: [], omitted: 0 };
}
