// Keyboard navigation in ticket tables: j/k move between rows, Enter opens the focused ticket.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row[data-href]"));
  if (!rows.length) return;
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var index = rows.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(rows.length - 1, index + 1) : Math.max(0, index - 1);
      rows[next].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      window.location.href = rows[index].getAttribute("data-href");
    }
  });
})();
