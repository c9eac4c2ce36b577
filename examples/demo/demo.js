// Demo page wiring: buttons drive the Userpilot stand-in; a timer shows the bridge's counters.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var users = ["alice", "bob", "carol", "dave"];
  var nextFlowId = 1;
  var hostCompleted = 0;

  // The host app's own handler: the bridge must leave it working.
  userpilot.on("completed", function () {
    hostCompleted++;
    $("host-status").innerHTML = "The page's own <code>userpilot.on('completed')</code> handler has fired " + hostCompleted + " time" + (hostCompleted === 1 ? "" : "s") + ".";
  });

  function sdk(action) {
    if (!userpilotStandIn.loaded) {
      $("userpilot-status").textContent = "Identify a user or go anonymous first: Userpilot only loads its SDK then.";
      return;
    }
    action(userpilotStandIn);
    showUserpilot();
  }

  function showUserpilot() {
    if (!userpilotStandIn.loaded) return;
    var st = userpilotStandIn.state();
    var flow = userpilotStandIn.currentFlow();
    $("userpilot-status").textContent = "Userpilot: user " + (st.userId ? JSON.stringify(st.userId) : "(anonymous)") +
      (flow ? ", flow " + flow.id + " on step " + flow.step + " of " + flow.totalSteps : ", no flow running") + ".";
  }

  $("identify").onclick = function () { userpilot.identify($("user-id").value); userpilotStandIn.ready.then(showUserpilot); };
  $("switch").onclick = function () {
    var i = (users.indexOf($("user-id").value) + 1) % users.length;
    $("user-id").value = users[i];
    $("identify").onclick();
  };
  $("anonymous").onclick = function () { userpilot.anonymous(); userpilotStandIn.ready.then(showUserpilot); };
  $("start").onclick = function () { sdk(function (up) { var id = nextFlowId++; up.startFlow(id, "flow-token-" + id, 3); }); };
  $("next").onclick = function () { sdk(function (up) { up.nextStep(); }); };
  $("complete").onclick = function () { sdk(function (up) { up.complete(); }); };
  $("dismiss").onclick = function () { sdk(function (up) { up.dismiss(); }); };

  // Bridge panel: ready state once, counters every half second.
  function watchBridge() {
    var bridge = window.UserpilotHeapBridge;
    if (!bridge) {
      $("bridge-status").textContent = "Not loaded yet (is dist/ built? run `make build`).";
      setTimeout(watchBridge, 500);
      return;
    }
    bridge.ready().then(function () {
      $("bridge-status").textContent = "Ready, version " + bridge.version + ".";
    }, function (err) {
      $("bridge-status").textContent = "Failed to load: " + err.message;
      $("bridge-status").className = "status error";
    });
    setInterval(function () { $("bridge-stats").textContent = JSON.stringify(bridge.stats(), null, 2); }, 500);
  }
  watchBridge();

  // "Heap blocked" mode (?heap=blocked): what Heap's server API received through the edge relay.
  if (window.heapBlocked) {
    $("mode").innerHTML = "<strong>Heap is blocked</strong> (a simulated ad-blocker): events go through the edge relay. " +
      "<a href=\"/\">Let Heap load</a>";
    $("relay-panel").hidden = false;
    var shown = -1;
    var pollHeapAPI = function () {
      fetch("/heap-server-api/_events", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (snap) {
        $("heap-api-status").textContent = snap.requests + " track request" + (snap.requests === 1 ? "" : "s") +
          ", " + snap.events.length + " event" + (snap.events.length === 1 ? "" : "s") + " stored, " + snap.duplicates + " duplicates.";
        if (snap.events.length === shown) return;
        shown = snap.events.length;
        var body = $("heap-api-events").tBodies[0];
        body.textContent = "";
        snap.events.forEach(function (e, i) {
          var row = body.insertRow();
          [String(i + 1), e.identity, e.event, JSON.stringify(e.properties || {}), e.idempotency_key || ""].forEach(function (text) {
            row.insertCell().textContent = text;
          });
        });
      }, function (err) {
        $("heap-api-status").textContent = "Cannot read the fake Heap API: " + err.message;
      });
    };
    $("reset-heap-api").onclick = function () { fetch("/heap-server-api/_reset", { method: "POST" }).then(pollHeapAPI); };
    pollHeapAPI();
    setInterval(pollHeapAPI, 1000);
  }
})();
