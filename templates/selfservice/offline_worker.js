// The members' pages offline (issue 16), served at /me/sw.js by selfservice/views/offline.py, which fills in
// CONFIG: the scope (/me/), the app shell's static URLs (hashed in production), a version naming the cache.
//
// What is kept, and where (README, "Offline"): the app shell in SHELL_CACHE; the member's own pages (/me/ and
// each visit form), network-first, in PAGES_CACHE, so the last copy opens without a connection. Never the HTTP
// cache: those pages are no-store. The visits waiting to be sent are not here but in IndexedDB
// (static/js/offline.js), and they are sent by the page, not by this worker.
"use strict";
var CONFIG = {{ config|safe }};
var SHELL_CACHE = "vp-shell-" + CONFIG.version;
var PAGES_CACHE = "vp-pages";
// A page that has not answered after this long is shown from the cache: in a village with one bar of signal
// the network may neither answer nor fail for a minute.
var NETWORK_WAIT_MS = 8000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("vp-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

var KEPT = CONFIG.pages.map(function (pattern) { return new RegExp(pattern); });

function isPage(request, url) {
  var accept = request.headers.get("Accept") || "";
  return url.pathname.indexOf(CONFIG.scope) === 0 && (request.mode === "navigate" || accept.indexOf("text/html") >= 0);
}

function isKept(url) {
  return !url.search && KEPT.some(function (pattern) { return pattern.test(url.pathname); });
}

function offlinePage() {
  var text = CONFIG.offline.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  var html = '<!DOCTYPE html><html lang="' + CONFIG.language + '"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>' + text + "</title></head>" +
    '<body><main><p><a href="' + CONFIG.scope + '">' + text + "</a></p></main></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// Network first: a member online always sees today's page; the copy kept is the last one the server gave. A
// redirect (to the sign-in page: the session ended) or an error page is shown but never kept, and a page the
// server no longer gives (a pairing that ended: 404) is dropped from the cache.
function page(event, keep) {
  var request = event.request;
  var fromNetwork = fetch(request).then(function (response) {
    if (!keep) { return response; }
    var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    var copy = response.clone();
    event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
      if (response.ok && !response.redirected && response.type === "basic" && html) { return cache.put(request, copy); }
      if (response.status === 404 || response.status === 410) { return cache.delete(request); }
      return null;
    }));
    return response;
  });
  var fromCache = function () {
    return caches.open(PAGES_CACHE).then(function (cache) { return cache.match(request, { ignoreVary: true }); });
  };
  var slow = new Promise(function (resolve) {
    setTimeout(function () {
      fromCache().then(function (kept) { if (kept) { resolve(kept); } });
    }, NETWORK_WAIT_MS);
  });
  var answer = fromNetwork.catch(function () {
    return fromCache().then(function (kept) { return kept || offlinePage(); });
  });
  return Promise.race([answer, slow]);
}

// The app shell. In production its names change with its content (WhiteNoise's manifest: "portal.1a2b3c4d5e6f.css"),
// so the kept copy is always right; unhashed names (development) are fetched first, so an edit shows at once.
var HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

function shellFirst(request) {
  return caches.match(request).then(function (kept) { return kept || fetch(request); });
}

function shellLatest(event) {
  return fetch(event.request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.put(event.request, copy); }));
    }
    return response;
  }).catch(function () {
    return caches.match(event.request).then(function (kept) { return kept || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }  // the queue's uploads go straight to the server
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (isPage(request, url)) {
    event.respondWith(page(event, isKept(url)));
    return;
  }
  if (CONFIG.shell.indexOf(url.pathname) >= 0) {
    event.respondWith(HASHED.test(url.pathname) ? shellFirst(request) : shellLatest(event));
  }
});
