// The admin's autocomplete boxes (select2) take their accessible name from the value they show, not from their
// field's label: a screen reader heard "兴庆区残联, combo box" and not which field it was (WCAG 1.3.1, 4.1.2;
// issue 15). Each box is named by its label, then its value.
(function () {
  "use strict";
  function name() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector("label[for='" + select.id + "']");
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection[role=combobox]");
      if (!label || !box) { return; }
      if (!label.id) { label.id = select.id + "-label"; }
      var shown = box.querySelector(".select2-selection__rendered[id]");
      box.setAttribute("aria-labelledby", label.id + (shown ? " " + shown.id : ""));
    });
  }
  // Whenever select2 draws a box: on jQuery's ready (which jQuery 3 runs late, sometimes after the page's load
  // event), for each inline row added, and if a box is drawn again.
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; name(); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  name();
})();
