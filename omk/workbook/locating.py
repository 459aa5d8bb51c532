"""Where things are: the sheet, row and column behind a document path, and the result of
reading a workbook with every problem found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omk.errors import FieldError
from omk.messages import Message, msg
from omk.workbook.layout import INDICATOR_SHEET, PRACTICE_SHEET, SHEET_ORDER

# --- reading: where things are ----------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A place in the workbook: a sheet, optionally a row and a column heading."""

    sheet: str
    row: int | None = None
    column: str | None = None
    column_index: int = 0

    def __str__(self) -> str:
        return str(self.text())

    def text(self) -> Message:
        """The place as a message: "Blatt Maßnahmen, Zeile 5, Spalte Titel"."""
        text = msg("Blatt %(sheet)s", sheet=self.sheet) if self.sheet != "workbook" else None
        place = text or msg("Arbeitsmappe")
        if self.row is not None:
            place = msg("%(place)s, Zeile %(row)s", place=place, row=self.row)
        if self.column:
            place = msg("%(place)s, Spalte %(column)s", place=place, column=self.column)
        return place

    def sort_key(self) -> tuple[int, int, int]:
        sheet = SHEET_ORDER.index(self.sheet) if self.sheet in SHEET_ORDER else -1
        return (sheet, self.row or 0, self.column_index)


WORKBOOK = Where("workbook")


@dataclass
class Located:
    """An error found in the workbook, kept with where it was found."""

    error: FieldError
    where: Where


_PRACTICE_PATH = re.compile(r"^practices\[(?P<ref>[^\]]+)\](?P<rest>.*)$")
_ACTOR_PATH = re.compile(r"^\.actors\[(?P<n>\d+)\](?:\.(?P<part>name|type|lead))?")


@dataclass
class ReadResult:
    """What a workbook said: the document (None when the workbook is not one of ours or
    unreadable), every problem found while reading, and a map from document paths back to
    sheet, row and column."""

    document: dict[str, Any] | None
    problems: list[Located] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    indicator_rows: dict[str, int] = field(default_factory=dict)
    practice_rows: list[int] = field(default_factory=list)
    practice_ids: dict[str, int] = field(default_factory=dict)
    actor_slots: list[list[int]] = field(default_factory=list)
    columns: dict[str, tuple[str, int]] = field(default_factory=dict)
    indicator_value_column: tuple[str, int] = ("Wert", 4)

    def where(self, path: str) -> Where | None:
        """Where a document path came from, or None if it is not in the workbook."""
        if path.startswith("indicators."):
            row = self.indicator_rows.get(path[len("indicators.") :])
            label, column = self.indicator_value_column
            return Where(INDICATOR_SHEET, row, label if row else None, column)
        if path.startswith("indicator_practices."):
            label, column = self.columns.get("links", ("Erläutert Kennzahlen", 0))
            return Where(PRACTICE_SHEET, None, label, column)
        if path == "practices":
            return Where(PRACTICE_SHEET)
        match = _PRACTICE_PATH.match(path)
        if not match:
            return None
        ref, rest = match.group("ref"), match.group("rest")
        if ref.startswith("#") and ref[1:].isdigit():
            index: int | None = int(ref[1:]) - 1
        else:
            index = self.practice_ids.get(ref.lower())
        if index is None or not 0 <= index < len(self.practice_rows):
            return Where(PRACTICE_SHEET)
        row = self.practice_rows[index]
        key = self._column_key(index, rest)
        if key is None or key not in self.columns:
            return Where(PRACTICE_SHEET, row)
        label, column_index = self.columns[key]
        return Where(PRACTICE_SHEET, row, label, column_index)

    def _column_key(self, index: int, rest: str) -> str | None:
        if not rest:
            return None
        actor = _ACTOR_PATH.match(rest)
        if actor:
            n = int(actor.group("n"))
            slots = self.actor_slots[index] if index < len(self.actor_slots) else []
            slot = slots[n] if n < len(slots) else n + 1
            return f"actor.{slot}.{actor.group('part') or 'name'}"
        name = re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0]
        if name == "actors":
            return "actor.1.name"
        if name == "adopted_from":
            sub = rest.lstrip(".").split(".")
            return f"adopted.{sub[1]}" if len(sub) > 1 else "adopted.practice"
        return name

    def locate(self, errors: Iterable[FieldError]) -> list[FieldError]:
        """Validation errors of the document with their place in the workbook, together with
        the problems found while reading (a field with a reading problem is named once),
        in sheet, row and column order."""
        read_paths = {p.error.field for p in self.problems}
        items = list(self.problems)
        for error in errors:
            if error.field in read_paths:
                continue
            where = self.where(error.field) or WORKBOOK
            items.append(Located(FieldError(error.field, error.message, where.text()), where))
        items.sort(key=lambda item: item.where.sort_key())
        return [item.error for item in items]


def _problem(result: ReadResult, path: str, message: str, where: Where) -> None:
    result.problems.append(Located(FieldError(path, message, where.text()), where))
