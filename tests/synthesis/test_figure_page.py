"""A figure of the synthesis report fits on one A4 page, however tall its drawing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def _svg_width(figure_id: str, width: int, height: int) -> float:
    """The laid-out width (CSS px) of an SVG drawing in a figure of the report."""
    from weasyprint import HTML

    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><rect width="{width}" height="{height}"/></svg>'
    )
    html = (
        f"<html><head><style>{STYLESHEET.read_text(encoding='utf-8')}</style></head><body>"
        f'<div class="omk-synthesis"><figure id="{figure_id}">{svg}'
        "<figcaption>Abbildung 1</figcaption></figure></div></body></html>"
    )
    page = HTML(string=html).render().pages[0]._page_box

    def boxes(box: Any) -> Iterator[Any]:
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    [svg_box] = [b for b in boxes(page) if str(getattr(b, "element_tag", "")).endswith("svg")]
    return float(svg_box.width)


def test_the_learning_network_keeps_its_drawn_size() -> None:
    """Stretched to the column, a small network's 13 px names grew to twice their size (walk
    2026-12-07); it keeps its size like on the synergy page and only shrinks to fit."""
    assert _svg_width("f-learning", 300, 100) == 300
    assert _svg_width("f-learning", 2000, 100) < 700  # wider than the A4 column: scaled down
    assert _svg_width("f-coverage", 300, 100) > 600  # charts fill the column as before
