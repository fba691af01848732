"""The kvcache notebook's HTML exporter.

JupyterLab lists every exporter registered under nbconvert's
``nbconvert.exporters`` entry point in File > Save and Export Notebook As;
this one is named ``kvcache_html`` (JupyterLab shows "Kvcache_html").

It is nbconvert's HTML exporter with three differences, each for a file
that works offline with its interactive charts:

* It never sanitizes. JupyterLab asks "Sanitize HTML output" (ticked) only
  for the built-in ``html`` format; sanitizing drops every script, so the
  charts, which are drawn by scripts in the outputs, would be gone.
* Its template (``templates/kvcache_html``, on top of nbconvert's ``lab``
  template) loads nothing from the network: no require.js, MathJax,
  Mermaid or Jupyter widgets from a CDN. The notebook needs none of them
  (its charts carry their own ECharts), and offline each would be a failed
  request and a console error.
* Outputs are rendered as for the built-in exporter otherwise, so the page
  looks like the notebook in JupyterLab.

A notebook without the kvcache widgets exports as plain HTML would, minus
MathJax (formulas stay as typed).
"""

import os

from nbconvert.exporters import HTMLExporter
from traitlets import default

__all__ = ["KVCacheHTMLExporter", "TEMPLATES"]

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


class KVCacheHTMLExporter(HTMLExporter):
    """HTML for the kvcache notebook: offline, unsanitized, no CDN scripts."""

    export_from_notebook = "kvcache HTML"

    @default("template_name")
    def _template_name_default(self):
        return "kvcache_html"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        return [*super()._default_extra_template_basedirs(), TEMPLATES]

    def from_notebook_node(self, nb, resources=None, **kw):
        # Whatever asked for it (a query flag, a config), this exporter's
        # purpose is the unsanitized page: sanitizing removes every chart.
        self.sanitize_html = False
        return super().from_notebook_node(nb, resources=resources, **kw)
