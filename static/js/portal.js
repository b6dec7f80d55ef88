// Small enhancements; every page works without them.
(function () {
  "use strict";
  // Focus the error summary after a failed submit, so keyboard and screen-reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // "Apply to all": put the default hours in every per-person box (overwriting), as the button says.
  var fill = document.getElementById("fill-hours");
  if (fill) {
    fill.addEventListener("click", function () {
      var value = document.getElementById("id_default_hours").value;
      document.querySelectorAll("input[data-hours]").forEach(function (input) { input.value = value; });
    });
  }
  // "Add another item": copy the formset's empty row, numbered, up to the formset's maximum. Without
  // JavaScript the button stays hidden and the blank rows the server sends are enough.
  var addItem = document.getElementById("add-item");
  var rows = document.getElementById("item-rows");
  var template = document.getElementById("item-template");
  if (addItem && rows && template) {
    var prefix = rows.getAttribute("data-prefix");
    var max = parseInt(rows.getAttribute("data-max"), 10);
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    addItem.hidden = false;
    addItem.addEventListener("click", function () {
      var count = parseInt(total.value, 10);
      if (count >= max) { addItem.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(count));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(count + 1);
      var first = rows.lastElementChild.querySelector("select, input");
      if (first) { first.focus(); }
      if (count + 1 >= max) { addItem.disabled = true; }
    });
  }
  // A long-running submit (the roster import): say it is working, and stop a second press.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = form.getAttribute("data-busy"); }
    });
  });
  // Confirm before archiving.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Tables shown as cards on a phone (portal.css): WebKit (Safari, and so WeChat on iPhones) has dropped the
  // semantics of a table displayed as blocks, so state them; screen readers keep rows and column headers.
  document.querySelectorAll("table.table-cards").forEach(function (table) {
    table.setAttribute("role", "table");
    var roles = { THEAD: "rowgroup", TBODY: "rowgroup", TFOOT: "rowgroup", TR: "row", TD: "cell" };
    table.querySelectorAll("thead, tbody, tfoot, tr, th, td").forEach(function (part) {
      var role = roles[part.tagName] || (part.getAttribute("scope") === "row" ? "rowheader" : "columnheader");
      part.setAttribute("role", role);
    });
  });
})();
