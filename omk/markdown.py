"""The one Markdown renderer: Python-Markdown, then the nh3 (ammonia) sanitiser.

Every piece of user or content Markdown reaches a page only through :func:`render`.
Its output is the only thing templates may mark safe.
"""

from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

#: Tags a rendered text may keep. No images (external images leak readers' addresses),
#: no forms, frames, scripts, styles, SVG or MathML.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
        "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
        "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
#: Only web and mail links; javascript:, data:, vbscript: and friends are dropped.
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_EXTENSIONS = ["tables", "sane_lists", "fenced_code", "def_list", "abbr"]


def render(text: str | None, *, heading_offset: int = 0) -> Markup:
    """Render Markdown to sanitised HTML, safe to insert into a page.

    ``heading_offset`` demotes headings (``#`` becomes ``<h2>`` with offset 1) so that user
    text never competes with the page's own ``<h1>``.
    """
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    if heading_offset:
        html = _demote_headings(html, heading_offset)
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - the sanitiser's output, the one allowed use


def _demote_headings(html: str, offset: int) -> str:
    for level in range(6, 0, -1):
        new = min(level + offset, 6)
        html = html.replace(f"<h{level}", f"<h{new}").replace(f"</h{level}>", f"</h{new}>")
    return html


def plain(text: str | None) -> str:
    """Strip all markup (for search snippets, e-mails and PDFs' metadata)."""
    if not text:
        return ""
    html = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return nh3.clean(html, tags=set()).strip()
