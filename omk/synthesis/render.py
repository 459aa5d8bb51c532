"""The synthesis report laid out: HTML (a printable page, or a body for the app's layout),
Markdown, a ZIP of CSV files (one per table) and a PDF (WeasyPrint, PDF/UA-1).

Renderers only lay out a :class:`~omk.synthesis.document.SynthesisDocument`; reviewers' texts
(:class:`~omk.synthesis.document.ChapterTexts`, Markdown) pass through the app's sanitising
renderer :func:`omk.markdown.render`. Numbers are printed in the current locale.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup

from omk import markdown
from omk.downloads import CsvCell, csv_bytes
from omk.numbers import format_change
from omk.synthesis.document import (
    Cell,
    ChapterTexts,
    SynthesisDocument,
    Table,
    figures,
    tables,
)
from omk.synthesis.numbers import decimal

STYLESHEET = Path(__file__).with_name("document.css")


def stylesheet() -> str:
    """The report's CSS (screen, print and PDF)."""
    return STYLESHEET.read_text(encoding="utf-8")


def title(doc: SynthesisDocument) -> str:
    """The report's title, e.g. "Synthesebericht Nordrhein-Westfalen 2025"."""
    return str(
        _("Synthesebericht %(region)s %(cycle)s", region=doc["region_name"], cycle=doc["cycle"])
    )


#: The most decimals a table column shows.
MAX_DIGITS = 2
MINUS = "\u2212"  # the typographic minus sign, not the hyphen


def cell(value: Cell) -> str:
    """A value on its own as printed: numbers in the locale's notation, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(_("ja") if value else _("nein"))
    if isinstance(value, int | float):
        return decimal(value, MAX_DIGITS).replace("-", MINUS)
    return str(value)


def _digits(value: float) -> int:
    """The decimals a number needs, at most :data:`MAX_DIGITS` (4.30 needs one)."""
    for digits in range(MAX_DIGITS):
        if abs(round(value, digits) - value) < 1e-9 * max(1.0, abs(value)):
            return digits
    return MAX_DIGITS


def column_digits(table: Table) -> list[int | None]:
    """The decimals of each number column, one for the whole column (the most any of its
    values needs, up to two): counts stay whole numbers, "40" next to "29,67" is "40,00".
    None for columns without numbers."""
    out: list[int | None] = []
    for i in range(len(table["columns"])):
        places: int | None = None
        for row in table["rows"]:
            value = row[i] if i < len(row) else None
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            needed = 0 if isinstance(value, int) else _digits(value)
            places = needed if places is None else max(places, needed)
        out.append(places)
    return out


def formatted_rows(table: Table) -> list[list[str]]:
    """The table's cells as printed: one precision per column, a real minus sign, and a sign
    on every non-zero change in the columns of changes ("+0,25", "−0,63")."""
    digits = column_digits(table)
    signed = set(table.get("signed", []))
    out = []
    for row in table["rows"]:
        printed = []
        for i, value in enumerate(row):
            places = digits[i] if i < len(digits) else None
            if isinstance(value, bool) or not isinstance(value, int | float) or places is None:
                printed.append(cell(value))
                continue
            printed.append(format_change(value, places, plus=i in signed))
        out.append(printed)
    return out


def numeric_columns(table: Table) -> list[bool]:
    """Which columns hold numbers (right-aligned): every non-empty cell is a number."""
    out = []
    for i in range(len(table["columns"])):
        present = [row[i] for row in table["rows"] if i < len(row) and row[i] is not None]
        out.append(bool(present) and all(isinstance(v, int | float) for v in present))
    return out


_LEAD_IN = re.compile(r"^((?:[\w\-]+ ){0,3}[\w\-]+):(?: |$)")


def lead_in(paragraph: str) -> tuple[str, str]:
    """A paragraph's lead-in ("Basen:" in "Basen: Zählgrößen werden …"), printed in bold,
    and the rest; ("", paragraph) without one (a lead-in has at most four words)."""
    match = _LEAD_IN.match(paragraph)
    if match is None:
        return "", paragraph
    return match.group(0).strip(), paragraph[match.end() :]


def _date(iso: str) -> str:
    if "T" in iso:
        return str(format_date(datetime.fromisoformat(iso), format="long"))
    return str(format_date(date.fromisoformat(iso), format="long"))


def _context(doc: SynthesisDocument, texts: ChapterTexts | None) -> dict[str, object]:
    intro = (texts or {}).get("introduction", "") if texts else ""
    comments = (texts or {}).get("comments", {}) if texts else {}
    every = tables(doc)
    return {
        "doc": doc,
        "title": title(doc),
        "introduction": markdown.render(intro) if intro and intro.strip() else None,
        "comments": {k: markdown.render(v) for k, v in comments.items() if v and v.strip()},
        "tables": every,
        "figures": figures(doc),
        "table_numbers": {t["id"]: t["number"] for t in every},
        "paragraphs": {c["id"]: [lead_in(p) for p in c["paragraphs"]] for c in doc["chapters"]},
        "numeric": {t["id"]: numeric_columns(t) for t in every},
        "cells": {t["id"]: formatted_rows(t) for t in every},
        # The charts are leather's SVG made by OMK itself (no script, texts escaped).
        "svgs": {f["id"]: Markup(f["svg"]) for f in figures(doc)},  # noqa: S704
        "dates": {
            key: _date(str(doc[key]))
            for key in ("period_start", "period_end", "deadline", "generated_at")
        },
    }


def language(doc: SynthesisDocument) -> str:
    """The language the document was generated in: everything in it, also its headings,
    captions, dates and numbers, is laid out in that language whatever the reader's."""
    return str(doc.get("locale") or "de")


