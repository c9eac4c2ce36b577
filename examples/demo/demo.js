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

  // said shows, at once, what a button did and what Heap gets from it (some Heap calls come later,
  // with the next event).
  function said(text) { $("last-action").textContent = text; }

  // sdk runs a button's action on the Userpilot SDK; clicked while the SDK is still loading (right
  // after Identify), the action waits for it.
  var asked = false;
  function sdk(action, text) {
    if (!userpilotStandIn.loaded) {
      if (asked) {
        said("Waiting for Userpilot's SDK to load…");
        userpilotStandIn.ready.then(function () { sdk(action, text); });
        return;
      }
      $("userpilot-status").textContent = "Identify a user or go anonymous first: Userpilot only loads its SDK then.";
      said("Nothing happened: Userpilot loads its SDK only after identify() or anonymous(). Click Identify first.");
      return;
    }
    action(userpilotStandIn);
    said(text);
    showUserpilot();
  }

  function showUserpilot() {
    if (!userpilotStandIn.loaded) return;
    var st = userpilotStandIn.state();
    var flow = userpilotStandIn.currentFlow();
    $("userpilot-status").textContent = "Userpilot: user " + (st.userId ? JSON.stringify(st.userId) : "(anonymous)") +
      (flow ? ", flow " + flow.id + " on step " + flow.step + " of " + flow.totalSteps : ", no flow running") + ".";
  }

  function identify(verb) {
    var id = $("user-id").value;
    asked = true;
    userpilot.identify(id);
    userpilotStandIn.ready.then(showUserpilot);
    said(verb + ": userpilot.identify(" + JSON.stringify(id) + "). Heap gets heap.identify(" + JSON.stringify(id) +
      ") just before " + id + "'s next event (start a flow), not now: the bridge identifies only a user who does something.");
  }
  $("identify").onclick = function () { identify("Identify"); };
  $("switch").onclick = function () {
    var i = (users.indexOf($("user-id").value) + 1) % users.length;
    $("user-id").value = users[i];
    identify("Switched user");
  };
  $("anonymous").onclick = function () {
    asked = true;
    userpilot.anonymous();
    userpilotStandIn.ready.then(showUserpilot);
    said("Went anonymous: userpilot.anonymous(). Heap gets heap.resetIdentity() if a user was identified, so the next events are not credited to them.");
  };
  $("start").onclick = function () {
    var id = nextFlowId;
    sdk(function (up) { nextFlowId++; up.startFlow(id, "flow-token-" + id, 3); },
      "Started flow " + id + ": Heap gets \"Userpilot Experience (started)\" and its first \"(step)\", each once although both of Userpilot's roads deliver them.");
  };
  $("next").onclick = function () { sdk(function (up) { up.nextStep(); }, "Next step: Heap gets \"Userpilot Experience (step)\" (if a flow is running)."); };
  $("complete").onclick = function () { sdk(function (up) { up.complete(); }, "Completed the flow: Heap gets \"Userpilot Experience (completed)\" (if a flow is running), and the page's own handler fires."); };
  $("dismiss").onclick = function () { sdk(function (up) { up.dismiss(); }, "Dismissed the flow: Heap gets \"Userpilot Experience (dismissed)\" (if a flow is running)."); };

  // Checklist, NPS and form events reach the bridge only through Userpilot's Heap integration.
  var nextTask = 1;
  $("checklist").onclick = function () {
    sdk(function (up) {
      var task = nextTask++;
      up.checklist("task completed", { checklist_id: "onboarding", checklist_title: "Get started", task_id: "task-" + task, task_title: "Task " + task });
    }, "Completed a checklist task: Userpilot's Heap integration tells the bridge, and Heap gets \"Userpilot Checklist (task completed)\".");
  };
  $("nps").onclick = function () {
    sdk(function (up) { up.nps("score", { nps_id: "nps-q4", score: 9 }); },
      "Answered NPS with 9: through Userpilot's Heap integration, Heap gets \"Userpilot NPS (score)\" with score 9.");
  };
  $("form").onclick = function () {
    sdk(function (up) {
      up.form({ form_id: "feedback", form_title: "Feedback", answers: [{ question_id: "role", answer: "PM" }, { question_id: "team_size", answer: 12 }] });
    }, "Submitted a form: through Userpilot's Heap integration, Heap gets \"Userpilot Form (submitted)\", one answer.<question> property per answer.");
  };

  // The app's own Heap calls; the bridge mirrors some of them to Userpilot (toUserpilot).
  var plans = ["pro", "team", "enterprise"], nextPlan = 0;
  $("app-plan").onclick = function () {
    heap.track("Plan upgraded", { plan: plans[nextPlan++ % plans.length], seats: 5, trial: false });
    said("Your app called heap.track(\"Plan upgraded\"): Heap gets it as it is, and the bridge mirrors it to Userpilot as \"Heap: Plan upgraded\" (it matches \"Plan *\").");
  };
  // The user properties carry the plan last upgraded to.
  $("app-props").onclick = function () {
    heap.addUserProperties({ plan: plans[(nextPlan + 2) % plans.length], company: { size: 40 } });
    said("Your app called heap.addUserProperties: Heap gets it as it is; the bridge mirrors it to Userpilot as userpilot.identify(user, {heap_plan, …}), " +
      "and Userpilot's own Heap integration echoes those heap_ properties back to Heap: a second addUserProperties row.");
  };
  $("app-other").onclick = function () {
    heap.track("Clicked logo");
    said("Your app called heap.track(\"Clicked logo\"): Heap gets it as it is; Userpilot does not, since the name is not in toUserpilot.events.");
  };

  // why explains one row of the Heap table: who made the call, and why.
  function why(call) {
    var a = call.args || [];
    switch (call.method) {
      case "identify":
        return "the bridge: Userpilot identified " + JSON.stringify(a[0]) + ", so Heap is told before that user's first event (again only when the user changes)";
      case "resetIdentity":
        return "the bridge: Userpilot went anonymous after an identified user, so Heap forgets them";
      case "track":
        if (typeof a[0] === "string" && a[0].indexOf("Userpilot ") === 0) {
          return "the bridge: a Userpilot event under its canonical name, sent once whichever road brought it, with userpilot_user_id";
        }
        return "your app's own heap.track, untouched" + (a[0] === "Plan upgraded" ? "; mirrored to Userpilot (toUserpilot)" : "");
      case "addUserProperties":
        if (a[0] && Object.keys(a[0]).some(function (k) { return k.indexOf("heap_") === 0; })) {
          return "the echo: Userpilot's own Heap integration sends back the heap_ properties the bridge mirrored to Userpilot " +
            "(it passes through the bridge's Heap interface); the values are your app's own, so nothing is wrong";
        }
        return "your app's own heap.addUserProperties, untouched; mirrored to Userpilot with heap_ keys (toUserpilot.userProperties)";
      default:
        return "a heap." + call.method + " call";
    }
  }
  // explainHeapRows adds the "why this row" cell to each row the Heap stand-in renders.
  function explainHeapRows() {
    var calls = (window.heapStandIn && window.heapStandIn.calls) || [];
    var rows = $("heap-calls").tBodies[0].rows;
    for (var i = 0; i < rows.length && i < calls.length; i++) {
      if (rows[i].cells.length > 3) continue;
      var cell = rows[i].insertCell();
      cell.className = "why";
      cell.textContent = why(calls[i]);
    }
  }
  setInterval(explainHeapRows, 200);

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
