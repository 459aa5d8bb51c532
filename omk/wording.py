"""Words for codes, where people read and type them: code lists as German labels
("Partizipation; Netzwerke" rather than "partizipation; netzwerke") and back, accepting
codes, German and English labels alike; titles in German quotation marks, nested ones
single.

A core module (no Flask, no database): the workbook service writes and reads code lists
through :func:`codes_to_text` and :func:`text_to_codes`; pages use :func:`quoted`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from omk.content import Content, Taxonomy, Term

#: Separates the items of a code list in one cell or field.
SEPARATOR = "; "
_SPLIT = re.compile(r"[;\n]")
#: "C2 – Sprachförderung" (a code, a dash, its label), as the report form shows
#: recommendations; also with "-" or "—".
_CODE_FIRST = re.compile(r"^(\S+)\s+[–—-]\s+.+$")


#: Quotation marks a title may open with; such a title is shown as it is (see :func:`quoted`).
_OPENING_QUOTES = ("„", '"', "“", "»")


def quoted(text: str, locale: str = "de") -> str:
    """``text`` in German quotation marks (English ones for ``locale="en"``), the one place
    titles are quoted in sentences; quotation marks inside become single ones: Sprachcafé
    „Neue Nachbarn“ → „Sprachcafé ‚Neue Nachbarn‘“. A text that opens with its own quotation
    mark („Neue Nachbarn“: Sprachcafé) is left as it is rather than wrapped a second time."""
    text = text.strip()
    if text.startswith(_OPENING_QUOTES):
        return text
    if locale.startswith("en"):
        inner = text.replace("„", "‘").replace("“", "’").replace("”", "’").replace('"', "'")
        return f"“{inner}”"
    inner = text.replace("„", "‚").replace("“", "‘").replace("”", "‘").replace('"', "'")
    return f"„{inner}“"


def term_text(taxonomy: Taxonomy, list_name: str, code: str, locale: str = "de") -> str:
    """How one code of a list is written for people: its label; a recommendation with its
    code first ("C2 – Sprachförderung …", as the report form lists them); an unknown code
    as it is."""
    label = taxonomy.label(list_name, code, locale)
    if label == code:
        return code
    return f"{code} – {label}" if list_name == "recommendations" else label


def codes_to_text(
    taxonomy: Taxonomy, list_name: str, codes: Iterable[str], locale: str = "de"
) -> str:
    """A list of codes as people read it: "Partizipation; Netzwerke". :func:`text_to_codes`
    reads it back."""
    return SEPARATOR.join(term_text(taxonomy, list_name, c, locale) for c in codes)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip().casefold()


def code_of(taxonomy: Taxonomy, list_name: str, text: str) -> str:
    """The code one item stands for: a code, a German or English label, or "code – label"
    (case and spacing ignored); the trimmed text itself when it is none of these, so
    validation can name it."""
    item = text.strip()
    terms: list[Term] = getattr(taxonomy, list_name)
    by_code = {t.code.casefold(): t.code for t in terms}
    if item.casefold() in by_code:
        return by_code[item.casefold()]
    wanted = _norm(item)
    for t in terms:
        if wanted in (_norm(t.label), _norm(t.label_en or t.label)):
            return str(t.code)
    m = _CODE_FIRST.match(item)
    if m and m.group(1).casefold() in by_code:
        return by_code[m.group(1).casefold()]
    return item


def text_to_codes(taxonomy: Taxonomy, list_name: str, text: str | None) -> list[str]:
    """The codes a cell or field lists, separated by semicolons or line breaks; each item
    a code, a label or "code – label" (see :func:`code_of`). Duplicates are dropped."""
    if not text:
        return []
    result: list[str] = []
    for item in _SPLIT.split(text):
        if item.strip():
            code = code_of(taxonomy, list_name, item)
            if code not in result:
                result.append(code)
    return result


def example(taxonomy: Taxonomy, list_name: str, count: int = 2) -> str:
    """An example of a list as people type it, for a help text: "Alle; Familien"."""
    return codes_to_text(taxonomy, list_name, taxonomy.codes(list_name)[:count])


def indicators_to_text(content: Content, codes: Iterable[str]) -> str:
    """Indicator codes as their labels ("Neu zugewiesene Personen …; Aktive Patenschaften");
    an unknown code as it is. The workbook reads labels back through its indicator lookup."""
    return SEPARATOR.join(
        content.indicators[c].label if c in content.indicators else c for c in codes
    )
