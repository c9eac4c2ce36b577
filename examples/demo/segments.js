// Heap segments to Userpilot: ask Heap's stand-in to send a signed webhook to the relay, then show
// what the fake Userpilot API received.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var ids = function (text) { return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean); };

  function showUserpilot() {
    return fetch("/userpilot-api/_requests", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (snap) {
      var body = $("bulk-identify").tBodies[0];
      body.textContent = "";
      var n = 0;
      snap.requests.forEach(function (req, i) {
        (req.users || []).forEach(function (u) {
          var row = body.insertRow();
          [String(++n), (i + 1) + " (" + req.status + ")", u.user_id, JSON.stringify(u.metadata || {})].forEach(function (text) {
            row.insertCell().textContent = text;
          });
        });
      });
      var last = snap.requests[snap.requests.length - 1];
      $("userpilot-status").textContent = snap.requests.length + " Bulk Identify request" + (snap.requests.length === 1 ? "" : "s") +
        ", " + snap.users.length + " user" + (snap.users.length === 1 ? "" : "s") + " taken" +
        (last ? "; the last with Authorization: " + last.authorization + ", Content-Type: " + last.contentType : "") + ".";
    }, function (err) {
      $("userpilot-status").textContent = "Cannot read the fake Userpilot API: " + err.message;
    });
  }

  $("send").onclick = function () {
    var sample = {
      segment: { id: Number($("segment-id").value), name: $("segment-name").value },
      add: ids($("add").value),
      remove: ids($("remove").value)
    };
    fetch("/heap-webhook-sample", { method: "POST", body: JSON.stringify(sample) }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
      return r.json();
    }).then(function (out) {
      $("webhook").textContent = "POST " + out.url + "\nHeap-Hash: " + out.heapHash + "\n\n" + JSON.stringify(out.body, null, 2);
      $("relay-answer").textContent = "HTTP " + out.status + "\n" + JSON.stringify(out.answer, null, 2);
      return showUserpilot();
    }).catch(function (err) {
      $("relay-answer").textContent = "Failed: " + err.message;
    });
  };
  $("reset-userpilot").onclick = function () { fetch("/userpilot-api/_reset", { method: "POST" }).then(showUserpilot); };
  showUserpilot();
})();
