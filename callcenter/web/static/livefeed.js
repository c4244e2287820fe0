// The live feed's websocket (/ws/live), shared by the live page and the draft inbox: reconnects
// after a growing pause (1 s, doubling up to 15 s) and sends the browser to the login page when
// the session has ended (close code 4401). A frame that is not JSON is ignored.
(function () {
  "use strict";
  window.callcenterLiveFeed = function (onMessage, setConn, loginNext) {
    var retry = 1000;
    function connect() {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live");
      ws.onopen = function () { retry = 1000; setConn(true); };
      ws.onmessage = function (ev) { try { onMessage(JSON.parse(ev.data)); } catch (e) { /* ignore a bad frame */ } };
      ws.onclose = function (ev) {
        setConn(false);
        if (ev.code === 4401) { location.href = "/login?next=" + loginNext; return; }
        setTimeout(connect, retry); retry = Math.min(retry * 2, 15000);
      };
    }
    connect();
  };
})();
