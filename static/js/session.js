// The idle timeout, made humane (WCAG 2.2.1, issue 15): warn before it with a way to stay signed in, and never
// lose what was typed into a form. Every page works without this file; the server's timeout is the rule.
(function () {
  "use strict";
  var body = document.body;
  var DRAFT = "vp-draft:";            // + the form page's path: {user, values}
  var PENDING = "vp-draft-pending";   // the path of a form just submitted, to tell a save from a post-back
  // Never kept, whatever the form: personal numbers, dates of birth, telephone numbers, passwords, files.
  var NEVER = ["id_number", "certificate_number", "birth_date", "phone", "guardian_phone", "password"];
  var store = (function () {
    try { window.sessionStorage.setItem("vp-test", "1"); window.sessionStorage.removeItem("vp-test"); }
    catch (error) { return null; }  // storage switched off: nothing is kept, nothing breaks
    return window.sessionStorage;
  })();

  function forgetAllDrafts() {
    if (!store) { return; }
    for (var index = store.length - 1; index >= 0; index--) {
      var key = store.key(index);
      if (key && (key.indexOf(DRAFT) === 0 || key === PENDING)) { store.removeItem(key); }
    }
  }

  function kept(field) {
    if (!field.name || field.disabled || field.closest("[data-no-store]")) { return false; }
    var type = (field.type || "").toLowerCase();
    if (["hidden", "file", "password", "submit", "button", "reset"].indexOf(type) >= 0) { return false; }
    var name = field.name.split("-").pop();  // a formset's "items-0-phone" is a phone too
    return NEVER.indexOf(name) < 0;
  }

  function values(form) {
    var found = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field)) { return; }
      var list = found[field.name] || (found[field.name] = []);
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) { list.push(field.value); }
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.selectedOptions, function (option) { list.push(option.value); });
      } else {
        list.push(field.value);
      }
    });
    return found;
  }

  function restore(form, saved) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field) || !Object.prototype.hasOwnProperty.call(saved, field.name)) { return; }
      var list = saved[field.name];
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = list.indexOf(field.value) >= 0;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) { option.selected = list.indexOf(option.value) >= 0; });
      } else {
        var nth = seen[field.name] || 0;  // several fields of one name keep their order
        seen[field.name] = nth + 1;
        if (nth < list.length) { field.value = list[nth]; }
      }
    });
  }

  // Signed out (the sign-in page, or any page of someone not signed in): keep the drafts for after signing in,
  // forget the submit in flight (a Save that met the timeout was redirected here, it did not save).
  if (!body.hasAttribute("data-session-user")) {
    if (store) { store.removeItem(PENDING); }
    return;
  }
  var user = body.getAttribute("data-session-user");

  if (store) {
    var pending = store.getItem(PENDING);
    store.removeItem(PENDING);
    // A form submitted and the server answered with another page: its success redirect. Saved, so forgotten.
    if (pending && pending !== window.location.pathname) { store.removeItem(DRAFT + pending); }
    document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
      form.addEventListener("submit", forgetAllDrafts);
    });
    document.querySelectorAll("form[data-keep]").forEach(function (form) {
      var key = DRAFT + window.location.pathname;
      var save = function () { store.setItem(key, JSON.stringify({ user: user, values: values(form) })); };
      var saved = null;
      try { saved = JSON.parse(store.getItem(key) || "null"); } catch (error) { saved = null; }
      if (saved && saved.user !== user) { saved = null; store.removeItem(key); }  // someone else's: never shown
      // The form posted back (errors, or the roll of another day): the server's page holds what was sent.
      if (saved && pending !== window.location.pathname) {
        restore(form, saved.values);
        var notice = document.getElementById("draft-restored");
        if (notice) {
          var shown = notice.content.firstElementChild.cloneNode(true);
          form.parentNode.insertBefore(shown, form);
          shown.querySelector("[data-draft-discard]").addEventListener("click", function () {
            store.removeItem(key);
            window.location.reload();
          });
        }
      }
      form.addEventListener("input", save);
      form.addEventListener("change", save);
      form.addEventListener("submit", function () { save(); store.setItem(PENDING, window.location.pathname); });
    });
  }

  // The warning, WARN seconds before the idle timeout: a modal alertdialog that takes the focus.
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var stay = document.getElementById("session-stay");
  var signIn = document.getElementById("session-sign-in");
  var warnBefore = parseInt(body.getAttribute("data-session-warn"), 10) * 1000;
  var deadline = 0;
  var warnTimer = null;
  var endTimer = null;

  function clock(when) {
    var date = new Date(when);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function schedule(leftSeconds) {
    deadline = Date.now() + leftSeconds * 1000;
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    var warnIn = leftSeconds * 1000 - warnBefore;
    if (warnIn > 0) { warnTimer = window.setTimeout(warn, warnIn); }
    endTimer = window.setTimeout(ended, leftSeconds * 1000);
  }

  function warn() {
    document.getElementById("session-deadline").textContent = clock(deadline);
    if (!dialog.open) { dialog.showModal(); }
    stay.focus();
  }

  function ended() {
    document.getElementById("session-warning-text").hidden = true;
    document.getElementById("session-ended-text").hidden = false;
    dialog.setAttribute("aria-describedby", "session-ended-text");
    stay.hidden = true;
    signIn.hidden = false;
    if (!dialog.open) { dialog.showModal(); }
    signIn.focus();
  }

  stay.addEventListener("click", function () {
    var token = document.querySelector("form[data-sign-out] [name=csrfmiddlewaretoken]");
    stay.disabled = true;
    window.fetch(body.getAttribute("data-session-extend"), {
      method: "POST",
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) {
      if (!response.ok) { throw new Error("signed out"); }
      return response.json();
    }).then(function (answer) {
      stay.disabled = false;
      dialog.close();
      schedule(answer.left_seconds);
    }).catch(function () {
      stay.disabled = false;
      ended();
    });
  });
  // Escape closes the dialog without extending: the timeout stays as it was.
  schedule(parseInt(body.getAttribute("data-session-left"), 10));
})();
