(function () {
  // Wait (bounded: 15 s, or window.kvwidgetsWaitMs) for the runtime and
  // ECharts that notebook.Setup() or a Page puts on the page once.
  var start = Date.now();
  (function wait() {
    if (window.kvwidgets && window.echarts) { window.kvwidgets.mountAll(); return; }
    var waiting = document.querySelectorAll(".kvw-root:not([data-kvw-mounted]) .kvw-status");
    if (Date.now() - start > (window.kvwidgetsWaitMs || 15000)) {
      waiting.forEach(function (el) {
        el.textContent = "Chart not drawn: the chart library is not on this page. Run the cell with notebook.Setup() near the top of the notebook, then run this cell again.";
      });
      return;
    }
    waiting.forEach(function (el) { el.textContent = "Waiting for the chart library (notebook.Setup)..."; });
    setTimeout(wait, 50);
  })();
})();
