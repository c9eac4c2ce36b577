// The entry Node resolves (server-side rendering, a test runner): the bridge's API, doing nothing.
// It reads no global and writes none, so importing the package outside a page is harmless; the
// bridge itself runs only in the browser. build.mjs writes its ES module form, server.mjs, from it.
'use strict';

// notInPage is the answer of ready() and whenForwarded() here: a rejection that says why.
function notInPage(call) {
  return Promise.reject(new Error('userpilot-heap-bridge: ' + call + ' was called outside a browser page (the package\'s server entry); the bridge runs only in the page, so call it from client-side code'));
}

module.exports = Object.freeze({
  version: '__VERSION__',
  ready: function () { return notInPage('ready()'); },
  stats: function () {
    return { received: 0, forwarded: 0, dropped: 0, duplicates: 0, identifies: 0, resets: 0, pending: 0, relayed: 0,
      relaying: 0, identityRejected: 0, truncated: 0, persisted: 0, unpersisted: 0, recovered: 0, dropReasons: {}, propertyDrops: {}, events: {}, interfaceIgnored: {} };
  },
  configure: function () {},
  setConsent: function () {},
  history: function () { return []; },
  clearHistory: function () {},
  whenForwarded: function () { return notInPage('whenForwarded()'); }
});
