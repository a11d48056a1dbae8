// Ticket form: while the operator types, show published answers that may already solve the problem
// (#saran, filled from /api/v1/kb/suggest/). Without this script the server shows them when the form is sent.
(function () {
  "use strict";
  var box = document.getElementById("saran");
  var title = document.getElementById("id_title");
  var body = document.getElementById("id_description");
  if (!box || !title || !window.fetch) return;
  var form = title.form;
  var list = box.querySelector("ul");
  var url = box.getAttribute("data-suggest-url");
  var timer = null;
  var lastText = "";
  var seq = 0;

  function text() {
    return (title.value + "\n" + (body ? body.value : "")).trim();
  }

  // The snippet is HTML from our server: escaped text with <mark> around matched words. Copy only text and
  // <mark> elements into the page, so nothing else could ever become markup.
  function appendSafe(parent, html) {
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeType === 3) {
        parent.appendChild(document.createTextNode(node.textContent));
      } else if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
  }

  function markSeen() {
    if (!form || form.querySelector("input[name=saran_dilihat]")) return;
    var seen = document.createElement("input");
    seen.type = "hidden";
    seen.name = "saran_dilihat";
    seen.value = "1";
    form.appendChild(seen);
  }

  function show(results) {
    while (list.firstChild) list.removeChild(list.firstChild);
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = r.title;
      li.appendChild(a);
      if (r.snippet) {
        var p = document.createElement("p");
        p.className = "snippet small";
        appendSafe(p, r.snippet);
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.hidden = results.length === 0;
    if (results.length) markSeen();
  }

  function ask() {
    var q = text();
    if (q.length < 8 || q === lastText) return;
    lastText = q;
    var mine = ++seq;
    fetch(url + "?channel=live&q=" + encodeURIComponent(q.slice(0, 2000)), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (mine === seq) show(data.results || []); })
      .catch(function () { /* offline or slow: the form still works, and the server suggests on submit */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  }

  title.addEventListener("input", later);
  if (body) body.addEventListener("input", later);
  if (text()) later();
})();
