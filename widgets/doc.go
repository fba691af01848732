// Package widgets shows kvsim results in GoNB notebooks and standalone HTML
// pages: go-echarts charts drawn offline by an embedded ECharts, report
// tables, explorers whose sliders and pickers redraw charts in place, and
// live charts that grow while a measurement runs. kvsim computes; widgets
// only display, and nothing in kvsim imports widgets. Widgets render to
// HTML (Render, HTML); showing them in GoNB is package widgets/notebook's
// job, the only one that links gonbui, so the kvsim command does not.
//
// # The page model
//
// ECharts (npm echarts, pinned in assets/package-lock.json, copied to
// assets/dist by `make assets`, embedded with //go:embed) is about 1 MB, so it
// goes on a page once: notebook.Setup shows it (the Setup widget) near the
// top of a notebook, Page inlines it in the head of a standalone file. Every widget is a fragment
//
//	<div class="kvw-root" id="kvw-KIND-HASH">
//	  <div class="kvw-status"> one line: what the reader sees while no script runs </div>
//	  <div class="lm-Widget lm-mod-hidden"> <script type="application/json" class="kvw-data"> states </script>
//	    <script><!-- wait up to 15 s for the library, then mount --></script> </div> </div>
//
// whose id is a hash of its content: the same cell renders the same HTML on
// every run. The runtime (assets/runtime.js) builds the caption, controls,
// views and note from the data block, lays out every chart for its canvas
// (title wrapped, legend in rows, axis names clear of labels, labels inside
// the canvas) and adds a toolbox (save as PNG, data view), zoom on long x
// axes and tooltips with the axes' units. Data blocks over 48 KB travel
// gzipped (base64) and the runtime inflates them (DecompressionStream). The
// library and runtime are shielded from AMD loaders (the require.js in
// nbconvert's template), and run once per page even when the setup output
// appears twice.
//
// # Sanitized exports
//
// JupyterLab's File > Save and Export Notebook As > HTML ticks "Sanitize
// HTML output", and nbconvert's sanitizer then escapes every tag outside a
// small allow-list into text. A widget survives that cleanly: its scripts
// sit inside HTML comments (browsers run them; the sanitizer strips
// comments), its data and escaped tags in an element of class lm-mod-hidden
// (Lumino's, hidden by the CSS of every JupyterLab page and of nbconvert's
// lab template), and nothing else but the one line (which names
// ExportMenu). Tables need no script and keep to div, span and b. The
// export that keeps the charts is tools/kvcache_export's Kvcache_html.
//
// # Interactivity without a kernel
//
// An Explorer's controls are dimensions; a state is one position of every
// control, numbered in mixed radix (first control most significant). The
// Go cell builds every view for every state once; identical charts and
// fragments are stored once. Moving a control swaps states in the browser
// (setOption, innerHTML): no kernel round trip, no new output, and the same
// behaviour in JupyterLab, in a headless nbconvert run (nothing waits for a
// browser) and in an exported HTML file. MarkX/MarkY draw a dashed line at a
// control's value that moves with it. States are capped at MaxStates.
//
// # Notebook facts
//
//   - notebook.Display waits (at most 10 s) until GoNB has read the output
//     (see widgets/notebook).
//   - Outputs made by running cells are trusted in JupyterLab and draw. A
//     notebook saved elsewhere (nbconvert, git) opens untrusted: JupyterLab
//     strips scripts and each chart shows its one line (trust the notebook
//     or rerun it). Tables need no script and always show.
//   - LiveChart updates one output in place (Jupyter's update_display_data,
//     through the Screen notebook.NewLiveChart gives it) by a display id that
//     is random per run and not saved; updates
//     carry the chart only, at most one per Every (100 ms), and Done sends
//     the last one, so the saved notebook holds the final chart; Replace
//     puts another widget (the finished run's explorer) in its place.
//   - Chart options are data: a go-echarts JavaScript function
//     (types.FuncStr) is refused with an error; use ECharts string templates.
//
// # Errors
//
// Builders chain, so they keep their first mistake: HTML() returns it,
// Render() and notebook.Display show it as a red box where the widget would be,
// and Err() reports building mistakes early. Errors start with "widgets:".
//
// # Browser checks
//
// Package browsertest drives headless Chromium with the network off; the
// tests here use it on a standalone page, on notebooks exported by nbconvert
// and (with KVCACHE_LAB_TEST=1) in a live JupyterLab.
package widgets
