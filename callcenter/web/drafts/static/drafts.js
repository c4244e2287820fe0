// Voicemail draft inbox: new drafts, transcripts and failures appear without a reload.
// The live feed (/ws/live) announces drafts ({"type": "draft", "case_id": …}); the page then reads
// /api/drafts (the queue) and /api/drafts/{id} (the open draft). A field the clerk has typed in is
// never overwritten: the transcript's value is shown next to it instead. Everything from the
// network is written with textContent (a voicemail's words are the caller's).
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("strings").textContent);
  var rows = document.getElementById("draft-rows");
  var selected = Number(rows.dataset.selected || 0);
  var confirmForm = document.querySelector("[data-testid=confirm]");
  var FIELDS = ["kind", "caller_name", "caller_phone", "compound", "building", "unit_no", "room", "category",
                "severity", "problem", "damage"];
  var FLAGS = ["urgent", "difficult"];
  var shown = {};   // what the form showed the clerk: field → value (a flag: "1" or "")
  var touched = {}; // fields the clerk changed
  var timer = null, gone = false;

  function t(key, values) {
    var text = S[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function local(iso) { return iso ? iso.slice(5, 16).replace("T", " ") : ""; }
  function pct(x) { return Math.round(x * 100); }
  function notice(key, cls) {
    var p = document.getElementById("draft-notice");
    p.textContent = t(key);
    p.className = "notice " + (cls || "ok");
    p.hidden = false;
  }

  // --- the queue ---------------------------------------------------------------------------
  function link(caseId, child) {
    var a = el("a"); a.href = "/drafts/" + encodeURIComponent(caseId);
    if (typeof child === "string") a.textContent = child; else a.appendChild(child);
    return a;
  }
  function draftRow(d) {
    var c = d.case, tr = el("tr", null, c.id === selected ? "sel" : "");
    tr.dataset.case = String(c.id);
    var time = el("td", null, "nowrap"); time.appendChild(link(c.id, local(c.received_at))); tr.appendChild(time);
    var num = el("td", null, "nowrap"), a = link(c.id, c.caller_phone || t("calls.anonymous"));
    a.className = "num"; num.appendChild(a);
    if (c.problem) num.appendChild(el("div", c.problem, "summary small muted"));
    tr.appendChild(num);
    var st = el("td", null, "nowrap");
    if (c.urgent) {
      var u = el("span", t("field.urgent"), "badge urgent");
      u.dataset.testid = "draft-urgent"; st.appendChild(u); st.appendChild(document.createTextNode(" "));
    }
    st.appendChild(el("span", t("vm." + d.status), "badge vm-" + d.status));
    if (d.confidence !== null && d.confidence !== undefined) {
      var low = (d.words || []).filter(function (w) { return w.low; }).length;
      st.appendChild(el("div", pct(d.confidence) + "%" + (low ? " · ⚑" + low : ""), "small muted"));
    }
    tr.appendChild(st);
    return tr;
  }
  function renderQueue(items) {
    rows.textContent = "";
    if (!items.length) {
      var tr = el("tr"), td = el("td", t("drafts.empty"), "empty");
      td.colSpan = 3; td.dataset.testid = "drafts-empty"; tr.appendChild(td); rows.appendChild(tr);
    }
    items.forEach(function (d) { rows.appendChild(draftRow(d)); });
    document.getElementById("draft-count").textContent = t("drafts.count", { n: items.length });
  }
  // Answers can come back out of order (a slow one asked before a fast one): only the answer to
  // the latest question is drawn, or an old answer would blank fields a newer one just filled.
  var askedQueue = 0, askedSelected = 0;
  function refreshQueue() {
    var mine = ++askedQueue;
    fetch("/api/drafts", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === askedQueue) renderQueue(data.items || []); })
      .catch(function () {});
  }

  // --- the open draft ----------------------------------------------------------------------
  function field(name) { return confirmForm ? confirmForm.querySelector("[name=" + name + "]") : null; }
  function valueOf(input) { return input.type === "checkbox" ? (input.checked ? "1" : "") : input.value; }
  function remember() {
    FIELDS.concat(FLAGS).forEach(function (name) {
      var input = field(name);
      if (!input) return;
      shown[name] = valueOf(input);
      input.addEventListener("input", function () { touched[name] = true; });
      input.addEventListener("change", function () { touched[name] = true; });
    });
  }
  function renderTranscript(d) {
    var box = document.getElementById("draft-transcript");
    box.textContent = "";
    var p;
    if (d.words && d.words.length) {
      p = el("p", null, "transcript");
      d.words.forEach(function (w) {
        var span = el(w.low ? "mark" : "span", w.word, w.low ? "lowconf" : "");
        if (w.low && w.conf !== null) span.title = t("drafts.word_conf", { n: pct(w.conf) });
        p.appendChild(span);
      });
    } else if (d.transcript) {
      p = el("p", d.transcript, "transcript");
    } else {  // the notice above already says why, and what to do
      p = el("p", ["unavailable", "failed", "no_recording"].indexOf(d.notice) >= 0 ? "" : t("drafts.no_transcript"), "muted");
    }
    p.dataset.testid = "transcript";
    box.appendChild(p);
    var conf = document.getElementById("draft-confidence");
    conf.textContent = d.confidence !== null && d.confidence !== undefined ? t("drafts.confidence", { n: pct(d.confidence) }) : "";
  }
  function hint(input, value) {
    var next = input.nextElementSibling;
    if (!next || !next.classList.contains("suggest")) {
      next = el("small", null, "suggest muted");
      input.parentNode.insertBefore(next, input.nextSibling);
    }
    next.textContent = t("drafts.transcript_says") + " " + value;
  }
  function mergeFields(d) {
    // As the page renders a draft: the kind and the urgency the transcript suggests.
    var suggested = d.suggested || {}, changed = false;
    var values = Object.assign({}, d.case, { kind: suggested.kind || d.case.kind,
                                             urgent: d.case.urgent || suggested.urgent ? "1" : "",
                                             difficult: d.case.difficult ? "1" : "" });
    FIELDS.concat(FLAGS).forEach(function (name) {
      var input = field(name), now = values[name] === null || values[name] === undefined ? "" : String(values[name]);
      if (!input || now === shown[name]) return;
      if (touched[name]) {
        hint(input, input.type === "checkbox" ? (now ? "✓" : "✗") : now);
      } else {
        if (input.type === "checkbox") input.checked = now === "1"; else input.value = now;
        input.classList.add("filled");
        changed = true;
      }
      shown[name] = now;
    });
    // The clerk has now seen the draft as it is: a confirmation keeps what they typed over it.
    document.querySelectorAll("input[name=version]").forEach(function (v) { v.value = String(d.case.version); });
    return changed;
  }
  function renderPhones(phones) {
    // Every number the transcript holds, the callback number first (as the page renders them).
    var list = document.getElementById("draft-phones");
    if (!list || !phones) return;
    list.textContent = "";
    phones.forEach(function (p) {
      var li = el("li");
      li.dataset.testid = "draft-phone";
      if (p.callback) li.dataset.callback = "1";
      li.appendChild(el("span", p.display, "num"));
      if (p.callback) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", t("drafts.x.callback"), "badge")); }
      if (p.dial) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("small", t("drafts.x.dial", { number: p.dial }), "muted")); }
      list.appendChild(li);
    });
    document.getElementById("draft-phones-box").hidden = phones.length === 0;
  }
  function renderSelected(d) {
    var badge = document.getElementById("draft-status");
    badge.textContent = t("vm." + d.status);
    badge.className = "badge vm-" + d.status;
    var reason = document.getElementById("vm-reason");
    reason.textContent = d.notice ? t("drafts.why." + d.notice) : ""; // never the stored diagnostic
    reason.hidden = !d.notice;
    renderTranscript(d);
    renderPhones(d.suggested && d.suggested.phones);
    if (mergeFields(d)) notice("drafts.arrived");
  }
  function drop() {
    gone = true;
    notice("drafts.gone", "warn");
    document.querySelectorAll(".inbox-detail button[type=submit]").forEach(function (b) { b.disabled = true; });
  }
  function refreshSelected() {
    if (!selected || gone) return;
    var mine = ++askedSelected;
    fetch("/api/drafts/" + encodeURIComponent(selected), { credentials: "same-origin" })
      .then(function (r) {
        if (mine !== askedSelected) return null;
        if (r.status === 404) { drop(); return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (d) { if (d && mine === askedSelected) renderSelected(d); })
      .catch(function () {});
  }

  // --- the feed ----------------------------------------------------------------------------
  function soon(all) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; refreshQueue(); if (all) refreshSelected(); }, 150);
  }
  function onMessage(msg) {
    if (msg.type === "snapshot") { soon(true); return; } // connected, or messages were lost
    if (msg.type !== "draft") return;
    soon(msg.case_id === selected);
  }
  function setConn(ok) {
    var c = document.getElementById("conn");
    c.textContent = ok ? t("drafts.live") : t("live.reconnecting");
    c.className = "conn " + (ok ? "on" : "off");
  }
  remember();
  window.callcenterLiveFeed(onMessage, setConn, "/drafts");
})();
