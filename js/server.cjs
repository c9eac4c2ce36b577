// The entry Node resolves (server-side rendering, a test runner): the bridge's API, doing nothing.
// It reads no global and writes none, so importing the package outside a page is harmless; the
// bridge itself runs only in the browser. build.mjs writes its ES module form, server.mjs, from it.
'use strict';

// notInPage is the answer of whenForwarded() here: a rejection that says why, since nothing is
// ever forwarded outside a page.
function notInPage(call) {
  return Promise.reject(new Error('userpilot-heap-bridge: ' + call + ' was called outside a browser page (the package\'s server entry); the bridge runs only in the page, so call it from client-side code'));
}

module.exports = Object.freeze({
  version: '__VERSION__',
  // ready() resolves: there is nothing to wait for here, and a ready() nobody catches (code shared by
  // the server and the page) must never end a Node process with an unhandled rejection.
  ready: function () { return Promise.resolve(); },
  stats: function () {
    return { received: 0, forwarded: 0, dropped: 0, duplicates: 0, identifies: 0, resets: 0, pending: 0, relayed: 0,
      relaying: 0, identityRejected: 0, truncated: 0, dropReasons: {}, propertyDrops: {}, events: {}, interfaceIgnored: {} };
  },
  configure: function () {},
  setConsent: function () {},
  history: function () { return []; },
  clearHistory: function () {},
  whenForwarded: function () { return notInPage('whenForwarded()'); }
});
