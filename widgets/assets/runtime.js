// kvcache widgets runtime: mounts every .kvw-root on the page. A root holds
// its controls, its views (chart divs and HTML slots) and a JSON block:
//   controls: [{type: "slider"|"select", values: [x...], labels: [s...], start: i}]
//   views:    [{type: "chart"|"html", markX: c, markY: c}]  (c: control index or -1)
//   options:  unique ECharts options;  html: unique HTML fragments
//   states:   states[s][v] indexes options (chart) or html (html) for view v,
//             s = mixed-radix index of the control positions, first control most significant.
// Moving a control swaps precomputed states; nothing goes back to a kernel.
(function () {
  "use strict";

  function stateIndex(cfg, pos) {
    var s = 0;
    for (var i = 0; i < cfg.controls.length; i++) {
      s = s * cfg.controls[i].labels.length + pos[i];
    }
    return s;
  }

  // markLine over series 0: one dashed line per marked control, at its value.
  function markers(cfg, pos, v) {
    var data = [];
    [["xAxis", v.markX], ["yAxis", v.markY]].forEach(function (m) {
      var c = m[1];
      if (c < 0) { return; }
      var ctl = cfg.controls[c], point = { label: { formatter: ctl.labels[pos[c]] } };
      point[m[0]] = ctl.values ? ctl.values[pos[c]] : ctl.labels[pos[c]];
      data.push(point);
    });
    return {
      silent: true, symbol: ["none", "none"], animation: false,
      lineStyle: { type: "dashed", color: "#444", width: 1.5 }, data: data
    };
  }

  function mount(root) {
    var cfg = JSON.parse(root.querySelector("script.kvw-data").textContent);
    var pos = cfg.controls.map(function (c) { return c.start; });
    var shown = [];
    var targets = cfg.views.map(function (v, j) {
      var el = root.querySelector('[data-kvw-view="' + j + '"]');
      if (v.type !== "chart") { return el; }
      var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(el);
      }
      return chart;
    });

    function apply() {
      var s = stateIndex(cfg, pos);
      var row = cfg.states[s];
      cfg.views.forEach(function (v, j) {
        if (v.type === "html") {
          if (shown[j] !== row[j]) { targets[j].innerHTML = cfg.html[row[j]]; }
        } else {
          if (shown[j] !== row[j]) { targets[j].setOption(cfg.options[row[j]], true); }
          if ((v.markX >= 0 || v.markY >= 0) && (cfg.options[row[j]].series || []).length) {
            targets[j].setOption({ series: [{ markLine: markers(cfg, pos, v) }] });
          }
        }
        shown[j] = row[j];
      });
      root.setAttribute("data-kvw-state", String(s));
    }

    root.querySelectorAll("[data-kvw-control]").forEach(function (input) {
      var c = Number(input.getAttribute("data-kvw-control"));
      var out = root.querySelector('[data-kvw-value="' + c + '"]');
      var move = function () {
        pos[c] = Number(input.value);
        if (out) { out.textContent = cfg.controls[c].labels[pos[c]]; }
        apply();
      };
      input.addEventListener("input", move);
      input.addEventListener("change", move);
      // Keep the arrow keys for the control: JupyterLab's notebook would take them.
      input.addEventListener("keydown", function (e) { e.stopPropagation(); });
    });
    apply();
  }

  function mountAll() {
    document.querySelectorAll(".kvw-root:not([data-kvw-mounted])").forEach(function (root) {
      root.setAttribute("data-kvw-mounted", "");
      var status = root.querySelector(".kvw-status");
      try {
        mount(root);
        if (status) { status.remove(); }
      } catch (err) {
        if (status) { status.textContent = "Chart failed to render: " + err; }
      }
    });
  }

  var notes = document.querySelectorAll(".kvw-setup-note");
  if (!window.echarts) {
    notes.forEach(function (el) { el.textContent = "ECharts failed to load on this page; charts cannot be drawn."; });
    return;
  }
  window.kvwidgets = { mountAll: mountAll, stateIndex: stateIndex };
  notes.forEach(function (el) {
    el.textContent = "Charts on this page use ECharts " + echarts.version + ", embedded here (no network needed).";
  });
  mountAll();
})();
