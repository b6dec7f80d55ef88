// The members' pages offline (issue 16). On every signed-in page: signing out asks before discarding visits not
// yet sent, then clears them and the pages kept. On the members' pages (/me/, the service worker's scope): the
// worker is registered (/me/sw.js keeps the pages), and a visit recorded with the form waits here, in IndexedDB,
// until the server has it: sent at once when it can be, else when the connection returns (the `online` event,
// each page load, a timer), exactly once (its client_key: the server records a key it already has only once).
//
// The queue holds what the form holds and nothing else: date, notes, items, the photos; never an ID number (the
// form has none). Each entry names its member (the login's number), so another person signed in on the same
// phone neither sends nor sees it. Without IndexedDB the form simply posts, as without JavaScript.
(function () {
  "use strict";
  var script = document.getElementById("offline-script");
  var words = document.getElementById("offline-words");
  var user = document.body.getAttribute("data-session-user");
  if (!script || !words || !user) { return; }
  words = JSON.parse(words.textContent);
  var SCOPE = script.getAttribute("data-scope");
  var WORKER = script.getAttribute("data-worker");  // only on the members' pages
  var MEMBER = "vp-offline-user";  // localStorage: whose pages and queue this browser keeps
  var RETRY_MS = 30000;
  // The form waits this long for the server before it lets the member go on (the visit is kept meanwhile).
  var FORM_WAIT_MS = 15000;
  var DB_NAME = "vp-offline";
  var STORE = "visits";

  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  var local = (function () {
    try { window.localStorage.setItem("vp-test", "1"); window.localStorage.removeItem("vp-test"); }
    catch (error) { return null; }
    return window.localStorage;
  })();

  // IndexedDB, in promises. One store of entries keyed by the visit's client_key.
  function database() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transaction(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function entries() {  // this member's, oldest first
    return transaction("readonly", function (store) { return store.getAll(); }).then(function (all) {
      return (all || []).filter(function (entry) { return entry.user === user; })
        .sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }
  function put(entry) { return transaction("readwrite", function (store) { store.put(entry); }); }
  function remove(key) { return transaction("readwrite", function (store) { store["delete"](key); }); }

  // Signing out on purpose, from any page: ask if anything is unsent, then forget this member's queue and every
  // page kept. Captured before session.js's own listener; the confirmed sign-out is submitted again for it.
  var leaving = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (leaving || !form.matches || !form.matches("form[data-sign-out]")) { return; }
    if (!WORKER && !(local && local.getItem(MEMBER))) { return; }  // never a member's browser: nothing kept
    event.preventDefault();
    event.stopPropagation();
    var go = function () {
      leaving = true;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    };
    entries().then(function (list) {
      if (list.length && !window.confirm(say(words.signOut, { count: list.length }))) { return null; }
      return Promise.all(list.map(function (entry) { return remove(entry.key); })).then(forgetPages).then(go);
    }).catch(function () { forgetPages().then(go, go); });
  }, true);

  function forgetPages() {
    if (local) { local.removeItem(MEMBER); }
    if (!window.caches) { return Promise.resolve(); }
    return window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("vp-") === 0; })
        .map(function (name) { return window.caches["delete"](name); }));
    });
  }

  if (!WORKER) { return; }

  // The members' pages from here on.
  if (local) {
    var before = local.getItem(MEMBER);
    if (before && before !== user && window.caches) { window.caches["delete"]("vp-pages"); }  // someone else's
    local.setItem(MEMBER, user);
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(WORKER, { scope: SCOPE, updateViaCache: "none" }).catch(function () {});
  }

  var form = document.getElementById("visit-form");
  var box = document.getElementById("upload-queue");
  if (!box) {
    box = document.createElement("div");
    box.id = "upload-queue";
    box.setAttribute("aria-live", "polite");
    var main = document.getElementById("main");
    if (form) { form.parentNode.insertBefore(box, form); } else if (main) { main.insertBefore(box, main.firstChild); }
  }
  var SENT = "vp-offline-sent";  // sessionStorage: sent by the form just before it opened /me/, to say so there
  var state = { signIn: null, sent: 0, notice: null };
  try {
    state.sent = parseInt(window.sessionStorage.getItem(SENT), 10) || 0;
    window.sessionStorage.removeItem(SENT);
  } catch (error) { /* none */ }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function link(href, text) {
    var node = element("a", "alert-link", text);
    node.href = href;
    return node;
  }

  function summary(entry) {
    var date = (entry.fields.filter(function (field) { return field[0] === "date"; })[0] || [])[1] || "";
    var notes = (entry.fields.filter(function (field) { return field[0] === "notes"; })[0] || [])[1] || "";
    return date + (notes ? " · " + (notes.length > 40 ? notes.slice(0, 40) + "…" : notes) : "");
  }

  function render(list) {
    var waiting = list.filter(function (entry) { return entry.state === "waiting"; });
    var invalid = list.filter(function (entry) { return entry.state === "invalid"; });
    var parts = document.createDocumentFragment();
    if (state.notice) {
      var notice = element("p", "alert alert-info", state.notice + " ");
      notice.appendChild(link(SCOPE, words.home));
      parts.appendChild(notice);
    }
    if (waiting.length) {
      var count = element("p", "alert alert-warning", say(words.waiting, { count: waiting.length }));
      count.setAttribute("data-upload-waiting", String(waiting.length));
      parts.appendChild(count);
      if (state.signIn) {
        var expired = element("p", "alert alert-danger", words.signIn + " ");
        expired.appendChild(link(state.signIn, words.signInLink));
        parts.appendChild(expired);
      }
    }
    invalid.forEach(function (entry) {
      var card = element("div", "alert alert-danger");
      card.appendChild(element("p", "mb-1", words.invalid + " " + summary(entry)));
      var reasons = element("ul", "mb-2");
      entry.errors.forEach(function (text) { reasons.appendChild(element("li", "", text)); });
      card.appendChild(reasons);
      var discard = element("button", "btn btn-outline-danger me-tap", words.discard);
      discard.type = "button";
      discard.addEventListener("click", function () {
        if (window.confirm(words.discardAsk)) { remove(entry.key).then(refresh); }
      });
      card.appendChild(discard);
      parts.appendChild(card);
    });
    if (state.sent && !waiting.length) { parts.appendChild(element("p", "alert alert-success", say(words.sent, { count: state.sent }))); }
    box.replaceChildren(parts);
  }

  var shown = null;
  function refresh() {
    return entries().then(function (list) {
      // The live region speaks on each change: draw it again only when something changed, not at each retry.
      var now = JSON.stringify([state, list.map(function (entry) { return [entry.key, entry.state, entry.errors]; })]);
      if (now !== shown) { shown = now; render(list); }
    }, function () {});
  }

  function csrfToken() {
    var name = script.getAttribute("data-csrf-cookie") + "=";
    var cookie = document.cookie.split(";").map(function (part) { return part.trim(); })
      .filter(function (part) { return part.indexOf(name) === 0; })[0];
    if (cookie) { return decodeURIComponent(cookie.slice(name.length)); }
    var field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function messages(errors) {  // {"field": ["text"] or [{"message": "text"}]} into lines
    var lines = [];
    Object.keys(errors || {}).forEach(function (name) {
      var label = labelOf(name);
      [].concat(errors[name]).forEach(function (error) {
        var text = typeof error === "string" ? error : (error && error.message) || "";
        if (text) { lines.push(label ? label + "：" + text : text); }
      });
    });
    return lines;
  }

  function labelOf(name) {
    var field = form && form.querySelector("[name='" + name.replace(/'/g, "") + "']");
    var label = field && field.id && document.querySelector("label[for='" + field.id + "']");
    return label ? label.textContent.trim() : "";
  }

  // One upload: what became of it. "sent" (201, also for a key the server already has), "invalid" (the server
  // refused what was typed), "signIn" (the session ended: 401, or the idle timeout's redirect), "later".
  function send(entry) {
    var data = new FormData();
    entry.fields.forEach(function (field) { data.append(field[0], field[1]); });
    entry.files.forEach(function (file) { data.append(file.field, new Blob([file.data], { type: file.type }), file.name); });
    return window.fetch(entry.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Queued-Upload": "1", "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect") { return { kind: "signIn", login: script.getAttribute("data-login") }; }
      if (response.status === 201 || response.status === 200) { return { kind: "sent" }; }
      if (response.status === 401 || response.status === 400) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 401) { return { kind: "signIn", login: answer.login || script.getAttribute("data-login") }; }
          var lines = messages(answer.errors);
          return { kind: "invalid", errors: lines.length ? lines : [say(words.refused, { status: 400 })] };
        });
      }
      if (response.status === 404) { return { kind: "invalid", errors: [words.notPaired] }; }
      if (response.status === 413) { return { kind: "invalid", errors: [say(words.refused, { status: 413 })] }; }
      return { kind: "later" };  // 5xx (the database away: 503), 403 (a CSRF token being renewed): try again
    }, function () { return { kind: "later" }; });  // no connection, or it broke off
  }

  var flushing = null;
  var inFlight = {};  // keys the form itself is sending: the timer leaves them alone
  function flush() {
    if (flushing) { return flushing; }
    if (navigator.onLine === false) { return refresh(); }
    flushing = entries().then(function (list) {
      var waiting = list.filter(function (entry) { return entry.state === "waiting" && !inFlight[entry.key]; });
      return waiting.reduce(function (chain, entry) {
        return chain.then(function (stop) {
          if (stop) { return true; }
          return send(entry).then(function (outcome) { return settle(entry, outcome); });
        });
      }, Promise.resolve(false));
    }).then(refresh, refresh).then(function () { flushing = null; });
    return flushing;
  }

  function settle(entry, outcome) {  // true: stop sending the others for now
    if (outcome.kind === "sent") {
      state.sent += 1;
      state.signIn = null;
      return remove(entry.key).then(function () { return false; });
    }
    if (outcome.kind === "invalid") {
      entry.state = "invalid";
      entry.errors = outcome.errors;
      return put(entry).then(function () { return false; });
    }
    if (outcome.kind === "signIn") { state.signIn = outcome.login; }
    return true;
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // What the form holds, as the server would receive it (the CSRF token goes in the header at sending time: the
  // one in a page kept offline may be stale). Photos are read into bytes, which every browser can store.
  function capture() {
    var fields = [];
    var reads = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      var type = (field.type || "").toLowerCase();
      if (!field.name || field.disabled || field.name === "csrfmiddlewaretoken") { return; }
      if (["submit", "button", "reset", "image"].indexOf(type) >= 0) { return; }
      if (type === "file") {
        Array.prototype.forEach.call(field.files, function (file) {
          reads.push(file.arrayBuffer().then(function (data) {
            return { field: field.name, name: file.name, type: file.type, data: data };
          }));
        });
      } else if (type === "checkbox" || type === "radio") {
        if (field.checked) { fields.push([field.name, field.value]); }
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.selectedOptions, function (option) { fields.push([field.name, option.value]); });
      } else {
        fields.push([field.name, field.value]);
      }
    });
    return Promise.all(reads).then(function (files) {
      var key = form.querySelector("[name=client_key]").value;
      return {
        key: key, user: user, url: form.getAttribute("data-queue-url") || form.action,
        fields: fields, files: files, savedAt: Date.now(), state: "waiting", errors: []
      };
    });
  }

  function showErrors(lines) {
    var old = form.querySelector("[data-queue-errors]");
    if (old) { old.remove(); }
    var alert = element("div", "alert alert-danger");
    alert.setAttribute("data-queue-errors", "");
    alert.setAttribute("role", "alert");
    alert.tabIndex = -1;
    alert.appendChild(element("p", "mb-1", words.notSaved));
    var list = element("ul", "mb-0");
    lines.forEach(function (text) { list.appendChild(element("li", "", text)); });
    alert.appendChild(list);
    form.insertBefore(alert, form.firstChild);
    alert.focus();
  }

  // The visit form: always through the queue when it can be (see README, "Offline"): it is in IndexedDB before
  // a byte leaves the phone, so a send that dies half-way (one bar of signal, navigator.onLine still true) loses
  // nothing, and there is one path to test. The server's answer decides what the page then does.
  if (form && window.indexedDB) {
    var keyField = form.querySelector("[name=client_key]");
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    var busy = false;
    var fresh = function () { if (keyField) { keyField.value = uuid(); } };
    fresh();  // each opening of the form is a new visit, a copy of the page kept offline too
    // A copy kept days ago says that day is today (the date's default and latest): the phone's today instead.
    var dateField = form.querySelector("input[name=date]");
    var now = new Date();
    var today = [now.getFullYear(), ("0" + (now.getMonth() + 1)).slice(-2), ("0" + now.getDate()).slice(-2)].join("-");
    try {  // today where the portal counts days (TIME_ZONE), as the server will check it
      var parts = {};
      new Intl.DateTimeFormat("en-US", {
        timeZone: script.getAttribute("data-time-zone"), year: "numeric", month: "2-digit", day: "2-digit"
      }).formatToParts(now).forEach(function (part) { parts[part.type] = part.value; });
      today = parts.year + "-" + parts.month + "-" + parts.day;
    } catch (error) { /* the phone's own day */ }
    if (dateField && dateField.max && dateField.max < today) {
      if (dateField.defaultValue === dateField.max) { dateField.defaultValue = today; dateField.value = today; }
      dateField.max = today;
    }
    form.addEventListener("submit", function (event) {
      if (!keyField) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      if (button) { button.disabled = true; }
      var done = function () { busy = false; if (button) { button.disabled = false; button.textContent = label; } };
      var kept = function () {  // waiting on the phone: the form is free for the next visit
        form.reset();
        fresh();
        var old = form.querySelector("[data-queue-errors]");
        if (old) { old.remove(); }
        try { window.sessionStorage.removeItem("vp-draft:" + window.location.pathname); } catch (error) { /* none */ }
        state.notice = words.saved;
        return refresh().then(function () { box.scrollIntoView({ block: "nearest" }); });
      };
      capture().then(function (entry) {
        return put(entry).then(function () {
          if (navigator.onLine === false) { return kept(); }
          inFlight[entry.key] = true;
          if (button) { button.textContent = words.sending; }
          var sending = send(entry).then(function (outcome) { delete inFlight[entry.key]; return outcome; });
          var slow = new Promise(function (resolve) {
            window.setTimeout(function () { resolve({ kind: "slow" }); }, FORM_WAIT_MS);
          });
          return Promise.race([sending, slow]).then(function (outcome) {
            if (outcome.kind === "slow") {  // one bar of signal: it goes on in the background, kept meanwhile
              sending.then(function (late) { return settle(entry, late); }).then(refresh);
              return kept();
            }
            if (outcome.kind === "sent") {
              return remove(entry.key).then(function () {
                try {
                  window.sessionStorage.removeItem("vp-draft:" + window.location.pathname);
                  window.sessionStorage.setItem(SENT, "1");
                } catch (error) { /* none */ }
                window.location.assign(SCOPE);
              });
            }
            if (outcome.kind === "invalid") {  // the member is here: the form still holds it, nothing queued
              return remove(entry.key).then(function () { showErrors(outcome.errors); });
            }
            if (outcome.kind === "signIn") { state.signIn = outcome.login; }
            return kept();
          });
        });
      }).then(done, function () {
        // IndexedDB refused (full, or switched off): post the form as it is, as without JavaScript.
        done();
        form.submit();
      });
    });
  }

  // The member's page, online: keep a copy of each visit form it links to that is not kept yet, so that every
  // paired household can be visited offline, not only those whose form was opened before.
  function keepForms() {
    var kept = JSON.parse(script.getAttribute("data-kept") || "[]").map(function (pattern) { return new RegExp(pattern); });
    if (!window.caches || !navigator.serviceWorker || !navigator.serviceWorker.controller) { return; }
    var wanted = {};
    document.querySelectorAll("main a[href]").forEach(function (anchor) {
      var url = new URL(anchor.href, window.location.href);
      if (url.origin === window.location.origin && !url.search && url.pathname !== window.location.pathname &&
          kept.some(function (pattern) { return pattern.test(url.pathname); })) { wanted[url.pathname] = true; }
    });
    window.caches.open("vp-pages").then(function (cache) {
      Object.keys(wanted).forEach(function (path) {
        cache.match(path, { ignoreVary: true }).then(function (copy) {
          if (copy) { return; }
          // Through the worker, which keeps it as it keeps a page opened (the page only reads it to the end).
          window.fetch(path, { credentials: "same-origin", headers: { "Accept": "text/html" } })
            .then(function (response) { return response.arrayBuffer(); }).catch(function () {});
        });
      });
    });
  }
  if (navigator.onLine !== false && "serviceWorker" in navigator) {
    navigator.serviceWorker.ready.then(function () { window.setTimeout(keepForms, 1000); });
  }

  refresh().then(flush);
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { flush(); } });
  window.setInterval(flush, RETRY_MS);
})();
