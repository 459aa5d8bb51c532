"""Snippets: the passage of a practice's text that holds most query terms, marked.

Built from the database text of the hits shown (never from the index), with the same analysis
as the index, so a query word matches its inflected, compounded or folded forms in the text.
A snippet is a list of (text, is_match) pieces: templates escape each piece and wrap matches
in ``<mark>``; :func:`as_html` does the same for the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from omk.search.analysis import analyze

Snippet = list[tuple[str, bool]]

_MARKDOWN = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`#>]+|^\s*[-+]\s+", re.M)
WINDOW = 220  # characters around the best spot


def plain(text: str) -> str:
    """Markdown reduced to its words (links keep their text)."""
    return re.sub(r"\s+", " ", _MARKDOWN.sub(lambda m: m.group(1) or " ", text)).strip()


def snippet(texts: Iterable[str], query_terms: set[str], width: int = WINDOW) -> Snippet:
    """The best passage of the first text that holds a query term (else the first text)."""
    candidates = [plain(t) for t in texts if t and t.strip()]
    if not candidates:
        return []
    for text in candidates:
        spans = [(t.startchar, t.endchar) for t in analyze(text) if t.text in query_terms]
        if spans:
            return _window(text, _merge(spans), width)
    text = candidates[0]
    return [(_cut(text, 0, width), False)]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[tuple[int, int]], width: int) -> Snippet:
    # The window starting shortly before the span that has most spans within ``width``.
    best, best_count = 0, -1
    for i, (start, _) in enumerate(spans):
        count = sum(1 for s, _ in spans[i:] if s < start + width)
        if count > best_count:
            best, best_count = i, count
    start = max(0, spans[best][0] - 40)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.find(" ", end)
        end = space if space >= 0 else len(text)
    pieces: Snippet = []
    if start > 0:
        pieces.append(("… ", False))
    at = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > at:
            pieces.append((text[at:s], False))
        pieces.append((text[s:e], True))
        at = e
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append((" …", False))
    return pieces


def _cut(text: str, start: int, width: int) -> str:
    if len(text) <= width:
        return text
    space = text.rfind(" ", start, start + width)
    return text[start : space if space > start else start + width] + " …"


def as_html(pieces: Snippet) -> str:
    """A snippet as escaped HTML with ``<mark>`` around matches (API)."""
    return "".join(f"<mark>{escape(t)}</mark>" if hit else escape(t) for t, hit in pieces)


def as_text(pieces: Snippet) -> str:
    return "".join(t for t, _ in pieces)
