// The edge relay's transport: the module decides what goes and settles each answer; this sends
// the requests it asks for, and, when the page is being left, the standby beacons it prepared.
import { errorText } from './text.js';
import { deliver, entry, flush, transport } from './channel.js';
import { KIND_RELAYED, KIND_BEACONED } from './protocol.gen.js';

var standby = [];
// beaconed holds the event ids that went by beacon: their Heap calls are not made.
export var beaconed = Object.create(null);
export function setStandby(list) { standby = list; }

export function relay(id, url, body, signature, keepalive) {
  function settle(status, answer, retryAfter, failure) {
    deliver(entry(KIND_RELAYED, '', [id, status, answer, retryAfter, failure], null));
  }
  Promise.resolve().then(function () {
    var headers = { 'Content-Type': 'application/json' };
    if (signature) headers['X-Bridge-Signature'] = signature;
    return fetch(url, { method: 'POST', headers: headers, body: body, keepalive: !!keepalive, credentials: 'omit', mode: 'cors' });
  }).then(function (resp) {
    var retryAfter = parseFloat(resp.headers.get('Retry-After')) || 0;
    return resp.text().then(function (text) {
      var answer;
      try { answer = JSON.parse(text); } catch (e) { answer = undefined; }
      settle(resp.status, answer, retryAfter, '');
    });
  }).catch(function (e) { settle(0, undefined, 0, errorText(e)); });
}

// beacon is for a page being left: a string body goes as text/plain, which needs no preflight,
// and the signature rides in the query because sendBeacon cannot set headers.
function beacon(url, body, signature) {
  try {
    if (signature) url += (url.indexOf('?') < 0 ? '?' : '&') + 'signature=' + encodeURIComponent(signature);
    return navigator.sendBeacon(url, body) === true;
  } catch (e) {
    return false;
  }
}

// A page being left cannot wait for the module: the loader sends the standby beacons the module
// prepared with its last answer, and tells it which went.
export function pageHidden() {
  if (!transport) return;
  flush(true);
  var list = standby;
  standby = [];
  for (var i = 0; i < list.length; i++) {
    var b = list[i], ok = beacon(b[0], b[1], b[2]);
    if (ok) for (var j = 0; j < b[3].length; j++) beaconed[b[3][j]] = true;
    deliver(entry(KIND_BEACONED, '', [ok].concat(b[3]), null));
  }
  flush(true);
}
