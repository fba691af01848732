// kvcache widgets runtime: mounts every .kvw-root on the page. A root holds
// one line of text (shown while no script runs) and a hidden data block:
//   caption, note, controls: [{type: "slider"|"select", key, label, values?, labels, start, stateText?}]
//   views:    [{type: "chart"|"html", markX: c, markY: c, markAt?, width, height}]  (c: control index or -1)
//   options:  unique ECharts options;  html: unique HTML fragments;  texts: per-state labels
//   states:   states[s][v] indexes options (chart) or html (html) for view v,
//             s = mixed-radix index of the control positions, first control most significant.
// The block is JSON, or gzipped JSON in base64 (type application/x-kvw-gzip)
// when large. Moving a control swaps precomputed states; nothing goes back to
// a kernel. Every chart is laid out here (title wrapped to the width, legend
// in rows under it, axis names clear of labels and legend, labels inside the
// canvas), and gets a toolbox, unit-aware tooltips and, on long x axes, zoom.
(function () {
  "use strict";

  var PAD = 8, TITLE_PX = 14, TITLE_LINE = 18, SMALL_PX = 12, ICON = 14, ICON_GAP = 8, MIN_PLOT = 160;

  function stateIndex(cfg, pos) {
    var s = 0;
    for (var i = 0; i < cfg.controls.length; i++) {
      s = s * cfg.controls[i].labels.length + pos[i];
    }
    return s;
  }

  function list(x) { return x == null ? [] : (Array.isArray(x) ? x : [x]); }
  function first(x) { return list(x)[0]; }
  function copy(o) { return Object.assign({}, o || {}); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  // ---- text measuring and number formatting ----

  var measurer = null;
  function textWidth(text, px, bold) {
    measurer = measurer || document.createElement("canvas").getContext("2d");
    measurer.font = (bold ? "bold " : "") + px + "px sans-serif"; // ECharts' default family
    return measurer.measureText(String(text)).width;
  }

  // wrap breaks text into lines no wider than max (words kept whole).
  function wrap(text, px, bold, max) {
    var out = [];
    String(text).split("\n").forEach(function (para) {
      var line = "";
      para.split(/\s+/).forEach(function (word) {
        if (!word) { return; }
        var next = line ? line + " " + word : word;
        if (!line || textWidth(next, px, bold) <= max) { line = next; return; }
        out.push(line);
        line = word;
      });
      out.push(line);
    });
    return out;
  }

  // unitOf reads the unit of an axis name written "Name (unit)".
  function unitOf(name) {
    var m = /\(([^()]*)\)\s*$/.exec(name || "");
    return m ? m[1] : "";
  }
  function bare(name) { return String(name || "").replace(/\s*\([^()]*\)\s*$/, ""); }

  function fmt(v) {
    if (typeof v !== "number") { v = Number(v); }
    if (!isFinite(v)) { return String(v); }
    var a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e12) { return v.toLocaleString("en-US"); }
    if (a !== 0 && (a < 1e-3 || a >= 1e12)) { return v.toPrecision(3); }
    return v.toLocaleString("en-US", { maximumSignificantDigits: 4 });
  }
  function withUnit(v, unit) {
    var s = fmt(v);
    if (!unit) { return s; }
    return (unit === "%" || unit === "×") ? s + unit : s + " " + unit;
  }

  // ---- chart decoration ----

  function isCartesian(o) { return list(o.xAxis).length > 0 && list(o.yAxis).length > 0; }

  function horizontal(o) { var y = first(o.yAxis); return !!y && y.type === "category"; }

  // zoomable: a long linear x axis (a time series, many bars) gets dataZoom.
  function zoomable(o) {
    var x = first(o.xAxis);
    if (!x || x.type === "log" || horizontal(o) || o.kvwZoom === false) { return false; }
    var n = x.type === "category" ? list(x.data).length : 0;
    list(o.series).forEach(function (s) { n = Math.max(n, list(s.data).length); });
    return n >= 40;
  }

  function seriesNames(o) {
    var seen = {}, out = [];
    list(o.series).forEach(function (s) {
      if (s.name && !seen[s.name]) { seen[s.name] = true; out.push(s.name); }
    });
    return out;
  }

  // The data view: one row per x (or category), one column per series.
  function dataTable(opt) {
    var hz = horizontal(opt), cat = hz ? first(opt.yAxis) : first(opt.xAxis);
    var cats = cat && cat.type === "category" ? list(cat.data) : null;
    var keys = [], rows = {}, names = [];
    list(opt.series).forEach(function (s, k) {
      names.push(s.name || "series " + (k + 1));
      list(s.data).forEach(function (d, i) {
        var v = d !== null && typeof d === "object" && !Array.isArray(d) ? d.value : d;
        var key, y;
        if (Array.isArray(v)) { key = hz ? v[1] : v[0]; y = hz ? v[0] : v[1]; } else { key = cats ? cats[i] : i; y = v; }
        if (!Object.prototype.hasOwnProperty.call(rows, key)) { rows[key] = []; keys.push(key); }
        rows[key][k] = y;
      });
    });
    var cell = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:right";
    var h = '<table style="border-collapse:collapse;font:12px sans-serif;margin:8px"><tr><th style="' + cell + '">' +
      esc(cat ? cat.name || "" : "") + "</th>";
    names.forEach(function (n) { h += '<th style="' + cell + '">' + esc(n) + "</th>"; });
    h += "</tr>";
    keys.forEach(function (key) {
      h += '<tr><td style="' + cell + '">' + esc(typeof key === "number" ? fmt(key) : key) + "</td>";
      names.forEach(function (_, k) {
        var y = rows[key][k];
        h += '<td style="' + cell + '">' + (y === undefined || y === null || y === "-" ? "" : esc(typeof y === "number" ? fmt(y) : y)) + "</td>";
      });
      h += "</tr>";
    });
    return '<div style="overflow:auto;height:100%">' + h + "</table></div>";
  }

  // tooltip: the x value with its unit, then each series with its axis's unit.
  function tooltipFormatter(o) {
    var hz = horizontal(o);
    var xs = list(o.xAxis), ys = list(o.yAxis), series = list(o.series);
    var head = hz ? ys[0] : xs[0], values = hz ? xs : ys;
    return function (params) {
      var ps = list(params);
      if (!ps.length) { return ""; }
      var p0 = ps[0], top;
      if (head.type === "category") {
        top = esc(p0.name !== undefined && p0.name !== "" ? p0.name : p0.axisValueLabel);
      } else {
        var hv = p0.axisValue !== undefined ? p0.axisValue : (Array.isArray(p0.value) ? p0.value[hz ? 1 : 0] : p0.value);
        top = esc(bare(head.name)) + " " + esc(withUnit(hv, unitOf(head.name)));
      }
      var rows = [top];
      ps.forEach(function (p) {
        var v = Array.isArray(p.value) ? p.value[hz ? 0 : 1] : p.value;
        if (v === null || v === undefined || v === "-" || (typeof v === "number" && isNaN(v))) { return; }
        var s = series[p.seriesIndex] || {};
        var ax = values[(hz ? s.xAxisIndex : s.yAxisIndex) || 0] || values[0] || {};
        rows.push(p.marker + esc(p.seriesName) + ": <b>" + esc(withUnit(v, unitOf(ax.name))) + "</b>");
      });
      return rows.join("<br>");
    };
  }

  function fileName(title) {
    return (String(title || "chart").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "chart").slice(0, 80);
  }

  // layout returns the option to draw at a width x height canvas: opt with
  // its title wrapped, legend in rows, axis names and grid placed so that no
  // text leaves the canvas or meets another, plus toolbox, tooltip and zoom.
  function layout(opt, width, height) {
    var o = copy(opt), cart = isCartesian(o), zoom = cart && zoomable(o);
    delete o.kvwZoom;
    var title = copy(first(o.title));

    var feature = { saveAsImage: { title: "Save as PNG", pixelRatio: 2, backgroundColor: "#fff", name: fileName(title.text) } };
    var icons = 1;
    if (cart && list(o.series).length) {
      feature.dataView = { title: "Data", readOnly: true, lang: ["Data", "Close", "Refresh"], optionToContent: dataTable };
      icons++;
    }
    if (zoom) {
      feature.dataZoom = { title: { zoom: "Zoom into an area", back: "Undo zoom" }, yAxisIndex: "none" };
      feature.restore = { title: "Reset" };
      icons += 3;
    }
    o.toolbox = { show: true, right: PAD, top: PAD, padding: 0, itemSize: ICON, itemGap: ICON_GAP, feature: feature };
    // ECharts spaces the icons a little wider than itemSize + itemGap
    // (about 22.4 px each at 14 + 8, measured): count 24 per icon.
    var toolWidth = icons * (ICON + ICON_GAP + 2);

    var y = PAD;
    if (title.text) {
      // The title keeps 16 px clear of the toolbox; both have no padding of their own.
      var lines = wrap(title.text, TITLE_PX, true, Math.max(80, width - 2 * PAD - toolWidth - 16));
      title.text = lines.join("\n");
      title.left = PAD; title.top = PAD; title.padding = 0;
      delete title.right; delete title.bottom;
      title.textStyle = Object.assign(copy(title.textStyle), { fontSize: TITLE_PX, fontWeight: "bold", lineHeight: TITLE_LINE });
      y = PAD + lines.length * TITLE_LINE + 6;
    } else {
      y = PAD + ICON + 6;
    }
    o.title = title;

    var legend = copy(first(o.legend)), names = list(legend.data).length ? list(legend.data).map(function (d) {
      return typeof d === "object" ? d.name : d;
    }) : seriesNames(o);
    if (legend.show !== false && names.length) {
      var room = width - 2 * PAD, rows = 1, x = 0;
      names.forEach(function (n) {
        var w = 25 + 5 + textWidth(n, SMALL_PX, false);
        if (x > 0 && x + w > room) { rows++; x = 0; }
        x += w + 10;
      });
      delete legend.right; delete legend.bottom;
      Object.assign(legend, {
        type: "plain", show: true, data: names, left: PAD, top: y, width: room,
        orient: "horizontal", itemGap: 10, itemHeight: 14, textStyle: Object.assign(copy(legend.textStyle), { fontSize: SMALL_PX })
      });
      y += rows * 14 + (rows - 1) * 10 + 8;
    } else {
      legend.show = false;
    }
    o.legend = legend;

    var tip = copy(first(o.tooltip));
    if (tip.show !== false) {
      tip.confine = true;
      tip.formatter = cart ? tooltipFormatter(o) : tip.formatter;
      if (cart && !tip.trigger) { tip.trigger = "axis"; }
      if (cart && list(o.series).some(function (s) { return s.type === "bar"; })) { tip.axisPointer = { type: "shadow" }; }
    }
    o.tooltip = tip;

    if (!cart) {
      // A message (MessageChart) wraps to the canvas, centred under the title.
      o.graphic = list(o.graphic).map(function (g) {
        if (!g || g.type !== "text" || !g.kvwMessage) { return g; }
        var t = copy(g), style = copy(g.style), room = Math.max(80, width - 8 * PAD);
        style.text = wrap(style.text || "", style.fontSize || TITLE_PX, false, room).join("\n");
        style.lineHeight = Math.round((style.fontSize || TITLE_PX) * 1.4);
        delete t.kvwMessage;
        t.style = style;
        t.top = Math.max(y, (height - y) / 2);
        return t;
      });
      return o;
    }
    var hz = horizontal(o);
    var xs = list(o.xAxis).map(copy), ys = list(o.yAxis).map(copy);

    // Vertical axes carry their names above them, horizontally: one row;
    // with a left and a right axis, the right one's name a row higher (the
    // two would meet over a narrow chart, between labels of unknown width).
    var nameRows = 0, leftName = "", rightName = null;
    ys.forEach(function (a) {
      if (!a.name) { return; }
      var right = a.position === "right";
      a.nameLocation = "end"; a.nameRotate = 0; a.nameGap = 8;
      a.nameTextStyle = Object.assign(copy(a.nameTextStyle), { fontSize: SMALL_PX, align: right ? "right" : "left", verticalAlign: "bottom" });
      if (right) { rightName = a; } else { leftName = a.name; }
      nameRows = Math.max(nameRows, 1);
    });
    if (rightName && leftName) {
      rightName.nameGap = 8 + 16;
      nameRows = 2;
    }
    var top = y + (nameRows ? nameRows * 16 + 8 : 4);

    // The horizontal axis carries its name centred under its labels.
    var xa = xs[0], labelHeight = SMALL_PX + 4;
    var rotate = xa.axisLabel && xa.axisLabel.rotate ? Math.abs(xa.axisLabel.rotate) * Math.PI / 180 : 0;
    if (rotate && xa.type === "category") {
      var widest = 0;
      list(xa.data).forEach(function (c) { widest = Math.max(widest, textWidth(typeof c === "object" ? c.value : c, SMALL_PX)); });
      labelHeight = widest * Math.sin(rotate) + SMALL_PX * Math.cos(rotate) + 4;
    }
    var bottom = PAD;
    if (zoom) { bottom += 18 + 8; }
    if (xa.name) {
      xa.nameLocation = "middle";
      xa.nameGap = labelHeight + 8 + 6;
      xa.nameTextStyle = Object.assign(copy(xa.nameTextStyle), { fontSize: SMALL_PX, verticalAlign: "top" });
      bottom += 22;
    }
    xs.forEach(function (a) {
      a.axisLabel = Object.assign(copy(a.axisLabel), { fontSize: a.axisLabel && a.axisLabel.fontSize || SMALL_PX });
      if (a.type !== "category") {
        // containLabel keeps the labels' height inside the grid, not the
        // overhang of the first and last: align those to the axis ends.
        a.axisLabel.alignMinLabel = "left";
        a.axisLabel.alignMaxLabel = "right";
      }
    });
    ys.forEach(function (a) {
      a.axisLabel = Object.assign(copy(a.axisLabel), { fontSize: a.axisLabel && a.axisLabel.fontSize || SMALL_PX });
    });
    o.xAxis = xs; o.yAxis = ys;
    o.grid = Object.assign(copy(first(o.grid)), { left: PAD, right: PAD, top: top, bottom: bottom, containLabel: true });
    if (zoom) {
      o.dataZoom = [
        { type: "inside", xAxisIndex: 0, filterMode: "none", zoomOnMouseWheel: "ctrl", moveOnMouseWheel: false, moveOnMouseMove: false },
        { type: "slider", xAxisIndex: 0, filterMode: "none", height: 18, bottom: PAD, left: PAD + 40, right: PAD + 40, showDetail: false }
      ];
    } else {
      o.dataZoom = [];
    }
    return o;
  }

  // markers are the dashed lines of the controls a view marks, as
  // markLine data items (each styled on its own, so they join any
  // markLine the chart's first series already has).
  function markers(cfg, pos, s, v) {
    var data = [];
    [["xAxis", v.markX], ["yAxis", v.markY]].forEach(function (m) {
      var c = m[1];
      if (c < 0) { return; }
      var ctl = cfg.controls[c];
      var text = ctl.stateText ? cfg.texts[ctl.stateText[s]] : ctl.labels[pos[c]];
      var at = ctl.values ? ctl.values[pos[c]] : ctl.labels[pos[c]];
      if (m[0] === "xAxis" && v.markAt) {
        at = v.markAt[s];
        if (at === null || at === undefined) { return; }
      }
      var point = {
        lineStyle: { type: "dashed", color: "#444", width: 1.5 },
        label: { formatter: text, position: "insideEndTop", color: "#333", fontSize: 11 }
      };
      point[m[0]] = at;
      data.push(point);
    });
    return data;
  }

  // withMarkers puts the control markers on series 0 of a laid-out option.
  function withMarkers(o, marks) {
    var series = list(o.series);
    if (!marks.length || !series.length) { return o; }
    var s0 = copy(series[0]), base = s0.markLine || {};
    s0.markLine = Object.assign(copy(base), {
      silent: true, symbol: ["none", "none"], animation: false,
      data: list(base.data).concat(marks)
    });
    o.series = [s0].concat(series.slice(1));
    return o;
  }

  // ---- building the widget ----

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function build(root, cfg) {
    var body = el("div", "kvw-body");
    if (cfg.caption) { body.appendChild(el("div", "kvw-caption", cfg.caption)); }
    if (cfg.controls.length) {
      var bar = el("div", "kvw-controls");
      bar.setAttribute("data-lm-suppress-shortcuts", "true");
      cfg.controls.forEach(function (c, i) {
        var id = root.id + "-c" + i, label = el("label", "kvw-control"), input;
        label.htmlFor = id;
        label.appendChild(el("span", "", c.label));
        if (c.type === "slider") {
          input = document.createElement("input");
          input.type = "range"; input.min = "0"; input.max = String(c.labels.length - 1); input.step = "1";
          input.value = String(c.start);
        } else {
          input = document.createElement("select");
          c.labels.forEach(function (l, j) {
            var opt = el("option", "", l);
            opt.value = String(j);
            if (j === c.start) { opt.selected = true; }
            input.appendChild(opt);
          });
        }
        input.id = id;
        input.setAttribute("data-kvw-control", String(i));
        input.setAttribute("data-kvw-key", c.key || "");
        label.appendChild(input);
        if (c.type === "slider" || c.stateText) {
          var out = el("output", "kvw-value", c.labels[c.start]);
          out.setAttribute("data-kvw-value", String(i));
          label.appendChild(out);
        }
        bar.appendChild(label);
      });
      body.appendChild(bar);
    }
    var views = el("div", "kvw-views");
    cfg.views.forEach(function (v, j) {
      var view = el("div", v.type === "chart" ? "kvw-chart" : "kvw-html");
      view.id = root.id + "-v" + j;
      view.setAttribute("data-kvw-view", String(j));
      if (v.type === "chart") {
        view.style.width = v.width || "100%";
        view.style.height = v.height || "400px";
      } else if (v.width) { // a table beside a chart (Explorer.Table with a Size)
        view.style.flex = "1 1 " + v.width;
        view.style.minWidth = "280px";
      }
      views.appendChild(view);
    });
    body.appendChild(views);
    if (cfg.note) { body.appendChild(el("div", "kvw-note", cfg.note)); }
    root.insertBefore(body, root.firstChild);
  }

  function mount(root, cfg) {
    build(root, cfg);
    root.kvwConfig = cfg;
    var pos = cfg.controls.map(function (c) { return c.start; });
    var shown = [], marked = [], state = 0, heights = [];
    var targets = cfg.views.map(function (v, j) {
      var node = root.querySelector('[data-kvw-view="' + j + '"]');
      if (v.type !== "chart") { return node; }
      var chart = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: "canvas" });
      heights[j] = node.clientHeight;
      if (window.ResizeObserver) {
        new ResizeObserver(function () {
          // Hidden (0 wide: a collapsed output, a cell scrolled out) or
          // unchanged: nothing to do. Else lay the chart out again.
          if (!node.clientWidth || Math.abs(node.clientWidth - chart.getWidth()) < 2 || shown[j] === undefined) { return; }
          chart.resize();
          draw(j, true);
        }).observe(node);
      }
      return chart;
    });

    function draw(j, full) {
      var v = cfg.views[j], chart = targets[j], row = cfg.states[state], node = chart.getDom();
      if (node.clientWidth && Math.abs(node.clientWidth - chart.getWidth()) >= 2) {
        chart.resize(); // the page changed the chart's width since it was last drawn
        full = true;
      }
      var marks = (v.markX >= 0 || v.markY >= 0) ? markers(cfg, pos, state, v) : [];
      var key = JSON.stringify(marks);
      if (full || shown[j] !== row[j]) {
        var opt = cfg.options[row[j]], o = layout(opt, chart.getWidth(), chart.getHeight());
        // A legend of many long names, on a narrow chart, takes rows the
        // plot needs: grow the chart (never below its own height) rather
        // than squeeze the plot or page the legend.
        var want = o.grid && typeof o.grid.top === "number" ? Math.max(heights[j], o.grid.top + o.grid.bottom + MIN_PLOT) : heights[j];
        if (Math.abs(want - chart.getHeight()) > 1) {
          chart.getDom().style.height = want + "px";
          chart.resize();
          o = layout(opt, chart.getWidth(), chart.getHeight());
        }
        chart.setOption(withMarkers(o, marks), true);
      } else if (marked[j] !== key) {
        // Only the markers moved: replace series 0's marker lines.
        var s0 = withMarkers({ series: list(cfg.options[row[j]].series) }, marks).series;
        if (s0.length) { chart.setOption({ series: [{ markLine: s0[0].markLine || { data: [] } }] }); }
      }
      shown[j] = row[j];
      marked[j] = key;
    }

    function apply() {
      state = stateIndex(cfg, pos);
      var row = cfg.states[state];
      cfg.controls.forEach(function (c, i) {
        var out = root.querySelector('[data-kvw-value="' + i + '"]');
        if (out) { out.textContent = c.stateText ? cfg.texts[c.stateText[state]] : c.labels[pos[i]]; }
      });
      cfg.views.forEach(function (v, j) {
        if (v.type === "html") {
          if (shown[j] !== row[j]) { targets[j].innerHTML = cfg.html[row[j]]; }
          shown[j] = row[j];
        } else {
          draw(j, false);
        }
      });
      root.setAttribute("data-kvw-state", String(state));
    }

    root.querySelectorAll("[data-kvw-control]").forEach(function (input) {
      var c = Number(input.getAttribute("data-kvw-control"));
      var move = function () {
        var p = Number(input.value);
        if (p === pos[c]) { return; }
        pos[c] = p;
        apply();
      };
      input.addEventListener("input", move);
      input.addEventListener("change", move);
      // Keep the arrow keys for the control: JupyterLab's notebook would take them.
      input.addEventListener("keydown", function (e) { e.stopPropagation(); });
    });
    apply();
  }

  // readData decodes a root's data block (inflating it when gzipped).
  function readData(root) {
    var block = root.querySelector("script.kvw-data");
    if (!block) { return Promise.reject(new Error("no data block")); }
    if (block.type !== "application/x-kvw-gzip") {
      return Promise.resolve(JSON.parse(block.textContent));
    }
    if (!window.DecompressionStream) {
      return Promise.reject(new Error("this browser cannot inflate the chart data (no DecompressionStream); open the page in a current browser"));
    }
    var bin = atob(block.textContent.replace(/\s+/g, "")), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function mountAll() {
    document.querySelectorAll(".kvw-root:not([data-kvw-mounted])").forEach(function (root) {
      root.setAttribute("data-kvw-mounted", "");
      var status = root.querySelector(".kvw-status");
      readData(root).then(function (cfg) {
        mount(root, cfg);
        if (status) { status.remove(); }
        root.setAttribute("data-kvw-ready", "");
      }).catch(function (err) {
        if (status) { status.textContent = "Chart failed to render: " + err; }
      });
    });
  }

  var notes = document.querySelectorAll(".kvw-setup-note");
  if (!window.echarts) {
    notes.forEach(function (node) { node.textContent = "ECharts failed to load on this page; charts cannot be drawn."; });
    return;
  }
  window.kvwidgets = { mountAll: mountAll, stateIndex: stateIndex, layout: layout, format: withUnit };
  notes.forEach(function (node) {
    node.textContent = "Charts on this page use ECharts " + echarts.version + ", embedded here (no network needed).";
  });
  mountAll();
})();
