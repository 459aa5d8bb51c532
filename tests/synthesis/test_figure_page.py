"""A figure of the synthesis report fits on one A4 page, however tall its drawing."""

from __future__ import annotations

from omk.synthesis.render import STYLESHEET


def test_a_tall_narrow_figure_is_scaled_to_one_page() -> None:
    from weasyprint import HTML

    # the learning network at its limit: 30 lanes of one cycle, narrow and tall
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 1300" width="300" '
        'height="1300"><rect width="300" height="1300" fill="#ccc"/></svg>'
    )
    html = (
        f"<html><head><style>{STYLESHEET.read_text(encoding='utf-8')}</style></head><body>"
        f'<div class="omk-synthesis"><p>Lernnetz</p><figure>{svg}'
        "<figcaption>Abbildung 1</figcaption></figure></div></body></html>"
    )
    assert len(HTML(string=html).render().pages) == 1
