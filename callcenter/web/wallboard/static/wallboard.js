// The wallboard: /ws/wallboard sends the whole board on every change; tickers count the waits.
// Everything from the network is written with textContent (caller IDs are attacker-controlled).
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("strings").textContent);
  var skew = 0;  // server clock minus browser clock, ms
  function t(key) { return S[key] || key; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  // figures with a unit (%, s) as the page renders them: one decimal
  function num(v, unit) { return v === null || v === undefined ? "–" : (unit ? Number(v).toFixed(1) : v) + (unit || ""); }
  function set(id, text) { var e = document.getElementById(id); if (e) e.textContent = text; }
  function mmss(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  // A caller number or name that only says "withheld" (as callcenter/web/present.py WITHHELD): "".
  var WITHHELD = ["anonymous", "restricted", "private", "unavailable", "unknown", "<unknown>"];
  function known(v) { return v && WITHHELD.indexOf(String(v).trim().toLowerCase()) < 0 ? v : ""; }
  function clerkRow(c) {
    var tr = el("tr"); tr.dataset.ext = c.extension;
    var who = el("td", (c.display_name || c.name || "") + " "); who.appendChild(el("small", c.extension, "muted")); tr.appendChild(who);
    var st = el("td"), badge = el("span", t("clerk." + c.state), "badge s-" + c.state);
    badge.setAttribute("data-testid", "clerk-state-" + c.extension); st.appendChild(badge);
    if (c.pause_reason) { st.appendChild(document.createTextNode(" ")); st.appendChild(el("small", c.pause_reason)); }
    if (c.offline_reason) { st.appendChild(document.createTextNode(" ")); st.appendChild(el("small", t("clerk.offline." + c.offline_reason))); }
    tr.appendChild(st);
    var withWhom = el("td", known(c.caller_number) + " ", "num"); withWhom.appendChild(el("small", known(c.caller_name))); tr.appendChild(withWhom);
    var since = el("td", "", "r ticker"); since.dataset.since = c.since || ""; tr.appendChild(since);
    tr.appendChild(el("td", c.answered_today, "r")); tr.appendChild(el("td", c.missed_rings_today, "r"));
    return tr;
  }
  function render(b) {
    skew = b.now * 1000 - Date.now();
    var d = b.today;
    set("wb-day", b.day); set("wb-waiting", b.waiting.count);
    var longest = document.getElementById("wb-longest"); longest.dataset.since = b.waiting.oldest_since || "";
    set("wb-offered", d.offered); set("wb-answered", d.answered); set("wb-abandoned", d.abandoned);
    set("wb-short", d.short_abandons); set("wb-voicemail", d.voicemail); set("wb-busy", d.busy);
    set("wb-sl", num(d.service_level, "%")); set("wb-asa", num(d.asa, "s")); set("wb-aht", num(d.aht, "s"));
    set("wb-abandon-rate", num(d.abandon_rate, "%")); set("wb-missed", b.missed_pending);
    var parts = [];
    Object.keys(b.clerks_by_state).forEach(function (s) { if (b.clerks_by_state[s]) parts.push(t("clerk." + s) + " " + b.clerks_by_state[s]); });
    set("wb-by-state", parts.join(" · "));
    var body = document.getElementById("wb-clerks");
    body.textContent = "";
    if (!b.clerks.length) { var tr = el("tr"), td = el("td", t("wb.no_clerks"), "empty"); td.colSpan = 6; tr.appendChild(td); body.appendChild(tr); }
    b.clerks.forEach(function (c) { body.appendChild(clerkRow(c)); });
    tick();
  }
  function tick() {
    var now = (Date.now() + skew) / 1000;
    var longest = document.getElementById("wb-longest");
    if (longest.dataset.since) longest.textContent = mmss(now - parseFloat(longest.dataset.since));
    else longest.textContent = "–";
    document.querySelectorAll("#wb-clerks .ticker").forEach(function (e) {
      e.textContent = e.dataset.since ? mmss(now - parseFloat(e.dataset.since)) : "";
    });
  }
  function conn(on) {
    var c = document.getElementById("conn");
    c.className = "conn " + (on ? "on" : "off");
    c.textContent = on ? t("wb.connected") : t("wb.reconnecting");
  }
  var retry = 1000;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/wallboard");
    ws.onopen = function () { retry = 1000; conn(true); };
    ws.onmessage = function (ev) {
      var b; try { b = JSON.parse(ev.data); } catch (e) { return; }
      if (b && b.type === "wallboard") render(b);
    };
    ws.onclose = function (ev) {
      conn(false);
      if (ev.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
      setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
    };
  }
  render(JSON.parse(document.getElementById("board").textContent));
  setInterval(tick, 1000);
  connect();
})();
