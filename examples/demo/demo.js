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

  // Checklist, NPS and form events reach the bridge only through Userpilot's Heap integration.
  var nextTask = 1;
  $("checklist").onclick = function () {
    sdk(function (up) {
      var task = nextTask++;
      up.checklist("task completed", { checklist_id: "onboarding", checklist_title: "Get started", task_id: "task-" + task, task_title: "Task " + task });
    });
  };
  $("nps").onclick = function () { sdk(function (up) { up.nps("score", { nps_id: "nps-q4", score: 9 }); }); };
  $("form").onclick = function () {
    sdk(function (up) {
      up.form({ form_id: "feedback", form_title: "Feedback", answers: [{ question_id: "role", answer: "PM" }, { question_id: "team_size", answer: 12 }] });
    });
  };

  // The app's own Heap calls; the bridge mirrors some of them to Userpilot (toUserpilot).
  var plans = ["pro", "team", "enterprise"], nextPlan = 0;
  $("app-plan").onclick = function () { heap.track("Plan upgraded", { plan: plans[nextPlan++ % plans.length], seats: 5, trial: false }); };
  // The user properties carry the plan last upgraded to.
  // The user properties carry the plan last upgraded to.
  $("app-props").onclick = function () { heap.addUserProperties({ plan: plans[(nextPlan + 2) % plans.length], company: { size: 40 } }); };
  $("app-other").onclick = function () { heap.track("Clicked logo"); };

  // What Userpilot received from the mirror: tracks named with the prefix, identifies with heap_ keys.
  var shownUserpilot = -1;
  function showUserpilotCalls() {
    if (!userpilotStandIn.loaded) return;
    var calls = userpilotStandIn.state().calls.filter(function (c) {
      if (c.method === "track") return typeof c.args[0] === "string" && c.args[0].indexOf("Heap: ") === 0;
      return c.method === "identify" && c.args[1] && Object.keys(c.args[1]).some(function (k) { return k.indexOf("heap_") === 0; });
    });
    if (calls.length === shownUserpilot) return;
    shownUserpilot = calls.length;
    var body = $("userpilot-calls").tBodies[0];
    body.textContent = "";
    calls.forEach(function (c, i) {
      var row = body.insertRow();
      [String(i + 1), "userpilot." + c.method, c.args.map(function (a) { return JSON.stringify(a); }).join(", ")].forEach(function (text) {
        row.insertCell().textContent = text;
      });
    });
    $("userpilot-calls-status").textContent = calls.length + " call" + (calls.length === 1 ? "" : "s") +
      " from the app's Heap calls. Before identify() they wait; after anonymous() they are dropped and counted.";
  }
  setInterval(showUserpilotCalls, 500);

  // The counters in a fixed order, each with what it means; counters this page does not know yet
  // follow in name order.
  var COUNTERS = [
    ["thread", "where the Go module runs"],
    ["received", "Userpilot events that reached the bridge, by either road"],
    ["forwarded", "heap.track calls made (including those sent through the edge relay)"],
    ["duplicates", "second deliveries of an event already counted (both roads)"],
    ["dropped", "events not forwarded"],
    ["dropReasons", "why, by reason"],
    ["pending", "events waiting for Heap (or for the module's answer)"],
    ["relayed", "forwarded through the edge relay"],
    ["relaying", "handed to the edge relay, not yet settled"],
    ["identifies", "heap.identify calls made"],
    ["resets", "heap.resetIdentity calls made"],
    ["identityRejected", "user ids the identity guard refused"],
    ["truncated", "property values cut to Heap's limits"],
    ["propertyDrops", "properties left out, by reason"],
    ["events", "events forwarded, by the name Heap received"],
    ["interfaceIgnored", "Heap methods Userpilot called that the bridge does not forward"],
    ["toUserpilot", "the app's own Heap calls mirrored to Userpilot: received, forwarded, dropped, pending"],
    ["failure", "why the module could not load"]
  ];

  function counterText(v) {
    if (v === undefined) return "";
    if (v && typeof v === "object") {
      var keys = Object.keys(v).sort();
      return keys.length ? keys.map(function (k) { return k + ": " + counterText(v[k]); }).join("\n") : "none";
    }
    return String(v);
  }

  var shownStats = "";
  function showStats(stats) {
    var text = JSON.stringify(stats);
    if (text === shownStats) return;
    shownStats = text;
    var known = COUNTERS.map(function (c) { return c[0]; });
    var rows = COUNTERS.filter(function (c) { return c[0] in stats || c[0] !== "failure"; });
    Object.keys(stats).sort().forEach(function (k) { if (known.indexOf(k) < 0) rows.push([k, ""]); });
    var body = $("bridge-stats").tBodies[0];
    body.textContent = "";
    rows.forEach(function (c) {
      var row = body.insertRow();
      row.dataset.key = c[0];
      row.insertCell().textContent = c[0];
      var value = row.insertCell();
      value.className = "value";
      value.textContent = counterText(stats[c[0]]);
      row.insertCell().textContent = c[1];
    });
  }

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
    showStats(bridge.stats());
    setInterval(function () { showStats(bridge.stats()); }, 500);
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
