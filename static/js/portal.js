// Small enhancements; every page works without them.
(function () {
  "use strict";
  // Focus the error summary after a failed submit, so keyboard and screen-reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // "Apply to all": fill every empty per-person hours box with the default, as a visible convenience.
  var fill = document.getElementById("fill-hours");
  if (fill) {
    fill.addEventListener("click", function () {
      var value = document.getElementById("id_default_hours").value;
      document.querySelectorAll("input[data-hours]").forEach(function (input) { input.value = value; });
    });
  }
  // Confirm before archiving.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
