/* Desa picker, progressive enhancement: the page works without this file (server-side search and
   step-by-step forms). With it, results appear while typing and choosing from a list needs no button. */
(function () {
  "use strict";
  var pickers = document.querySelectorAll("[data-desa-picker]");
  Array.prototype.forEach.call(pickers, function (picker) {
    Array.prototype.forEach.call(picker.querySelectorAll("select[data-autosubmit]"), function (select) {
      select.addEventListener("change", function () {
        if (select.value) { select.form.submit(); }
      });
    });

    var input = picker.querySelector("[data-desa-search]");
    var box = picker.querySelector("[data-desa-results]");
    if (!input || !box || !window.fetch) { return; }
    var timer = null;
    var inflight = null;
    var lastQuery = input.value.trim();

    function render(rows) {
      var list = document.createElement("ul");
      list.className = "choices";
      rows.forEach(function (row) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "?desa=" + encodeURIComponent(row.code);
        link.textContent = row.kind_display + " " + row.name;
        var meta = document.createElement("span");
        meta.className = "muted small";
        meta.textContent = " " + row.path + " · " + row.code;
        item.appendChild(link);
        item.appendChild(meta);
        list.appendChild(item);
      });
      box.replaceChildren(list);
      if (!rows.length) {
        var none = document.createElement("p");
        none.className = "muted";
        none.textContent = box.getAttribute("data-empty") || "—";
        box.replaceChildren(none);
      }
    }

    function search() {
      var q = input.value.trim();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (inflight) { inflight.abort(); }
      if (q.length < 2) { box.replaceChildren(); return; }
      inflight = window.AbortController ? new AbortController() : null;
      var url = "/api/v1/regions/?level=4&limit=15&q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" }, signal: inflight ? inflight.signal : undefined })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(render)
        .catch(function () { /* offline or aborted: the search button still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    });
  });
})();
