"""XSS in the browser: test-only routes, hooks that report script execution, a DOM scan.

Reusable for every page that shows user text (practice detail, lists, search highlighting,
comparison): load the page in a :class:`~tests.browser.conftest.WatchedPage`, then assert
``watch.executions``, ``watch.dialogs`` and ``watch.foreign_requests`` are empty and
:func:`dom_dangers` finds nothing.

The test-only routes (never part of the product; :func:`install` adds them to the live
server's app only):

* ``/__test__/xss/rendered?sample=1`` (or ``?start=&count=``) – brs-kb payloads through
  ``omk.markdown.render``, inside the app's real page layout;
* ``/__test__/xss/raw?…`` – the same payloads *unsanitised*: the control that proves the
  detector sees executions.

Both are served without the Content-Security-Policy header, so the sanitiser is tested on its
own; the CSP is a second, separate layer that the page walk checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from flask import Blueprint, Flask, render_template_string, request
from markupsafe import Markup

from omk.markdown import render
from omk.policy import Action, permission

TEST_PREFIX = "/__test__/"

#: Runs before any page script in every frame. Replaces the dialog functions with reporters and
#: forwards CSP violations. ``__omkReport`` is a Playwright binding: it reaches the test from
#: every frame, also cross-origin and sandboxed ones, and survives navigations.
INIT_SCRIPT = """
(() => {
  const report = (kind, detail) => {
    try { window.__omkReport(kind, String(detail).slice(0, 120)); } catch (e) { /* ignore */ }
  };
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    try {
      window[name] = function (message) { report(name, message); };
    } catch (e) { /* ignore */ }
  }
  window.__xss = (detail) => report("xss", detail);
  document.addEventListener("securitypolicyviolation", (event) => {
    report("csp", event.violatedDirective + " " + (event.blockedURI || "inline"));
  });
})();
"""

#: Finds what could run script in the live DOM (after the browser's own parsing, so mutation
#: tricks count): script, frame, object and SVG/MathML elements, event-handler attributes and
#: script-capable URLs in any attribute.
DOM_SCAN = """
(selector) => {
  const root = document.querySelector(selector);
  const found = [];
  if (!root) { return ["no element " + selector]; }
  const forbidden = new Set(["SCRIPT", "STYLE", "IFRAME", "FRAME", "OBJECT", "EMBED", "APPLET",
    "BASE", "META", "LINK", "FORM", "INPUT", "BUTTON", "TEXTAREA", "SELECT", "IMG", "IMAGE",
    "VIDEO", "AUDIO", "SOURCE", "TEMPLATE", "svg", "math", "SVG", "MATH"]);
  const scheme = /(?:javascript|vbscript|data):/i;
  for (const el of root.querySelectorAll("*")) {
    if (forbidden.has(el.tagName) || forbidden.has(el.localName)) {
      found.push("<" + el.localName + ">");
    }
    for (const attr of el.attributes) {
      const where = el.localName + "[" + attr.name + "]";
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]+/g, "");
      if (attr.name.toLowerCase().startsWith("on")) { found.push(where); }
      if (["style", "src", "srcdoc"].includes(attr.name)) { found.push(where); }
      if (scheme.test(value)) { found.push(where + "=" + attr.value.slice(0, 60)); }
    }
  }
  return found;
}
"""


#: brs-kb contexts where the browser's parser, not the sanitiser's, has the last word.
PARSER_CONTEXTS = frozenset(
    {
        "markdown", "mutation", "html_parser_edge", "mathml", "svg", "svg_xss", "href",
        "dom_clobbering", "sanitizer_api", "html_comment", "xml_namespace", "template", "url",
    }
)  # fmt: skip


@cache
def _entries() -> list[dict[str, Any]]:
    import brs_kb

    return list(brs_kb.get_all_payloads().values())


def corpus() -> list[str]:
    """All brs-kb payloads, in the knowledge base's order."""
    return [entry["payload"] for entry in _entries()]


@cache
def sample() -> list[str]:
    """About 1,800 payloads for the browser: every fifth, plus all of the parser contexts.

    The whole corpus goes through the renderer in tests/test_markdown.py; in the browser the
    point is how Chromium parses what the renderer lets through.
    """
    return [
        entry["payload"]
        for n, entry in enumerate(_entries())
        if n % 5 == 0 or PARSER_CONTEXTS & set(entry.get("contexts", []))
    ]


_PAGE = """{% extends "base.html" %}
{% block title %}XSS-Probe{% endblock %}
{% block content %}
<h1 class="kern-heading-large">XSS-Probe</h1>
<div id="xss-corpus">
{% for item in items %}
<article class="omk-prose" data-n="{{ loop.index0 + start }}">{{ item }}</article>
{% endfor %}
</div>
{% endblock %}"""


def _payloads() -> tuple[list[str], int]:
    """The payloads a request asks for: ``?sample=1``, or ``?start=&count=`` of the corpus."""
    if request.args.get("sample"):
        return sample(), 0
    start = max(int(request.args.get("start", 0)), 0)
    count = min(max(int(request.args.get("count", 100)), 0), 10_000)
    return corpus()[start : start + count], start


def _blueprint() -> Blueprint:
    bp = Blueprint("xss_probe", __name__, url_prefix=TEST_PREFIX + "xss")

    @bp.get("/rendered")
    @permission(Action.PUBLIC)
    def rendered() -> str:
        payloads, start = _payloads()
        items = [render(p, heading_offset=1) for p in payloads]
        return render_template_string(_PAGE, items=items, start=start)

    @bp.get("/raw")
    @permission(Action.PUBLIC)
    def raw() -> str:
        """The control: payloads as they are. This page *must* execute script."""
        payloads, start = _payloads()
        items = [Markup(p) for p in payloads]  # noqa: S704 - the unsanitised control
        return render_template_string(_PAGE, items=items, start=start)

    return bp


def install(app: Flask) -> None:
    """Add the test-only routes to a test app (never to the product)."""
    app.register_blueprint(_blueprint())


def without_csp_on_test_routes(app: Flask) -> Callable[..., Iterable[bytes]]:
    """WSGI wrapper: drop the CSP header on the test-only routes, keep it everywhere else."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(TEST_PREFIX):
            return app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "content-security-policy"]
            return start_response(status, kept, *rest)

        return app(environ, start)

    return wsgi


def dom_dangers(page: Any, selector: str = "#xss-corpus") -> list[str]:
    """Script-capable things in the live DOM under ``selector`` (empty: safe)."""
    found: list[str] = page.evaluate(DOM_SCAN, selector)
    return found
