// Dashboard charts (Chart.js, vendored). The same numbers are in tables on the page for screen readers.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var read = function (id) { var node = document.getElementById(id); return node ? JSON.parse(node.textContent) : null; };
  var trend = read("trend-data");
  var trendCanvas = document.getElementById("trend-chart");
  if (trend && trendCanvas) {
    new Chart(trendCanvas, {
      data: {
        labels: trend.labels,
        datasets: [
          { type: "bar", label: trend.activitiesLabel, data: trend.activities,
            backgroundColor: trend.march.map(function (m) { return m ? "#dc3545" : "#f1aeb5"; }) },
          { type: "line", label: trend.visitsLabel, data: trend.visits, borderColor: "#0d6efd", backgroundColor: "#0d6efd" }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  var categories = read("category-data");
  var categoryCanvas = document.getElementById("category-chart");
  if (categories && categoryCanvas) {
    new Chart(categoryCanvas, {
      type: "bar",
      data: { labels: categories.map(function (c) { return c[0]; }),
              datasets: [{ data: categories.map(function (c) { return c[1]; }), backgroundColor: "#6f42c1" }] },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
