// Leaving the page (docs/contract.md §9, docs/leaving-the-page.md): when the page is hidden, the
// events the module has not answered are written to storage at once (persist.js); a page shown
// again takes them back, or learns another page claimed them; a loading page claims what earlier
// pages of the origin stored and hands it to the module before its own events. The module decides
// what each stored event becomes.
import { win, settings, setting, now } from './page.js';
import { page } from './loading.js';
import { persistence } from './persist.js';
import { deliver, deliverFirst, entry, currentTask, failure, giveAway, holdAnswers, isEvent, mayPersist, pageId, undelivered } from './channel.js';

var store = null, allowed = false, takingBack = 0;

// startLeaving sets it up once the settings are known: nothing without Web Locks, since a claim
// must be atomic, or with the setting persist false.
export function startLeaving() {
  var on = setting(settings, 'persist') !== false;
  // Until the module's first answer says (persist on, consent granted), the settings say.
  allowed = on && !/^(pending|denied)$/.test(setting(settings, 'consent'));
  try {
    if (on && navigator.locks.request) store = persistence({ storage: function () { return win.localStorage; }, locks: navigator.locks, page: pageId });
  } catch (e) { /* no Web Locks: nothing is kept */ }
  if (!store) return;
  holdAnswers(function () { takeBack(); return store.parked(); }, store.unstore);
  win.addEventListener('pagehide', persistPending);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') persistPending(); else takeBack();
  });
  win.addEventListener('pageshow', takeBack);
  claimStored();
}

// persistPending writes the events the module holds or has not answered, synchronously, as the page is
// hidden: [id, identity, epoch ms, kind, name, ref, task, at, arg...]. A consent change the
// module has not answered yet decides instead of its word.
function persistPending() {
  if (failure) return;
  var list = undelivered(), ok = mayPersist === null ? allowed : mayPersist, events = [], i, e;
  for (i = 0; i < list.length; i++) {
    e = list[i];
    if (e[0] === 'consent') ok = e[1] === 'granted';
    if (isEvent(e)) events.push(e[0] === 'recovered' ? e.slice(5, 8).concat(e.slice(9)) : [e.id, e.who, page.timeOrigin + e[4]].concat(e));
  }
  if (!ok || !events.length) return;
  var r = store.write(events);
  if (r.given.length) giveAway(r.given);
  if (r.written || r.refused) deliver(entry('persisted', '', [r.written, r.refused], null));
}

// takeBack, once the page is shown again or an answer arrives after a write, takes the stored
// events back (or learns which another page claimed), then applies the answers held meanwhile. A
// page still hidden applies them under the lock, each event stored until its own call.
function takeBack() {
  if (takingBack || !store.parked()) return;
  takingBack = 1;
  store.takeBack(document.visibilityState === 'hidden' && function () { giveAway([]); }).then(function (ids) {
    takingBack = 0;
    giveAway(ids);
  });
}

// claimStored hands over what earlier pages of the origin stored, before this page's own events.
function claimStored() {
  store.claim().then(function (r) {
    var list = r.entries.map(function (s) {
      var e = ['recovered', '', 0, currentTask(), now()].concat(s);
      e.id = s[0];
      e.who = s[1];
      return e;
    });
    if (r.overflow) list.push(entry('unrecovered', 'overflow', [r.overflow], null));
    if (r.unavailable) list.push(entry('unrecovered', 'storage_unavailable', [r.unavailable], null));
    deliverFirst(list);
  });
}