def to_html(
    doc: SynthesisDocument, texts: ChapterTexts | None = None, *, standalone: bool = True
) -> str:
    """The report as HTML: a page of its own with its stylesheet (``standalone``), or the body
    for the app's layout (which then links omk/synthesis/document.css itself). Laid out in
    the document's language (README: a published document keeps its language)."""
    with force_locale(language(doc)):
        context = _context(doc, texts)
        if not standalone:
            return render_template("synthesis/document_body.html", **context)
        css = Markup(stylesheet())  # noqa: S704 - our own stylesheet, no user input
        return render_template("synthesis/document.html", stylesheet=css, **context)


# --- Markdown ---------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    numeric = numeric_columns(table)
    lines = [
        f"**{_('Tabelle')} {table['number']}: {table['title']}**",
        "",
        "| " + " | ".join(_md_escape(c) for c in table["columns"]) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in formatted_rows(table)]
    return [*lines, ""]


def to_markdown(doc: SynthesisDocument, texts: ChapterTexts | None = None) -> str:
    """The report as Markdown: headings, paragraphs, key messages, tables; figures by their
    title and description (their data is the table they name); in the document's language."""
    with force_locale(language(doc)):
        return _markdown(doc, texts)


def _markdown(doc: SynthesisDocument, texts: ChapterTexts | None) -> str:
    numbers = {t["id"]: t["number"] for t in tables(doc)}
    out = [f"# {title(doc)}", "", doc["cycle_title"], ""]
    out += [
        f"- {_('Region')}: {doc['region_name']}" + (f" ({doc['region']})" if doc["region"] else ""),
        f"- {_('Berichtszeitraum')}: {_date(doc['period_start'])} – {_date(doc['period_end'])}",
        f"- {_('Stand des Berichts')}: {_date(doc['generated_at'])}",
        "",
    ]
    if doc["synthetic"]:
        out += [
            "> "
            + _("Die Kennzahlen dieses Berichts sind ganz oder teilweise synthetisch (Demodaten)."),
            "",
        ]
    intro = (texts or {}).get("introduction", "") if texts else ""
    if intro.strip():
        out += [f"## {_('Vorwort')}", "", intro.strip(), ""]
    comments = (texts or {}).get("comments", {}) if texts else {}
    for number, chapter in enumerate(doc["chapters"], start=1):
        out += [f"## {number} {chapter['title']}", ""]
        if chapter["id"] != "summary":
            out += [f"- {m['text']}" for m in chapter["messages"]]
            out += [""] if chapter["messages"] else []
        for para in chapter["paragraphs"]:
            lead, rest = lead_in(para)
            out += [f"**{lead}** {rest}".rstrip() if lead else rest, ""]
        if chapter["id"] == "summary" and chapter["messages"]:
            out += [f"### {_('Kernaussagen')}", ""]
            out += [
                f"- {m['text']} ({_('Tabelle')} {numbers.get(m['table_id'], '')})"
                for m in chapter["messages"]
            ]
            out.append("")
        comment = comments.get(chapter["id"], "")
        if comment.strip():
            out += [f"**{_('Anmerkung der regionalen Stelle')}**", "", comment.strip(), ""]
        for table in chapter["tables"]:
            out += _md_table(table)
            for f in chapter["figures"]:
                if f["table_id"] == table["id"]:
                    out += [
                        f"*{_('Abbildung')} {f['number']}: {f['title']}.* {f['description']}",
                        "",
                    ]
    return "\n".join(out).rstrip() + "\n"


