// Queue: j/k move between rows, Enter opens the focused ticket, s goes to the search box; live, changed rows are swapped in (keeping a
// ticked box) and each row says who is viewing or answering it.
(function () {
  "use strict";
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("tr.row[data-href]")); };
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase(), all = rows(), index = all.indexOf(document.activeElement);
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var search = document.getElementById("q");
    if (event.key === "s" && search) { search.focus(); search.select(); event.preventDefault(); return; }
    if (!all.length) return;
    if (event.key === "j" || event.key === "k") {
      all[event.key === "j" ? Math.min(all.length - 1, index + 1) : Math.max(0, index - 1)].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      window.location.href = all[index].getAttribute("data-href");
    }
  });
  var live = window.sidLive, queueEl = document.getElementById("antrian-live");
  if (!live || !queueEl) return;
  live.swap.queue = function (doc) {
    var fresh = doc.getElementById("antrian-live");
    if (!fresh) return;
    var oldBody = queueEl.querySelector("#antrian tbody"), newBody = fresh.querySelector("#antrian tbody"), byHref = {};
    if (!oldBody || !newBody) { queueEl.innerHTML = fresh.innerHTML; return; }
    Array.prototype.forEach.call(oldBody.rows, function (r) { byHref[r.getAttribute("data-href")] = r; });
    Array.prototype.forEach.call(newBody.rows, function (r, i) {
      var href = r.getAttribute("data-href"), row = byHref[href];
      if (row) {
        delete byHref[href];
        if (row.innerHTML !== r.innerHTML) {
          var checked = row.querySelector("input:checked");
          row.innerHTML = r.innerHTML;
          if (checked) { var box = row.querySelector("input[type=checkbox]"); if (box) box.checked = true; }
        }
      } else row = document.importNode(r, true);
      if (oldBody.rows[i] !== row) oldBody.insertBefore(row, oldBody.rows[i] || null);
    });
    Object.keys(byHref).forEach(function (h) { oldBody.removeChild(byHref[h]); });
  };
  live.paint.push(function () {
    Array.prototype.forEach.call(queueEl.querySelectorAll("tr[data-href]"), function (row) {
      var href = row.getAttribute("data-href"), el = row.querySelector(".presence");
      var t = live.lines(function (p) { return p.number && href.indexOf("/" + p.number + "/") >= 0; });
      if (!t) { if (el) el.parentNode.removeChild(el); return; }
      if (!el) { el = document.createElement("span"); el.className = "presence small"; row.lastElementChild.appendChild(el); }
      el.textContent = " " + t;
    });
  });
  // Without a socket, the queue still refreshes itself, like the <noscript> refresh does.
  setInterval(function () { if (!live.open()) live.refresh("queue:0", false); }, 60000);
})();
