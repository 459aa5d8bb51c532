"""Edits of an ``omk-report/1`` document as pure functions: add, update, move and remove a
practice, replace the indicators.

Each function takes a document and returns a new one (the argument is never changed); it
neither validates nor stores. The reports service reads the working copy, applies one of
these and saves the result through the one write path (``reports.save_document``), which
validates the whole document.

Documents here are ``ReportDocument``s (stored, hence valid); practices passed in come from a
form or an earlier report and have the format's shape. Unknown keys ride along in the deep
copies (see omk.document_types).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Literal

from omk.document_types import PracticeDocument, ReportDocument

#: An ``omk-report/1`` document (the name the edits have always used).
Document = ReportDocument
Direction = Literal["up", "down"]


class PracticeNotFound(LookupError):
    """The document has no practice with this id."""


def practice_ids(doc: ReportDocument) -> list[str | None]:
    """The ids of the document's practices, in order."""
    return [p["id"] for p in doc.get("practices") or []]


def find_practice(doc: ReportDocument, practice_id: str | None) -> PracticeDocument | None:
    """The practice with this id, or None."""
    return next((p for p in doc.get("practices") or [] if p.get("id") == practice_id), None)


def explained_by(doc: ReportDocument, practice_id: str) -> list[str]:
    """The indicators the practice is named to explain (``indicator_practices``)."""
    links = doc.get("indicator_practices") or {}
    return [code for code, refs in links.items() if practice_id in refs]


def _relink(
    doc: Document,
    practice_id: str | None,
    explains: Iterable[str],
    indicator_codes: Iterable[str],
) -> None:
    """Name the practice under exactly the indicators in ``explains`` (in place), keeping
    the other practices' links; only indicators of the template keep links."""
    wanted = set(explains)
    links = doc.get("indicator_practices") or {}
    result: dict[str, list[str]] = {}
    for code in indicator_codes:
        refs = [r for r in links.get(code, []) if r != practice_id]
        if code in wanted and practice_id is not None:  # an id-less practice has no links
            refs.append(practice_id)
        if refs:
            result[code] = refs
    doc["indicator_practices"] = result


def add_practice(
    doc: ReportDocument,
    practice: PracticeDocument,
    *,
    explains: Iterable[str] = (),
    indicator_codes: Iterable[str] = (),
) -> Document:
    """The document with ``practice`` appended, explaining the indicators in ``explains``."""
    new = copy.deepcopy(doc)
    new.setdefault("practices", []).append(copy.deepcopy(practice))
    _relink(new, practice["id"], explains, indicator_codes)
    return new


def update_practice(
    doc: ReportDocument,
    practice: PracticeDocument,
    *,
    explains: Iterable[str] = (),
    indicator_codes: Iterable[str] = (),
) -> Document:
    """The document with the practice of the same id replaced in place (its position kept),
    explaining the indicators in ``explains``; PracticeNotFound if there is none."""
    pid = practice["id"]
    if find_practice(doc, pid) is None:
        raise PracticeNotFound(pid)
    new = copy.deepcopy(doc)
    replacement = copy.deepcopy(practice)
    new["practices"] = [replacement if p["id"] == pid else p for p in new["practices"]]
    _relink(new, pid, explains, indicator_codes)
    return new


def remove_practice(doc: ReportDocument, practice_id: str) -> Document:
    """The document without the practice and without links to it; PracticeNotFound if
    there is none."""
    if find_practice(doc, practice_id) is None:
        raise PracticeNotFound(practice_id)
    new = copy.deepcopy(doc)
    new["practices"] = [p for p in new["practices"] if p["id"] != practice_id]
    new["indicator_practices"] = {
        code: [r for r in refs if r != practice_id]
        for code, refs in (new.get("indicator_practices") or {}).items()
    }
    return new


def move_practice(doc: ReportDocument, practice_id: str, direction: Direction) -> Document:
    """The document with the practice moved one place up or down (unchanged at either end);
    PracticeNotFound if there is none."""
    ids = practice_ids(doc)
    if practice_id not in ids:
        raise PracticeNotFound(practice_id)
    new = copy.deepcopy(doc)
    i = ids.index(practice_id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        practices = new["practices"]
        practices[i], practices[j] = practices[j], practices[i]
    return new


def set_indicators(
    doc: ReportDocument,
    values: Mapping[str, float | int],
    links: Mapping[str, Iterable[str]],
) -> Document:
    """The document with its indicators and their explaining practices replaced; links to
    practices the document does not have are dropped, and so are empty ones."""
    new = copy.deepcopy(doc)
    known = set(practice_ids(doc))
    new["indicators"] = dict(values)
    new["indicator_practices"] = {
        code: kept for code, refs in links.items() if (kept := [r for r in refs if r in known])
    }
    return new


def continue_practices(
    doc: ReportDocument, source: ReportDocument, wanted: Iterable[str]
) -> tuple[Document, int]:
    """The document with the ``wanted`` practices of ``source`` (an earlier report) appended,
    ids kept (their lineage), unless already present; and how many were added."""
    present = set(practice_ids(doc))
    ids = {i.lower() for i in wanted}
    added = [copy.deepcopy(p) for p in source.get("practices") or [] if p["id"] in ids - present]
    new = copy.deepcopy(doc)
    new.setdefault("practices", []).extend(added)
    return new, len(added)
