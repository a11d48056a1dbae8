// Live pages over /ws/ (docs/realtime.md): events trigger a fetch of the page's fresh HTML, whose changed parts
// the page's script swaps in (ticket.js, queue.js). Here: the socket, the bell, presence. Works without JS too.
(function () {
  "use strict";
  var body = document.body, me = body.getAttribute("data-user");
  if (!body.hasAttribute("data-live") || !window.WebSocket || !window.fetch) return;
  var pos = {}, socket = null, tries = 0, stopped = false, presence = {}, waiting = 0, busy = {}, again = {};
  // What a page's script registers: swap[kind](freshDocument), paint[] after each change, subscribed[stream]().
  var live = window.sidLive = {me: me, swap: {}, paint: [], subscribed: {}};
  function learn(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("[data-live-streams]"), function (el) {
      el.getAttribute("data-live-streams").split(/\s+/).forEach(function (s) { var p = s.split("@"); if (p[0]) pos[p[0]] = p[1]; });
    });
  }
  learn(document);
  pos["user:" + me] = pos["user:" + me] || "";

  live.open = function () { return !!socket && socket.readyState === 1; };
  live.send = function (obj) { if (live.open()) socket.send(JSON.stringify(obj)); };
  function connect() {
    if (stopped) return;
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + body.getAttribute("data-live"));
    socket.onopen = function () {
      tries = 0;
      waiting = Object.keys(pos).length;
      Object.keys(pos).forEach(function (s) { live.send({action: "subscribe", stream: s, last_event_id: pos[s] || undefined}); });
    };
    socket.onmessage = function (m) { var f; try { f = JSON.parse(m.data); } catch (e) { return; } handle(f); };
    socket.onclose = function (e) {
      socket = null;
      body.setAttribute("data-live-state", "closed");
      if (e.code === 4401 || e.code === 4403) { stopped = true; return; }
      tries += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, tries)) * (0.5 + Math.random() / 2));
    };
  }

  function handle(f) {
    if (f.type === "subscribed" || (f.type === "error" && f.stream && waiting > 0)) {
      if (--waiting === 0) body.setAttribute("data-live-state", "ready");  // every stream answered
      if (f.type === "subscribed") { if (live.subscribed[f.stream]) live.subscribed[f.stream](); return; }
    }
    if (f.type === "reload") { live.refresh(f.stream, true); return; }
    if (f.type === "error" || !f.stream) { if (f.type === "error") delete pos[f.stream]; return; }
    if (f.type === "presence.changed") { seen(f.stream, f.data); return; }
    if (!f.id) return;
    pos[f.stream] = f.id;
    if (f.type === "notification.created") { badge(f.data); return; }
    live.refresh(f.stream, false);
  }

  // Fetch the page again for the page's script to swap in, one fetch at a time per kind of stream.
  live.refresh = function (stream, reposition) {
    var kind = stream.split(":")[0];
    if (!live.swap[kind]) return;
    if (busy[kind]) { again[kind] = true; return; }
    busy[kind] = true;
    fetch(location.href, {credentials: "same-origin", headers: {"X-Live": "1"}}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      if (reposition) learn(doc);
      live.swap[kind](doc);
      paint();
    }).catch(function () {}).then(function () {
      busy[kind] = false;
      if (again[kind]) { again[kind] = false; live.refresh(stream, false); }
    });
  };
  function badge(data) {
    var a = document.getElementById("notif-badge");
    if (!a) return;
    var c = a.querySelector(".count");
    if (!c) { c = document.createElement("span"); c.className = "count"; a.appendChild(document.createTextNode(" ")); a.appendChild(c); }
    // The server counts up to 100 unread (notifications.selectors.UNREAD_LIMIT): from there the badge says 99+.
    var n = data && typeof data.unread === "number" ? data.unread : (parseInt(c.textContent, 10) || 0) + 1;
    c.textContent = n >= 100 ? "99+" : String(n);
    // What a screen reader says follows the count (the server's label was written for the count at page load).
    if (a.getAttribute("data-label")) a.setAttribute("aria-label", a.getAttribute("data-label").replace("{n}", c.textContent));
  }

  // Who else is viewing or typing: kept here, shown by the page's script through live.lines(match).
  function seen(stream, d) {
    var key = stream + "|" + d.connection;
    if (d.state === "left") delete presence[key];
    else presence[key] = {stream: stream, user: String(d.user), name: d.name, state: d.state, number: d.number,
                          until: Date.now() + (d.ttl || 12) * 1000};
    paint();
  }
  live.lines = function (match) {
    var who = {};
    Object.keys(presence).forEach(function (k) {
      var p = presence[k];
      if (p.until < Date.now()) { delete presence[k]; return; }
      if (p.user === me || !match(p)) return;
      if (!who[p.user] || p.state === "typing") who[p.user] = p;
    });
    return Object.keys(who).map(function (u) {
      return (body.getAttribute("data-i18n-" + who[u].state) || "{name}").replace("{name}", who[u].name);
    }).join(" · ");
  };
  function paint() { live.paint.forEach(function (p) { p(); }); }
  setInterval(paint, 4000);
  document.addEventListener("DOMContentLoaded", connect);  // after the page's own (deferred) script registered
})();
