// The roster import's progress: ask the server to check the next chunk of rows until all are checked, moving
// the bar, then reload to show the preview. Without JavaScript, the "check the next rows" button does the same.
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-check-url");
  var bar = document.getElementById("import-bar");
  var checked = document.getElementById("import-checked");
  var error = document.getElementById("import-error");
  var token = section.querySelector("input[name=csrfmiddlewaretoken]").value;
  var button = document.getElementById("import-continue");
  button.hidden = true;
  function step() {
    fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRFToken": token },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      bar.max = data.total;
      bar.value = data.checked;
      bar.textContent = data.checked + " / " + data.total;
      checked.textContent = String(data.checked);
      if (data.done) { window.location.reload(); } else { step(); }
    }).catch(function () {
      error.hidden = false;
      button.hidden = false;
    });
  }
  step();
})();
