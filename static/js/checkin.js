// The activity's check-in code (templates/selfservice/checkin_code.html): load the next QR just after each
// minute turns on the server, without reloading the page; reload it whole when the window closes (the server
// answers 410 and the page then says so) and every few minutes (so the idle-timeout warning starts afresh from
// the session these requests keep alive). Keeps the phone's screen on where the browser allows it.
(function () {
  "use strict";
  var box = document.querySelector("[data-check-in-qr]");
  if (!box) { return; }
  var source = box.getAttribute("data-check-in-qr");
  var reloadEvery = parseInt(box.getAttribute("data-reload-every"), 10) || 10;
  var loads = 0;

  function later(seconds) {
    // A second after the minute turns, so that the server's clock has moved on too.
    window.setTimeout(refresh, (Math.max(1, seconds) + 1) * 1000);
  }

  function refresh() {
    loads += 1;
    if (loads >= reloadEvery) { window.location.reload(); return; }
    window.fetch(source, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("image/svg+xml") !== 0) {
          window.location.reload();  // closed, archived or signed out: the page says which
          return null;
        }
        var next = parseInt(response.headers.get("X-Refresh-In"), 10) || 60;
        return response.text().then(function (text) {
          var parsed = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
          if (parsed && parsed.nodeName === "svg") { box.replaceChildren(document.importNode(parsed, true)); }
          later(next);
        });
      })
      .catch(function () { later(10); });  // no connection for a moment: try again soon, keep the last code
  }

  if (navigator.wakeLock && typeof navigator.wakeLock.request === "function") {
    var keepAwake = function () { navigator.wakeLock.request("screen").catch(function () {}); };
    keepAwake();
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { keepAwake(); }
    });
  }
  later(parseInt(box.getAttribute("data-refresh-in"), 10) || 60);
})();
