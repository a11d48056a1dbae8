// Live pages over /ws/ (docs/realtime.md). Events are triggers: the page fetches its own fresh HTML and swaps
// the changed parts, so markup, language and permissions stay the server's. Without JS the pages work as is.
(function () {
  "use strict";
  var body = document.body, me = body.getAttribute("data-user");
  if (!body.hasAttribute("data-live") || !window.WebSocket || !window.fetch) return;
  var pos = {}, socket = null, tries = 0, stopped = false, presence = {}, mine = {}, waiting = 0;
  var streamsOf = function (el) { return (el.getAttribute("data-live-streams") || "").split(/\s+/).filter(Boolean); };
  function learn(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("[data-live-streams]"), function (el) {
      streamsOf(el).forEach(function (s) { var p = s.split("@"); pos[p[0]] = p[1]; });
    });
  }
  learn(document);
  pos["user:" + me] = pos["user:" + me] || "";
  var ticketEl = document.getElementById("tiket"), queueEl = document.getElementById("antrian-live");
  var ticketStream = ticketEl && ticketEl.hasAttribute("data-live-streams") ? streamsOf(ticketEl)[0].split("@")[0] : null;

  function send(obj) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj)); }
  function connect() {
    if (stopped) return;
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + body.getAttribute("data-live"));
    socket.onopen = function () {
      tries = 0;
      waiting = Object.keys(pos).length;
      Object.keys(pos).forEach(function (s) { send({action: "subscribe", stream: s, last_event_id: pos[s] || undefined}); });
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
      if (f.stream === ticketStream && f.type === "subscribed") say(mine.state || "viewing", true);
      if (f.type === "subscribed") return;
    }
    if (f.type === "reload") { refresh(f.stream, true); return; }
    if (f.type === "error" || !f.stream) { if (f.type === "error") delete pos[f.stream]; return; }
    if (f.type === "presence.changed") { seen(f); return; }
    if (!f.id) return;
    pos[f.stream] = f.id;
    if (f.type === "notification.created") { badge(f.data); return; }
    refresh(f.stream, false);
  }

  // --- fresh HTML -------------------------------------------------------------------------------------
  var busy = {}, again = {};
  function refresh(stream, reposition) {
    var kind = stream.split(":")[0];
    if (kind !== "ticket" && kind !== "queue") return;
    if (busy[kind]) { again[kind] = true; return; }
    busy[kind] = true;
    fetch(location.href, {credentials: "same-origin", headers: {"X-Live": "1"}}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      if (reposition) learn(doc);
      if (kind === "ticket") swapTicket(doc); else swapQueue(doc);
      render();
    }).catch(function () {}).then(function () {
      busy[kind] = false;
      if (again[kind]) { again[kind] = false; refresh(stream, false); }
    });
  }
  // Replace only what changed, and never a part the person is using (typing, ticking, an open panel).
  function norm(el) { return el.outerHTML.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, ""); }
  function key(el, seen) { var k = el.id || el.tagName + "." + el.className; seen[k] = (seen[k] || 0) + 1; return k + "#" + seen[k]; }
  function busyWith(el) {
    var a = document.activeElement;
    if ((a && a !== body && el.contains(a)) || el.matches("details[open]") || el.querySelector("details[open]")) return true;
    return Array.prototype.some.call(el.querySelectorAll("input,textarea,select"), function (c) {
      if (c.type === "checkbox" || c.type === "radio") return c.checked !== c.defaultChecked;
      if (c.tagName === "SELECT") return Array.prototype.some.call(c.options, function (o) { return o.selected !== o.defaultSelected; });
      if (c.type === "file") return c.files && c.files.length > 0;
      return c.type !== "hidden" && c.value !== c.defaultValue;
    });
  }
  function morph(live, fresh) {
    var old = {}, seen = {};
    Array.prototype.forEach.call(live.children, function (c) { old[key(c, seen)] = c; });
    seen = {};
    var next = Array.prototype.map.call(fresh.children, function (c) {
      var k = key(c, seen), o = old[k];
      if (o && (busyWith(o) || norm(o) === norm(c))) { delete old[k]; return o; }
      return document.importNode(c, true);
    });
    Object.keys(old).forEach(function (k) { live.removeChild(old[k]); });  // gone, or replaced by a fresh copy
    next.forEach(function (n, i) { if (live.children[i] !== n) live.insertBefore(n, live.children[i] || null); });
  }
  function swapTicket(doc) {
    var fresh = doc.getElementById("tiket");
    if (fresh && ticketEl) morph(ticketEl, fresh);
  }
  function swapQueue(doc) {
    var fresh = doc.getElementById("antrian-live"), live = queueEl;
    if (!fresh || !live) return;
    var oldBody = live.querySelector("#antrian tbody"), newBody = fresh.querySelector("#antrian tbody");
    if (!oldBody || !newBody) { live.innerHTML = fresh.innerHTML; return; }
    var byHref = {};
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
  }
  function badge(data) {
    var a = document.getElementById("notif-badge");
    if (!a) return;
    var c = a.querySelector(".count");
    if (!c) { c = document.createElement("span"); c.className = "count"; a.appendChild(document.createTextNode(" ")); a.appendChild(c); }
    c.textContent = data && typeof data.unread === "number" ? data.unread : (parseInt(c.textContent, 10) || 0) + 1;
  }

  // --- presence ---------------------------------------------------------------------------------------
  function seen(f) {
    var d = f.data, key = f.stream + "|" + d.connection;
    if (d.state === "left") delete presence[key];
    else presence[key] = {stream: f.stream, user: String(d.user), name: d.name, state: d.state, number: d.number,
                          until: Date.now() + (d.ttl || 12) * 1000};
    render();
  }
  function text(name, state) { return (body.getAttribute("data-i18n-" + state) || "{name}").replace("{name}", name); }
  function lines(match) {
    var who = {};
    Object.keys(presence).forEach(function (k) {
      var p = presence[k];
      if (p.until < Date.now()) { delete presence[k]; return; }
      if (p.user === me || !match(p)) return;
      if (!who[p.user] || p.state === "typing") who[p.user] = p;
    });
    return Object.keys(who).map(function (u) { return text(who[u].name, who[u].state); }).join(" · ");
  }
  function render() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-presence]"), function (el) {
      var s = el.getAttribute("data-live-presence"), t = lines(function (p) { return p.stream === s; });
      el.textContent = t; el.hidden = !t;
    });
    if (!queueEl) return;
    Array.prototype.forEach.call(queueEl.querySelectorAll("tr[data-href]"), function (row) {
      var href = row.getAttribute("data-href"), t = lines(function (p) { return p.number && href.indexOf("/" + p.number + "/") >= 0; });
      var el = row.querySelector(".presence");
      if (!t) { if (el) el.parentNode.removeChild(el); return; }
      if (!el) { el = document.createElement("span"); el.className = "presence small"; row.lastElementChild.appendChild(el); }
      el.textContent = " " + t;
    });
  }
  function say(state, force) {
    if (!ticketStream || (!force && mine.state === state && Date.now() - mine.at < 4000)) return;
    mine = {state: state, at: Date.now()};
    send({action: "presence", stream: ticketStream, state: state});
  }
  var idle = null, box = document.getElementById("id_body");
  if (box) box.addEventListener("input", function () {
    say("typing");
    clearTimeout(idle);
    idle = setTimeout(function () { say("viewing"); }, 6000);
  });
  setInterval(function () { if (mine.state && mine.state !== "left") say(mine.state, true); render(); }, 4000);
  window.addEventListener("pagehide", function () { say("left", true); });
  // Without a socket, the queue still refreshes itself, like the <noscript> refresh does.
  if (queueEl) setInterval(function () { if (!socket || socket.readyState !== 1) refresh("queue:0", false); }, 60000);
  connect();
})();