# --- CSV ----------------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> CsvCell:
    if isinstance(value, float):
        return round(value, 4)
    return value


def to_csv_zip(doc: SynthesisDocument) -> bytes:
    """A ZIP with one CSV file per table (UTF-8 with BOM, ``;``, decimal comma: the app's
    CSV writer for German spreadsheets)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables(doc):
            rows = [[_csv_cell(v) for v in row] for row in table["rows"]]
            archive.writestr(table["csv_name"], csv_bytes(list(table["columns"]), rows))
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------------


def to_pdf(doc: SynthesisDocument, texts: ChapterTexts | None = None) -> bytes:
    """The report as a tagged PDF (PDF/UA-1) with page numbers and a table of contents with
    page references; WeasyPrint loads nothing but the app's own fonts."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from omk.services.publication import _static_fetcher

    base_url = current_app.config["BASE_URL"].rstrip("/") + "/"
    static_url = base_url + (current_app.static_url_path or "/static").strip("/") + "/"
    fetcher = _static_fetcher(Path(current_app.static_folder or "static"), static_url)
    font_config = FontConfiguration()
    fonts = CSS(string=_FONTS, base_url=static_url, url_fetcher=fetcher, font_config=font_config)
    html = HTML(string=to_html(doc, texts), base_url=static_url, url_fetcher=fetcher)
    data: bytes = html.write_pdf(
        stylesheets=[fonts], font_config=font_config, pdf_variant="pdf/ua-1"
    )
    return data


def quiet_weasyprint() -> None:
    """Keep WeasyPrint's per-page progress messages out of a command's output."""
    import logging

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


#: The Fira Sans faces of KERN-UX (SIL OFL 1.1), relative to the static folder.
_FONTS = """
@font-face { font-family: "Fira Sans"; font-weight: 400; font-style: normal;
  src: url("kern/fonts/fira-sans/FiraSans-Regular.woff2") format("woff2"); }
@font-face { font-family: "Fira Sans"; font-weight: 400; font-style: italic;
  src: url("kern/fonts/fira-sans/FiraSans-Italic.woff2") format("woff2"); }
@font-face { font-family: "Fira Sans"; font-weight: 600; font-style: normal;
  src: url("kern/fonts/fira-sans/FiraSans-SemiBold.woff2") format("woff2"); }
@font-face { font-family: "Fira Sans"; font-weight: 700; font-style: normal;
  src: url("kern/fonts/fira-sans/FiraSans-SemiBold.woff2") format("woff2"); }
"""
