"""Reading one cell: text, numbers, months, flags and lists, never a formula."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from omk import numbers
from omk.messages import msg
from omk.workbook.layout import _EXCEL_ERRORS, _FALSE_WORDS, _TRUE_WORDS

# --- reading: the cells ------------------------------------------------------------------------


@dataclass(frozen=True)
class CellValue:
    """A cell as read: its value (a formula's cached result), and what kind of cell it was."""

    value: Any
    is_formula: bool = False
    is_error: bool = False
    number_format: str = "General"

    @property
    def is_blank(self) -> bool:
        v = self.value
        return not self.is_formula and (v is None or (isinstance(v, str) and not v.strip()))


BLANK = CellValue(None)


class CellProblem(Exception):
    """A cell that cannot be read as what its column expects; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _raw(cell: CellValue) -> Any:
    value = cell.value
    if cell.is_formula and value is None:
        raise CellProblem(
            msg(
                "Die Zelle enthält eine Formel ohne gespeichertes Ergebnis; Formeln werden nicht "
                "berechnet. Bitte den Wert selbst eintragen."
            )
        )
    if cell.is_error or (isinstance(value, str) and value.strip() in _EXCEL_ERRORS):
        raise CellProblem(msg("Die Zelle enthält einen Fehlerwert (%(value)s).", value=value))
    return value


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").strip()


def read_text(cell: CellValue) -> str | None:
    """Text of a cell, trimmed; numbers in German notation, dates as ISO dates."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem(msg("Erwartet wird ein Text, nicht WAHR/FALSCH."))
    if isinstance(value, str):
        return _clean(value) or None
    if isinstance(value, int | float):
        return numbers.format_number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return _clean(str(value)) or None


def _unquoted(number_format: str) -> str:
    return re.sub(r'"[^"]*"|\\.', "", number_format or "")


def read_number(cell: CellValue) -> float | None:
    """A number from a number cell, or from text in German or English notation ("1.234,5")."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem(msg("Erwartet wird eine Zahl, nicht WAHR/FALSCH."))
    if isinstance(value, datetime | date | time | timedelta):
        raise CellProblem(
            msg(
                "Die Zelle ist als Datum formatiert; erwartet wird eine Zahl. Bitte das Zellformat "
                "auf „Standard“ oder „Zahl“ stellen."
            )
        )
    if isinstance(value, int | float):
        number = float(value)
        if "%" in _unquoted(cell.number_format):
            # A cell formatted as percent shows 61,5 % for 0.615: the user means 61.5.
            number = round(number * 100, 10)
        return number
    text = _clean(str(value))
    try:
        return numbers.parse_number(text)
    except ValueError:
        raise CellProblem(
            msg(
                "„%(text)s“ ist keine Zahl. Bitte eine Zahl wie 1234 oder 12,5 angeben.",
                text=text[:40],
            )
        ) from None


def read_month(cell: CellValue) -> str | None:
    """``JJJJ`` or ``JJJJ-MM``; a date cell becomes its month, a number like 2019 its year."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, bool):
        raise CellProblem(msg("Bitte als JJJJ oder JJJJ-MM angeben, z. B. 2019-05."))
    if isinstance(value, int | float) and float(value).is_integer() and 1900 <= value <= 2200:
        return str(int(value))
    text = _clean(str(value))
    month, problem = numbers.month(text)
    if problem:
        raise CellProblem(msg("„%(text)s“: %(problem)s", text=text[:40], problem=problem))
    return month


def read_flag(cell: CellValue) -> bool:
    """ "ja"/"x"/WAHR → True, blank/"nein"/FALSCH → False."""
    value = _raw(cell)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _clean(str(value)).casefold()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS or not text:
        return False
    raise CellProblem(
        msg("„%(text)s“: bitte „ja“ eintragen oder die Zelle leer lassen.", text=text[:40])
    )


def split_list(text: str | None) -> list[str]:
    """Items separated by semicolons or line breaks, trimmed, empty ones dropped."""
    if not text:
        return []
    return [item.strip() for item in re.split(r"[;\n]", text) if item.strip()]


def split_urls(text: str | None) -> list[str]:
    """Links separated by line breaks, or by semicolons before the next link."""
    if not text:
        return []
    parts = re.split(r"\s*\n\s*|\s*;\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://|$)|\s+(?=https?://)", text)
    return [part.strip().rstrip(";").strip() for part in parts if part and part.strip(" ;")]


class Lookup:
    """Codes of one list by code or German label, case-insensitively."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.codes: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        for code, label in terms:
            self.codes[code.casefold()] = code
            self.labels.setdefault(_norm(label), code)

    def code(self, text: str) -> str:
        """The code for a code, a label or "code – label" (as the workbook writes
        recommendations); the text itself when unknown (validation names it)."""
        key = text.strip()
        found = self.codes.get(key.casefold()) or self.labels.get(_norm(key))
        if found is None and (m := _CODE_FIRST.match(key)):
            found = self.codes.get(m.group(1).casefold())
        return found or key


_CODE_FIRST = re.compile(r"^(\S+)\s+[–—-]\s+.+$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("*", "")).strip().casefold()
