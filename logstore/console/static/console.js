// logstore console: the little the pages need beyond HTML (no framework, no other file).
// 1. the dark/light toggle (remembered in localStorage); 2. the live tail's polling of its JSON feed.
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem("logstore-theme");
    if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  } catch (e) { /* storage may be off */ }

  function currentTheme() {
    var set = root.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function startTail(box) {
    var feed = box.getAttribute("data-feed");
    var cursor = box.getAttribute("data-cursor") || "{}";
    var rows = document.getElementById("tail-rows");
    var status = document.getElementById("tail-status");
    var shards = document.getElementById("tail-shards");
    var toggle = document.getElementById("tail-toggle");
    var paused = false, seen = 0, busy = false, failures = 0;
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.textContent = paused ? "Resume" : "Pause";
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      status.textContent = paused ? "paused" : "following";
    });
    function poll() {
      if (paused || busy) return;
      busy = true;
      fetch(feed + "&cursor=" + encodeURIComponent(cursor), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          failures = 0;
          cursor = JSON.stringify(data.cursor);
          box.setAttribute("data-cursor", cursor);
          shards.textContent = Object.keys(data.cursor).length + " shard(s): " + Object.keys(data.cursor).map(function (s) { return s.slice(-12); }).join(", ");
          if (data.count) {
            var tmp = document.createElement("tbody");
            tmp.innerHTML = data.html;   // rendered (and escaped) by the server
            var fresh = Array.prototype.slice.call(tmp.children);   // oldest first: each goes on top
            fresh.forEach(function (tr) { tr.classList.add("fresh"); rows.insertBefore(tr, rows.firstChild); });
            seen += data.count;
            while (rows.children.length > 1000) rows.removeChild(rows.lastChild);
          }
          status.textContent = seen + " record(s) since the page opened; following";
        })
        .catch(function (err) { failures += 1; status.textContent = "feed failed (" + err.message + "), retrying"; })
        .then(function () { busy = false; });
    }
    poll();
    setInterval(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (button) {
      button.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("logstore-theme", next); } catch (e) { /* ignore */ }
      });
    }
    var box = document.getElementById("tail");
    if (box) startTail(box);
  });
})();
