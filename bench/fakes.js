// In-page doubles for the per-event benchmark: a no-op Heap that only counts, a minimal full
// Userpilot SDK that keeps handlers per event name and can emit, the event generator, the timed
// loop, and the validation cases both paths must turn into identical Heap calls.
(function () {
  'use strict';
  var NAMES = ['started', 'step', 'completed', 'dismissed'];
  var counts = { track: 0, identify: 0, resetIdentity: 0 };
  var log = null; // an array only during validation, so timed rounds pay one null check
  var waiter = null; // {target, resolve}: resolved when counts.track reaches target

  var heap = {
    track: function (name, props) {
      counts.track++;
      if (log) log.push(JSON.stringify(['track', name, props]));
      if (waiter && counts.track >= waiter.target) { var w = waiter; waiter = null; w.resolve(performance.now()); }
    },
    identify: function (id) { counts.identify++; if (log) log.push(JSON.stringify(['identify', id])); },
    resetIdentity: function () { counts.resetIdentity++; if (log) log.push(JSON.stringify(['resetIdentity'])); }
  };

  // makeSdk mimics a loaded Userpilot SDK: `on` keeps handlers per name, `emit` calls them in order.
  function makeSdk() {
    var handlers = {};
    return {
      initialized: true,
      on: function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
      off: function (name) { delete handlers[name]; },
      identify: function () {},
      anonymous: function () {},
      clean: function () {},
      emit: function (name, payload) {
        var list = handlers[name];
        if (list) for (var i = 0; i < list.length; i++) list[i](payload);
      }
    };
  }

  // makeEvents builds n fresh payloads shaped like Userpilot's (see the demo stand-in), cycling the
  // four events; ids are unique from `base` on so the bridge's exactly-once check never merges two.
  function makeEvents(n, base) {
    var events = new Array(n);
    for (var i = 0; i < n; i++) {
      var k = base + i, name = NAMES[i % 4];
      var payload = { id: i % 3 === 0 ? 'flow_' + k.toString(36) : k, token: 'tok_' + ((k * 2654435761) % 4294967296).toString(36) };
      if (name === 'step') { payload.step = 1 + (k % 5); payload.totalSteps = 5; }
      events[i] = [name, payload];
    }
    return events;
  }

  // timeRound is the measured loop: only the emits sit between the two clock reads.
  function timeRound(sdk, events) {
    var t0 = performance.now();
    for (var i = 0; i < events.length; i++) sdk.emit(events[i][0], events[i][1]);
    return performance.now() - t0;
  }

  // validationSteps returns fresh inputs that exercise every normalisation rule the baseline copies.
  function validationSteps() {
    var cyc = { id: 'cycle', token: 't' };
    cyc.self = cyc;
    var inner = { n: 1 };
    inner.me = inner;
    var many = { id: 'many', token: 't' };
    for (var i = 0; i < 150; i++) many['k' + i] = i;
    var deep = { id: 'deep' }, d = deep;
    for (var j = 0; j < 10; j++) { d.x = { v: j }; d = d.x; }
    var longList = [];
    for (var k = 0; k < 300; k++) longList.push(k % 10);
    var longKeys = { id: 'long-keys', token: 't' };
    longKeys['k'.repeat(600)] = 1;
    longKeys['k'.repeat(511)] = 2;
    return [
      ['emit', 'started', { id: 101, token: 'abc' }],
      ['emit', 'step', { id: 101, token: 'abc', step: 2, totalSteps: 5 }],
      ['emit', 'completed', { id: 'flow-101', token: 'abc' }],
      ['emit', 'dismissed', { id: 102.5, token: 'x'.repeat(1022) + '\ud83d\ude00tail' }],
      ['emit', 'step', {
        id: 'extras', token: 'ttt', step: '3', totalSteps: null,
        meta: { a: 1, b: { c: 'd', e: null, f: function () {} } },
        tags: ['a', 2, true, null, undefined, 1.5e21, new Date(0)], mixed: [{ x: 1 }, 'y', [1, 2]],
        badList: [1, new Date(NaN)], nan: NaN, inf: -Infinity, when: new Date(86400000), bad: new Date(NaN),
        big: BigInt('12345678901234567890'), empty: [], '': 'blank', 'a.b': 1, a: { b: 2 },
        'x.constructor': 1, userpilot_user_id: 'spoof', sym: Symbol('s'), 7: 'integer key'
      }],
      ['emit', 'started', JSON.parse('{"id": "own-reserved", "__proto__": "p", "constructor": "c", "prototype": 1, "ok": 1}')],
      ['emit', 'started', many],
      ['emit', 'started', deep],
      ['emit', 'started', cyc],
      ['emit', 'started', { id: 'inner', token: 't', inner: inner }],
      ['emit', 'started', longKeys],
      ['emit', 'started', { id: 'long-list', token: 't', list: longList }],
      ['emit', 'started', { id: '', token: 'empty id: dropped' }],
      ['emit', 'started', { id: NaN }],
      ['emit', 'completed', 'not an object'],
      ['emit', 'completed', null],
      ['emit', 'completed', [1, 2]],
      ['identify', 'guest'], // a merge-risk id: Heap is reset, later events carry no user
      ['emit', 'completed', { id: 'anonymous-event', token: 't' }],
      ['identify', 42],
      ['emit', 'step', { id: 'numeric-user', token: 't', step: 1, totalSteps: 2 }],
      ['identify', 'bench-user-1'], // back to the user the timed rounds run as
      ['emit', 'dismissed', { id: 'back', token: 't' }]
    ];
  }

  // tracks resolves, with the time of the call, once heap.track has been called n more times: a
  // bridge in a Worker makes its calls a moment after the emits.
  function tracks(n) {
    var target = counts.track + n;
    return new Promise(function (resolve) {
      if (n <= 0) return resolve(performance.now());
      waiter = { target: target, resolve: resolve };
    });
  }

  // validate runs the cases through one path and resolves with the Heap calls it made, as JSON
  // lines, once settled() says the path is done (at once for the baseline, when idle for the bridge).
  function validate(sdk, identify, settled) {
    log = [];
    var steps = validationSteps();
    for (var i = 0; i < steps.length; i++) {
      if (steps[i][0] === 'identify') identify(steps[i][1]); else sdk.emit(steps[i][1], steps[i][2]);
    }
    return Promise.resolve(settled()).then(function () {
      var calls = log;
      log = null;
      return { calls: calls, cases: steps.length };
    });
  }

  window.BenchFakes = { heap: heap, counts: counts, makeSdk: makeSdk, makeEvents: makeEvents, timeRound: timeRound, tracks: tracks, validate: validate };
})();
