// Case pages: keep the deadline countdowns ticking (the server rendered their first value).
(function () {
  "use strict";
  var node = document.getElementById("strings");
  var S = node ? JSON.parse(node.textContent) : {};
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  function t(key, fallback) { return S[key] || fallback; }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(seconds) {
    var rest = Math.abs(Math.trunc(seconds));
    var days = Math.floor(rest / 86400); rest -= days * 86400;
    var h = Math.floor(rest / 3600); rest -= h * 3600;
    var m = Math.floor(rest / 60), s = rest - m * 60;
    var clock = days ? two(h) + ":" + two(m) : two(h) + ":" + two(m) + ":" + two(s);
    return (days ? days + t("cd.days", "d") + " " : "") + clock;
  }
  function text(seconds, state) {
    if (state === "paused") return t("cd.paused", "paused") + " " + span(seconds);
    if (seconds < 0) return t("cd.late", "late") + " " + span(seconds);
    return zh ? t("cd.left", "left") + " " + span(seconds) : span(seconds) + " " + t("cd.left", "left");
  }
  // Count from the server's clock (the page says when it was rendered), not the PC's.
  var served = Date.parse(document.body.dataset.now || "");
  var skew = isNaN(served) ? 0 : served - Date.now();
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".cd[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      var state = el.dataset.state || "open";
      if (state === "paused") return; // a paused clock does not run
      var seconds = Math.trunc((due - now) / 1000);
      el.textContent = text(seconds, state);
      el.classList.toggle("late", seconds < 0);
      el.classList.toggle("soon", seconds >= 0 && seconds < 14400);
    });
  }
  setInterval(tick, 1000);
})();
