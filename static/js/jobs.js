// A background export's progress: ask the server how far the file has got every two seconds, moving the bar,
// then reload to show the download link. Without JavaScript, the "Refresh" link does the same.
(function () {
  "use strict";
  var section = document.getElementById("export-progress");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("export-bar");
  var done = document.getElementById("export-done");
  var state = document.getElementById("export-state");
  var error = document.getElementById("export-error");
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      done.textContent = String(data.rows_done);
      state.textContent = data.label;
      if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
    }).catch(function () {
      error.hidden = false;
    });
  }
  window.setTimeout(poll, 1000);
})();
