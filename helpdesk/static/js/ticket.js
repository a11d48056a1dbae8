// Ticket page: a canned reply fills the reply box; live (live.js), changes are swapped in and presence is shown.
(function () {
  "use strict";
  var select = document.getElementById("id_canned"), box = document.getElementById("id_body");
  if (select && box) select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex], text = option && option.getAttribute("data-body");
    if (text && !box.value.trim()) { box.value = text; box.focus(); }
  });
  var live = window.sidLive, ticketEl = document.getElementById("tiket");
  if (!live || !ticketEl || !ticketEl.hasAttribute("data-live-streams")) return;
  var stream = ticketEl.getAttribute("data-live-streams").split(/\s+/)[0].split("@")[0], mine = {}, idle = null;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function norm(el) { return el.outerHTML.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, ""); }
  function key(el, seen) { var k = el.id || el.tagName + "." + el.className; seen[k] = (seen[k] || 0) + 1; return k + "#" + seen[k]; }
  function busyWith(el) {  // typing, ticking, an open panel: never replaced
    var a = document.activeElement;
    if ((a && a !== document.body && el.contains(a)) || el.matches("details[open]") || el.querySelector("details[open]")) return true;
    return Array.prototype.some.call(el.querySelectorAll("input,textarea,select"), function (c) {
      if (c.type === "checkbox" || c.type === "radio") return c.checked !== c.defaultChecked;
      if (c.tagName === "SELECT") return Array.prototype.some.call(c.options, function (o) { return o.selected !== o.defaultSelected; });
      if (c.type === "file") return c.files && c.files.length > 0;
      return c.type !== "hidden" && c.value !== c.defaultValue;
    });
  }
  live.swap.ticket = function (doc) {
    var fresh = doc.getElementById("tiket"), old = {}, seen = {};
    if (!fresh) return;
    each(ticketEl.children, function (c) { old[key(c, seen)] = c; });
    seen = {};
    var next = Array.prototype.map.call(fresh.children, function (c) {
      var k = key(c, seen), o = old[k];
      if (o && (busyWith(o) || norm(o) === norm(c))) { delete old[k]; return o; }
      return document.importNode(c, true);
    });
    Object.keys(old).forEach(function (k) { ticketEl.removeChild(old[k]); });  // gone, or replaced by a fresh copy
    next.forEach(function (n, i) { if (ticketEl.children[i] !== n) ticketEl.insertBefore(n, ticketEl.children[i] || null); });
  };
  live.paint.push(function () {
    each(document.querySelectorAll("[data-live-presence]"), function (el) {
      var s = el.getAttribute("data-live-presence"), t = live.lines(function (p) { return p.stream === s; });
      el.textContent = t; el.hidden = !t;
    });
  });
  function say(state, force) {
    if (!force && mine.state === state && Date.now() - mine.at < 4000) return;
    mine = {state: state, at: Date.now()};
    live.send({action: "presence", stream: stream, state: state});
  }
  live.subscribed[stream] = function () { say(mine.state || "viewing", true); };
  if (box) box.addEventListener("input", function () {
    say("typing");
    clearTimeout(idle);
    idle = setTimeout(function () { say("viewing"); }, 6000);
  });
  setInterval(function () { if (mine.state && mine.state !== "left") say(mine.state, true); }, 4000);
  window.addEventListener("pagehide", function () { say("left", true); });
})();
