"""Read a PDF back in a test, in Python (pypdf): no system program such as pdftotext needed."""

from __future__ import annotations

import io

from pypdf import PdfReader

#: Typographic ligatures a PDF may hold (ﬂ in "Geﬂüchtete"), spelled out as pdftotext does.
LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)


def pdf_text(data: bytes) -> str:
    """The text of every page, pages separated by a form feed (as ``pdftotext`` writes them)."""
    reader = PdfReader(io.BytesIO(data))
    return "\f".join(page.extract_text().translate(LIGATURES) for page in reader.pages)


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Width and height of every page in points (A4 portrait: about 595 x 842)."""
    reader = PdfReader(io.BytesIO(data))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
