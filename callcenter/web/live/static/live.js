// Live calls: websocket /ws/live, the table of current calls, the ringing pop-up.
// Everything from the network is written with textContent: caller IDs are attacker-controlled.
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("strings").textContent);
  var calls = new Map();
  var popupFor = null;

  function t(key) { return S[key] || key; }
  // A caller number or name that only says "withheld" (as callcenter/web/present.py WITHHELD): "".
  var WITHHELD = ["anonymous", "restricted", "private", "unavailable", "unknown", "<unknown>"];
  function known(v) { return v && WITHHELD.indexOf(String(v).trim().toLowerCase()) < 0 ? v : ""; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function hms(iso) {
    if (!iso) return "";
    var m = /T(\d\d:\d\d:\d\d)/.exec(iso);
    return m ? m[1] : iso;
  }
  function mmss(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function numberCell(c) {
    return known(c.caller_number) ? el("span", c.caller_number, "num") : el("span", t("calls.anonymous"), "muted");
  }
  function stateOf(c) {
    if (c.ended) return [c.disposition ? t("disp." + c.disposition) : t("live.ended"), "d-" + (c.disposition || "open")];
    if (c.answered_by) return [t("live.talking"), "d-answered"];
    return [t("live.ringing"), "d-ringing"];
  }
  function whoCell(c) {
    if (c.answered_by) return c.answered_by_name ? c.answered_by_name + " (" + c.answered_by + ")" : c.answered_by;
    if (c.ringing && c.ringing.length) return t("live.at") + " " + c.ringing.join(", ");
    return "";
  }
  function detailLink(c) {
    var td = el("td");
    if (c.call_id) { var a = el("a", t("calls.detail")); a.href = "/calls/" + encodeURIComponent(c.call_id); td.appendChild(a); }
    return td;
  }
  function row(c, withDuration) {
    var tr = el("tr");
    tr.dataset.linkedid = c.linkedid;
    tr.appendChild(el("td", hms(c.started_at), "nowrap"));
    var n = el("td"); n.appendChild(numberCell(c)); tr.appendChild(n);
    tr.appendChild(el("td", known(c.caller_name), "cid"));
    var st = stateOf(c), s = el("td"); s.appendChild(el("span", st[0], "badge " + st[1])); tr.appendChild(s);
    tr.appendChild(el("td", whoCell(c)));
    if (withDuration) {
      var d = el("td", "", "r ticker"); d.dataset.since = c.started_at || ""; tr.appendChild(d);
    }
    tr.appendChild(detailLink(c));
    return tr;
  }
  function renderCurrent() {
    var body = document.getElementById("current");
    body.textContent = "";
    if (!calls.size) {
      var tr = el("tr", null, "placeholder"), td = el("td", t("live.none"), "empty");
      td.colSpan = 7; tr.appendChild(td); body.appendChild(tr);
    }
    calls.forEach(function (c) { body.appendChild(row(c, true)); });
    tick();
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("td.ticker").forEach(function (td) {
      var since = Date.parse(td.dataset.since);
      td.textContent = isNaN(since) ? "" : mmss((now - since) / 1000);
    });
  }
  function addRecent(c) {
    var body = document.getElementById("recent");
    body.insertBefore(row(c, false), body.firstChild);
    while (body.children.length > 20) body.removeChild(body.lastChild);
  }

  function fillPrevious(data, linkedid) {
    var body = document.getElementById("popup-previous");
    body.textContent = "";
    var prev = (data.previous_calls || []).filter(function (c) { return c.linkedid !== linkedid; });
    if (!prev.length) { var tr = el("tr"); tr.appendChild(el("td", t("popup.no_previous"), "muted")); body.appendChild(tr); }
    prev.slice(0, 5).forEach(function (c) {
      var tr = el("tr");
      tr.appendChild(el("td", (c.started_at || "").replace("T", " ").slice(0, 16), "nowrap"));
      tr.appendChild(el("td", c.disposition ? t("disp." + c.disposition) : ""));
      tr.appendChild(el("td", c.answered_by_name || c.answered_by || ""));
      tr.appendChild(el("td", c.notes && c.notes.summary ? c.notes.summary : "", "summary"));
      body.appendChild(tr);
    });
    var names = data.known_names || [];
    document.getElementById("popup-known").hidden = !names.length;
    document.getElementById("popup-known-names").textContent = names.join("、");
    fillCases(data.open_cases || []);
    // 二次投诉: an open, accepted complaint-like case means a new complaint is a second one.
    document.getElementById("popup-second").hidden = !data.second_complaint;
  }
  function caseItem(c) {
    var li = el("li"), a = el("a", "#" + c.id);
    a.href = "/cases/" + encodeURIComponent(c.id);
    a.className = "num";
    li.appendChild(a);
    li.appendChild(el("span", " " + t("kind." + c.kind) + " "));
    li.appendChild(el("span", t("state." + c.state), "badge s-" + c.state));
    if (c.station) li.appendChild(el("span", " " + c.station, "muted"));
    if (c.problem) li.appendChild(el("div", c.problem, "summary small"));
    if (c.second_complaint_risk) li.className = "risk";
    return li;
  }
  function fillCases(list) {
    var ul = document.getElementById("popup-cases");
    ul.textContent = "";
    if (!list.length) ul.appendChild(el("li", t("popup.none"), "muted"));
    list.forEach(function (c) { ul.appendChild(caseItem(c)); });
  }
  function newCase() {
    var button = document.getElementById("popup-new-case");
    var callId = button.dataset.callId, note = document.getElementById("popup-created");
    if (!callId) return;
    button.disabled = true;
    var token = document.querySelector("meta[name=csrf-token]").content;
    fetch("/api/calls/" + encodeURIComponent(callId) + "/case", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ kind: document.getElementById("popup-kind").value })
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      note.textContent = "";
      note.hidden = false;
      if (!res.ok) { note.className = "alert small"; note.textContent = t("popup.case_failed") + " " + (res.data.message || ""); button.disabled = false; return; }
      note.className = "ok small";
      var ul = document.getElementById("popup-cases");
      if (ul.firstChild && ul.firstChild.className === "muted") ul.textContent = "";
      ul.insertBefore(caseItem({ id: res.data.id, kind: res.data.kind, state: res.data.state }), ul.firstChild);
      var a = el("a", t("popup.created").replace("{id}", res.data.id));
      a.href = "/cases/" + encodeURIComponent(res.data.id);
      a.dataset.testid = "popup-case-link";
      note.appendChild(a);
    }).catch(function () { button.disabled = false; });
  }
  function updatePopup(c) {
    if (popupFor !== c.linkedid) return;
    var st = stateOf(c), badge = document.getElementById("popup-state");
    badge.textContent = st[0]; badge.className = "badge " + st[1];
    var link = document.getElementById("popup-open");
    if (c.call_id) { link.href = "/calls/" + encodeURIComponent(c.call_id); link.hidden = false; }
    var button = document.getElementById("popup-new-case");
    if (button && c.call_id && button.dataset.callId !== String(c.call_id)) {
      button.dataset.callId = String(c.call_id);
      button.disabled = false;
    }
  }
  function showPopup(c) {
    popupFor = c.linkedid;
    document.getElementById("popup-number").textContent = known(c.caller_number) || t("calls.anonymous");
    document.getElementById("popup-name").textContent = known(c.caller_name);
    document.getElementById("popup-previous").textContent = "";
    document.getElementById("popup-open").hidden = !c.call_id;
    var button = document.getElementById("popup-new-case");
    if (button) { button.disabled = true; delete button.dataset.callId; }
    document.getElementById("popup-created").hidden = true;
    fillCases([]);
    document.getElementById("popup-second").hidden = true;
    document.getElementById("popup").hidden = false;
    updatePopup(c);
    if (!known(c.caller_number)) { fillPrevious({}, c.linkedid); return; }
    fetch("/api/caller?number=" + encodeURIComponent(c.caller_number), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) { if (popupFor === c.linkedid) fillPrevious(data, c.linkedid); })
      .catch(function () {});
  }
  var newCaseButton = document.getElementById("popup-new-case");
  if (newCaseButton) newCaseButton.addEventListener("click", newCase);
  document.getElementById("popup-close").addEventListener("click", function () {
    document.getElementById("popup").hidden = true; popupFor = null;
  });

  function onMessage(msg) {
    if (msg.type === "snapshot") {
      calls.clear();
      (msg.calls || []).forEach(function (c) { calls.set(c.linkedid, c); });
      renderCurrent();
      return;
    }
    if (msg.type !== "call") return;
    if (msg.ended) { calls.delete(msg.linkedid); addRecent(msg); }
    else { calls.set(msg.linkedid, msg); }
    if (!msg.ended && !msg.answered_by && popupFor !== msg.linkedid) showPopup(msg);
    updatePopup(msg);
    renderCurrent();
  }
  function setConn(ok) {
    var c = document.getElementById("conn");
    c.textContent = ok ? t("live.connected") : t("live.reconnecting");
    c.className = "conn " + (ok ? "on" : "off");
  }
  setInterval(tick, 1000);
  window.callcenterLiveFeed(onMessage, setConn, "/live");
})();
