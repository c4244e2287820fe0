// Live calls: websocket /ws/live, the table of current calls, today's ended calls, the ringing
// pop-up (a side panel: it never covers the tables) and what draws a clerk's attention to a
// ringing call — the page title, and, when the clerk switched them on (remembered in
// localStorage), a short WebAudio tone and a desktop notification.
// Everything from the network is written with textContent: caller IDs are attacker-controlled.
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("strings").textContent);
  var calls = new Map();
  var popupFor = null;
  var RECENT = 20; // as RECENT in live/pages.py
  var baseTitle = document.title;
  var alerted = new Set(); // linkedids already announced (sound, notification)

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
  // The call's stage (callcenter.ami.calls.live_stage): a busy or queued call is not "ringing".
  var STAGE_CLASS = { talking: "d-answered", ringing: "d-ringing", queued: "d-queued", incoming: "d-queued",
                      no_clerk: "d-busy", voicemail: "d-voicemail" };
  function stageOf(c) {
    if (c.ended) return "ended";
    if (c.stage) return c.stage;
    if (c.answered_by) return "talking";
    return c.ringing && c.ringing.length ? "ringing" : "queued";
  }
  function stateOf(c) {
    if (c.ended) return [c.disposition ? t("disp." + c.disposition) : t("live.ended"), "d-" + (c.disposition || "open")];
    var stage = stageOf(c);
    return [t("live.stage." + stage), STAGE_CLASS[stage] || "d-open"];
  }
  function who(name, ext) {  // 王丽（8001）; an extension nobody is known by stays a number
    return name && name !== ext ? t("live.who").replace("{name}", name).replace("{ext}", ext) : ext;
  }
  function whoCell(c) {
    if (c.answered_by) return who(c.answered_by_name, c.answered_by);
    if (c.ringing && c.ringing.length) {
      var names = c.ringing_names || [];
      return t("live.at") + " " + c.ringing.map(function (ext, i) { return who(names[i], ext); }).join(t("live.and"));
    }
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
    Array.prototype.slice.call(body.children).forEach(function (tr) {
      if (tr.dataset.linkedid === c.linkedid) body.removeChild(tr); // the same call once, its latest state
    });
    body.insertBefore(row(c, false), body.firstChild);
    while (body.children.length > RECENT) body.removeChild(body.lastChild);
  }
  function fillRecent(list) { // the snapshot's ended calls, newest first
    var body = document.getElementById("recent");
    body.textContent = "";
    list.slice(0, RECENT).forEach(function (c) { body.appendChild(row(c, false)); });
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
  function updatePopup(c) {
    if (popupFor !== c.linkedid) return;
    var st = stateOf(c), badge = document.getElementById("popup-state");
    badge.textContent = st[0]; badge.className = "badge " + st[1];
    var link = document.getElementById("popup-open");
    if (c.call_id) { link.href = "/calls/" + encodeURIComponent(c.call_id); link.hidden = false; }
    if (c.call_id && link.dataset.callId !== String(c.call_id)) {
      link.dataset.callId = String(c.call_id);
      checkCase(c.call_id, c.linkedid);
    }
  }
  // Whether the call already has its case: say so (with a link) instead of offering a new one.
  function checkCase(callId, linkedid) {
    fetch("/api/calls/" + encodeURIComponent(callId) + "/case", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || popupFor !== linkedid) return;
        var note = document.getElementById("popup-has-case"), button = document.getElementById("popup-new-case");
        note.textContent = "";
        note.hidden = !data.case;
        if (data.case) {
          var a = el("a", t("popup.has_case").replace("{id}", data.case.id).replace("{kind}", t("kind." + data.case.kind))
            .replace("{state}", t("state." + data.case.state)));
          a.href = data.case.url;
          note.appendChild(a);
        }
        if (button) {
          button.hidden = !data.new_url;
          if (data.new_url) button.href = data.new_url;
        }
      })
      .catch(function () {});
  }
  function showPopup(c) {
    popupFor = c.linkedid;
    document.getElementById("popup-number").textContent = known(c.caller_number) || t("calls.anonymous");
    document.getElementById("popup-name").textContent = known(c.caller_name);
    document.getElementById("popup-previous").textContent = "";
    var open = document.getElementById("popup-open");
    open.hidden = !c.call_id;
    delete open.dataset.callId;
    var button = document.getElementById("popup-new-case");
    if (button) button.hidden = true;
    document.getElementById("popup-has-case").hidden = true;
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
  document.getElementById("popup-close").addEventListener("click", function () {
    document.getElementById("popup").hidden = true; popupFor = null;
  });

  // ---- attention: the title while a call rings; the tone and the notification if switched on
  function stored(key) { try { return localStorage.getItem(key) === "1"; } catch (e) { return false; } }
  function store(key, on) { try { localStorage.setItem(key, on ? "1" : "0"); } catch (e) { /* private mode */ } }
  var sound = document.getElementById("alert-sound"), notify = document.getElementById("alert-notify");
  var audio = null;
  sound.checked = stored("callcenter.live.sound");
  notify.checked = stored("callcenter.live.notify") && window.Notification && Notification.permission === "granted";
  sound.addEventListener("change", function () {
    store("callcenter.live.sound", sound.checked);
    if (sound.checked) chime(); // the click is the gesture that lets the page play sound
  });
  notify.addEventListener("change", function () {
    if (!notify.checked) { store("callcenter.live.notify", false); return; }
    if (!window.Notification) { notify.checked = false; return; }
    var done = function (p) {
      notify.checked = p === "granted";
      notify.title = p === "denied" ? t("live.notify_denied") : "";
      store("callcenter.live.notify", notify.checked);
    };
    if (Notification.permission !== "default") { done(Notification.permission); return; }
    var asked = Notification.requestPermission(done); // asked once, on this click; remembered by the browser
    if (asked && asked.then) asked.then(done);
  });
  function chime() { // two short tones, made here: no audio file, nothing from the network
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      audio = audio || new Ctx();
      if (audio.state === "suspended" && audio.resume) audio.resume();
      [0, 0.22].forEach(function (at, i) {
        var osc = audio.createOscillator(), gain = audio.createGain(), start = audio.currentTime + at;
        osc.type = "sine";
        osc.frequency.value = i ? 660 : 880;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(start); osc.stop(start + 0.2);
      });
    } catch (e) { /* no sound rather than a broken page */ }
  }
  function announce(c) {
    if (sound.checked) chime();
    if (notify.checked && window.Notification && Notification.permission === "granted") {
      try {
        var n = new Notification(t("popup.title") + " " + (known(c.caller_number) || t("calls.anonymous")),
                                 { body: known(c.caller_name) || "", tag: "call-" + c.linkedid });
        n.onclick = function () { window.focus(); n.close(); };
      } catch (e) { /* notifications unavailable here */ }
    }
  }
  function attention() {
    var ringing = [];
    calls.forEach(function (c) { if (stageOf(c) === "ringing") ringing.push(c); });
    ringing.forEach(function (c) {
      if (!alerted.has(c.linkedid)) { alerted.add(c.linkedid); announce(c); }
    });
    if (!ringing.length) { document.title = baseTitle; return; }
    var first = ringing[ringing.length - 1];
    document.title = t("live.title_ringing").replace("{n}", ringing.length)
      .replace("{number}", known(first.caller_number) || t("calls.anonymous")) + " – " + baseTitle;
  }

  function onMessage(msg) {
    if (msg.type === "snapshot") {
      calls.clear();
      (msg.calls || []).forEach(function (c) { calls.set(c.linkedid, c); });
      if (msg.recent) fillRecent(msg.recent);
      renderCurrent();
      attention();
      return;
    }
    if (msg.type !== "call") return;
    if (msg.ended) { calls.delete(msg.linkedid); alerted.delete(msg.linkedid); addRecent(msg); }
    else { calls.set(msg.linkedid, msg); }
    if (!msg.ended && !msg.answered_by && popupFor !== msg.linkedid) showPopup(msg);
    updatePopup(msg);
    renderCurrent();
    attention();
  }
  function setConn(ok) {
    var c = document.getElementById("conn");
    c.textContent = ok ? t("live.connected") : t("live.reconnecting");
    c.className = "conn " + (ok ? "on" : "off");
  }
  setInterval(tick, 1000);
  window.callcenterLiveFeed(onMessage, setConn, "/live");
})();
