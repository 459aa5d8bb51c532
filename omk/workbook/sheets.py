"""Reading the data sheets: the indicator values and the practices, row by row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from omk import exchange, numbers
from omk.content import Content, ReportTemplate
from omk.document_types import PracticeDocument, ReportDocument
from omk.messages import msg
from omk.workbook.cells import (
    CellProblem,
    CellValue,
    Lookup,
    _norm,
    read_flag,
    read_month,
    read_number,
    read_text,
    split_list,
    split_urls,
)
from omk.workbook.columns import (
    _CODE_LISTS,
    _TEXT_KINDS,
    FORMER_HEADINGS,
    INDICATOR_HEADINGS,
    Column,
    practice_columns,
)
from omk.workbook.container import Grid, _cell
from omk.workbook.layout import INDICATOR_SHEET, MAX_DATA_ROWS, PRACTICE_SHEET
from omk.workbook.locating import ReadResult, Where, _problem
from omk.workbook.writing import _labels


def _header(
    grid: Grid, expected: Iterable[str], required: Iterable[str]
) -> tuple[int, dict[str, int]] | None:
    """The heading row (searched in the first rows) and each expected heading's column; a
    heading of an earlier workbook (:data:`FORMER_HEADINGS`) counts as the one it became."""
    wanted = {_norm(label): label for label in expected}
    wanted.update({_norm(old): new for old, new in FORMER_HEADINGS.items() if _norm(new) in wanted})
    need = {_norm(label) for label in required}
    for r, row in enumerate(grid[:20], start=1):
        found: dict[str, int] = {}
        for c, cell in enumerate(row, start=1):
            if isinstance(cell.value, str) and _norm(cell.value) in wanted:
                found.setdefault(wanted[_norm(cell.value)], c)
        if need <= {_norm(k) for k in found}:
            return r, found
    return None


def _rekey(path: str, doc: dict[str, Any]) -> str:
    match = re.match(r"^practices\[#(\d+)\](.*)$", path)
    if not match:
        return path
    index = int(match.group(1)) - 1
    practices = doc["practices"]
    if 0 <= index < len(practices):
        return exchange.practice_ref(practices[index], index) + match.group(2)
    return path


def _read_indicators(
    result: ReadResult,
    grid: Grid | None,
    content: Content,
    template: ReportTemplate,
    doc: dict[str, Any],
) -> None:
    if grid is None:
        _problem(result, "indicators", msg("Das Blatt „Kennzahlen“ fehlt."), Where(INDICATOR_SHEET))
        return
    found = _header(grid, INDICATOR_HEADINGS, ("Code", "Wert"))
    if found is None:
        _problem(
            result,
            "indicators",
            msg("Die Überschriften „Code“ und „Wert“ fehlen (sie stehen in Zeile 3 der Vorlage)."),
            Where(INDICATOR_SHEET),
        )
        return
    header, columns = found
    code_col, value_col = columns["Code"], columns["Wert"]
    result.indicator_value_column = ("Wert", value_col)
    codes = set(template.indicator_codes())
    by_label = Lookup((c, content.indicators[c].label) for c in template.indicator_codes())
    for r in range(header + 1, len(grid) + 1):
        code_cell, value_cell = _cell(grid, r, code_col), _cell(grid, r, value_col)
        where = Where(INDICATOR_SHEET, r, "Wert", value_col)
        if code_cell.is_blank:
            if not value_cell.is_blank:
                _problem(
                    result,
                    "indicators",
                    msg("Wert ohne Kennzahl: in dieser Zeile fehlt der Code."),
                    Where(INDICATOR_SHEET, r, "Code", code_col),
                )
            continue
        if r > header + MAX_DATA_ROWS:
            _problem(result, "indicators", msg("Zu viele Zeilen."), Where(INDICATOR_SHEET, r))
            break
        try:
            code = by_label.code(read_text(code_cell) or "")
        except CellProblem as exc:
            _problem(result, "indicators", exc.message, Where(INDICATOR_SHEET, r, "Code", code_col))
            continue
        path = f"indicators.{code}"
        if code not in codes:
            _problem(
                result,
                path,
                msg(
                    "Unbekannte Kennzahl „%(code)s“ (Vorlage %(version)s).",
                    code=code,
                    version=template.version,
                ),
                Where(INDICATOR_SHEET, r, "Code", code_col),
            )
            continue
        if code in result.indicator_rows:
            _problem(
                result,
                path,
                msg(
                    "Die Kennzahl steht doppelt (auch in Zeile %(row)s).",
                    row=result.indicator_rows[code],
                ),
                Where(INDICATOR_SHEET, r, "Code", code_col),
            )
            continue
        result.indicator_rows[code] = r
        try:
            value = read_number(value_cell)
        except CellProblem as exc:
            _problem(result, path, exc.message, where)
            continue
        if value is None:
            continue
        # the form's rules and messages (whole numbers, bounds), cell by cell
        checked, message = numbers.indicator_value(
            numbers.format_number(value), content.indicators[code]
        )
        if message:
            _problem(result, path, message, where)
        else:
            doc["indicators"][code] = checked


def _read_practices(
    result: ReadResult,
    grid: Grid | None,
    content: Content,
    template: ReportTemplate,
    doc: dict[str, Any],
    current: ReportDocument,
) -> list[list[str]]:
    """Fill ``doc["practices"]``; returns each practice's indicator codes (links column).

    ``doc`` is being read from cells (a plain dict, not validated yet); ``current`` is the
    stored draft."""
    links: list[list[str]] = []
    if grid is None:
        _problem(result, "practices", msg("Das Blatt „Maßnahmen“ fehlt."), Where(PRACTICE_SHEET))
        return links
    base = practice_columns(template, 0)
    headings = [c.label for c in base]
    slots = 0
    while True:  # as many actor groups as the sheet has headings for
        names = [f"Akteur {slots + 1}: {part}" for part in ("Name", "Typ", "federführend")]
        if _header(grid, [*headings, *names], names) is None:
            break
        slots += 1
        if slots > 60:
            break
    columns = practice_columns(template, slots)
    found = _header(grid, [c.label for c in columns], headings)
    if found is None:
        title = next((c.label for c in base if c.key == "title"), "ID")
        present = _header(grid, headings, [title]) or _header(grid, headings, ["ID"])
        missing = [h for h in headings if present is None or h not in present[1]]
        where = Where(PRACTICE_SHEET, present[0] if present else None)
        _problem(
            result,
            "practices",
            msg(
                "Es fehlen Spalten: %(columns)s. Bitte Überschriften nicht ändern oder löschen.",
                columns=", ".join(f"„{m}“" for m in missing),
            ),
            where,
        )
        return links
    header, positions = found
    for column in columns:
        result.columns[column.key] = (column.label, positions[column.label])
    lookups = {name: Lookup(_labels(content, name)) for name in (*_CODE_LISTS, "actor_types")}
    indicators = Lookup((c, content.indicators[c].label) for c in template.indicator_codes())
    known_codes = set(template.indicator_codes())
    current_by_id = {str(p.get("id") or "").lower(): p for p in current.get("practices") or []}
    seen_ids: dict[str, int] = {}
    visible = [c for c in columns if c.key != "id"]
    for r in range(header + 1, len(grid) + 1):
        if all(_cell(grid, r, positions[c.label]).is_blank for c in visible):
            continue  # blank rows anywhere (an ID left behind alone counts as blank)
        if r > header + MAX_DATA_ROWS:
            _problem(
                result,
                "practices",
                msg(
                    "Mehr als %(most)s Zeilen werden nicht gelesen.",
                    most=MAX_DATA_ROWS,
                ),
                Where(PRACTICE_SHEET, r),
            )
            break
        index = len(doc["practices"])
        ref = f"practices[#{index + 1}]"
        practice: dict[str, Any] = {}
        row_links: list[str] = []
        slots_used: list[int] = []

        def fail(key: str, path: str, message: str, r: int = r) -> None:
            label, c = result.columns[key]
            _problem(result, path, message, Where(PRACTICE_SHEET, r, label, c))

        for column in columns:
            cell = _cell(grid, r, positions[column.label])
            if column.key.startswith("actor."):
                continue
            path = f"{ref}.{column.key}"
            try:
                _read_field(practice, column, cell, lookups, row_links, indicators)
            except CellProblem as exc:
                if column.key == "links":
                    path = "indicator_practices"
                elif column.key.startswith("adopted."):
                    path = f"{ref}.adopted_from"
                fail(column.key, path, exc.message)
        for code in row_links:
            if code not in known_codes:
                fail(
                    "links",
                    "indicator_practices",
                    msg("Unbekannte Kennzahl „%(code)s“.", code=code),
                )
        row_links = [c for c in row_links if c in known_codes]
        actors: list[dict[str, Any]] = []
        for n in range(1, slots + 1):
            cells = {
                part: _cell(grid, r, positions[f"Akteur {n}: {label}"])
                for part, label in (("name", "Name"), ("type", "Typ"), ("lead", "federführend"))
            }
            if all(c.is_blank for c in cells.values()):
                continue
            actor_path = f"{ref}.actors[{len(actors)}]"
            try:
                name = read_text(cells["name"])
                kind = read_text(cells["type"])
                lead = read_flag(cells["lead"])
            except CellProblem as exc:
                fail(f"actor.{n}.name", actor_path, exc.message)
                continue
            if not name:
                fail(
                    f"actor.{n}.name",
                    actor_path + ".name",
                    msg("Der Name des Akteurs fehlt (Typ oder „federführend“ ist ausgefüllt)."),
                )
                continue
            actors.append(
                {
                    "name": name,
                    "type": lookups["actor_types"].code(kind) if kind else "sonstige",
                    "lead": lead,
                }
            )
            slots_used.append(n)
        practice["actors"] = actors
        leads = [n for n, actor in zip(slots_used, actors, strict=True) if actor["lead"]]
        if len(leads) > 1:
            fail(
                f"actor.{leads[1]}.lead",
                f"{ref}.actors",
                msg("Nur ein Akteur kann federführend sein."),
            )
        pid = str(practice.get("id") or "").lower()
        if pid:
            if pid in seen_ids:
                fail(
                    "id",
                    f"{ref}.id",
                    msg(
                        "Diese ID steht auch in Zeile %(row)s. Für eine neue Maßnahme "
                        "(kopierte Zeile) die ID-Zelle in Spalte A leeren.",
                        row=seen_ids[pid],
                    ),
                )
                practice["id"] = None
            else:
                seen_ids[pid] = r
        old = current_by_id.get(pid) if pid else None
        if old is not None:
            _keep_unchanged(practice, old)
        doc["practices"].append(practice)
        result.practice_rows.append(r)
        result.actor_slots.append(slots_used)
        links.append(row_links)
    return links


def _read_field(
    practice: dict[str, Any],
    column: Column,
    cell: CellValue,
    lookups: dict[str, Lookup],
    row_links: list[str],
    indicators: Lookup,
) -> None:
    key, kind = column.key, column.kind
    if kind == "id":
        text = read_text(cell)
        practice["id"] = text or None
    elif kind == "links":
        row_links.extend(indicators.code(code) for code in split_list(read_text(cell)))
    elif key.startswith("adopted."):
        text = read_text(cell)
        if text:
            practice.setdefault("adopted_from", {})[key.split(".")[1]] = text
    elif kind in _TEXT_KINDS:
        text = read_text(cell)
        if text is not None or key not in ("title", "criterion", "summary", "description"):
            practice[key] = text
    elif kind == "code":
        text = read_text(cell)
        lookup = lookups[column.taxonomy or ""]
        if text:
            practice[key] = lookup.code(text)
        elif key != "criterion":  # a missing criterion is "Pflichtfeld fehlt"
            practice[key] = None
    elif kind == "codes":
        lookup = lookups[column.taxonomy or ""]
        codes = [lookup.code(item) for item in split_list(read_text(cell))]
        practice[key] = list(dict.fromkeys(codes))
    elif kind == "urls":
        practice[key] = split_urls(read_text(cell))
    elif kind == "month":
        practice[key] = read_month(cell)
    elif kind == "number":
        practice[key] = exchange.number(read_number(cell))
    else:  # pragma: no cover - every kind is handled above
        practice[key] = read_text(cell)


def _canon_text(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _keep_unchanged(practice: dict[str, Any], old: PracticeDocument) -> None:
    """Keep the draft's value where the cell differs only in whitespace or line endings, and
    the draft's extra fields (the workbook has no column for them)."""
    for key, value in list(practice.items()):
        before = old.get(key)
        if not (isinstance(value, str) and isinstance(before, str)):
            continue
        if _canon_text(value) == _canon_text(before):
            practice[key] = before
    for key, value in old.items():
        if key not in exchange.PRACTICE_FIELDS and key not in practice:
            practice[key] = value


def _links(
    doc: dict[str, Any],
    links: list[list[str]],
    current: ReportDocument,
    template: ReportTemplate,
) -> dict[str, list[str]]:
    """``indicator_practices`` from each practice row's codes, in the draft's order where the
    draft had the link already (so an unchanged workbook changes nothing), new links after."""
    wanted: dict[str, list[str]] = {}
    for practice, codes in zip(doc["practices"], links, strict=True):
        pid = str(practice.get("id") or "")
        for code in codes:
            if pid and pid not in wanted.setdefault(code, []):
                wanted[code].append(pid)
    before = current.get("indicator_practices") or {}
    result: dict[str, list[str]] = {}
    for code in template.indicator_codes():
        refs = wanted.get(code) or []
        if not refs:
            continue
        kept = [r for r in before.get(code) or [] if r in refs]
        result[code] = kept + [r for r in refs if r not in kept]
    return result
