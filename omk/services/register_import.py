"""Import the Destatis Gemeindeverzeichnis extract (AuszugGV4QAktuell.csv) into the register.

The whole file is parsed and checked before anything is written; a malformed row stops the
import with its line number and reason, and nothing is half-imported. Writing is a diff against
the database in one transaction with bulk statements: new keys are inserted, changed entries
updated, and keys the extract no longer lists are kept but marked as no longer current, so no
report is ever orphaned. A second run of the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from omk.errors import OmkError
from omk.extensions import db
from omk.models.register import KREISFREI_TYPES, Level, Municipality
from omk.models.types import utcnow
from omk.services.transaction import unit_of_work

EXPECTED_COLUMNS = [
    "satzart", "textkennzeichen", "land", "rb", "kreis", "vb", "gemeinde", "gemeindename",
    "flaeche", "bevoelkerung", "maennlich", "weiblich", "jekm2", "postleitzahl", "laengengrad",
    "breitengrad", "schluessel", "bezeichnung", "verstaedterungschluessel",
    "verstaedterungbezeichnung",
]  # fmt: skip

SATZART_LEVEL = {
    "10": Level.LAND,
    "20": Level.REGIERUNGSBEZIRK,
    "30": Level.REGION,
    "40": Level.KREIS,
    "50": Level.GEMEINDEVERBAND,
    "60": Level.GEMEINDE,
}
LEVEL_ORDER = list(SATZART_LEVEL.values())

#: Columns compared to decide whether an existing entry changed.
COMPARED = (
    "level", "name", "type_code", "land_key", "parent_key", "population", "area_km2",
    "urbanisation", "postcode", "lat", "lon", "is_kreisfrei",
)  # fmt: skip


class RegisterImportError(OmkError):
    """A malformed extract: names the line and the reason."""

    status = 422

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"Zeile {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Entry:
    """One parsed row, in the register's terms."""

    key: str
    level: str
    name: str
    type_code: str | None
    land_key: str
    parent_key: str | None
    population: int | None
    area_km2: float | None
    urbanisation: int | None
    postcode: str | None
    lat: float | None
    lon: float | None
    is_kreisfrei: bool = False
    line: int = 0

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "line"}


@dataclass
class ImportResult:
    """What an import did, per level and in total."""

    counts: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    seconds: float = 0.0


# --- parsing ------------------------------------------------------------------------------


def _int(raw: str, line: int, column: str) -> int | None:
    value = raw.replace(" ", "").replace("\u00a0", "")
    if not value:
        return None
    if not value.isdigit():
        raise RegisterImportError(line, f"Spalte {column}: keine ganze Zahl ({raw.strip()!r})")
    return int(value)


def _float(raw: str, line: int, column: str) -> float | None:
    value = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RegisterImportError(line, f"Spalte {column}: keine Zahl ({raw.strip()!r})") from None


def _digits(raw: str, width: int, line: int, column: str, *, lenient: bool = False) -> str:
    value = raw.strip()
    if not value.isdigit() or (len(value) != width and not lenient):
        raise RegisterImportError(
            line, f"Spalte {column}: {width} Ziffern erwartet, gefunden {value!r}"
        )
    return value


def parse(lines: Iterable[str]) -> Iterator[Entry]:
    """Parse the extract's lines (BOM already removed) into entries; raise on a bad row."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise RegisterImportError(1, "die Datei ist leer")
    if [h.strip() for h in header] != EXPECTED_COLUMNS:
        raise RegisterImportError(
            1,
            "unerwartete Kopfzeile; erwartet wird der Destatis-Auszug mit den Spalten "
            + ", ".join(EXPECTED_COLUMNS),
        )
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(EXPECTED_COLUMNS):
            raise RegisterImportError(line, f"{len(row)} Spalten statt {len(EXPECTED_COLUMNS)}")
        yield _entry(dict(zip(EXPECTED_COLUMNS, row, strict=True)), line)


def _entry(r: dict[str, str], line: int) -> Entry:
    satzart = r["satzart"].strip()
    level = SATZART_LEVEL.get(satzart)
    if level is None:
        raise RegisterImportError(line, f"unbekannte Satzart {satzart!r}")
    name = r["gemeindename"].strip()
    if not name:
        raise RegisterImportError(line, "Name fehlt")
    land = _digits(r["land"], 2, line, "land")
    tk = r["textkennzeichen"].strip() or None
    population = area = lat = lon = urbanisation = None
    postcode = None
    parent: str | None
    if level == Level.LAND:
        key, parent = land, None
    elif level == Level.REGIERUNGSBEZIRK:
        key, parent = land + _digits(r["rb"], 1, line, "rb"), land
    elif level == Level.REGION:
        # Baden-Württemberg's planning regions: a one-digit kreis field, on purpose.
        rb = _digits(r["rb"], 1, line, "rb")
        key, parent = land + rb + _digits(r["kreis"], 1, line, "kreis"), land + rb
    else:
        rb = _digits(r["rb"], 1, line, "rb")
        kreis = _digits(r["kreis"], 2, line, "kreis")
        kreis_key = land + rb + kreis
        if level == Level.KREIS:
            key, parent = kreis_key, None  # resolved against the entries read (RB/Region/Land)
        elif level == Level.GEMEINDEVERBAND:
            key, parent = kreis_key + _digits(r["vb"], 4, line, "vb"), kreis_key
        else:
            vb = _digits(r["vb"], 4, line, "vb")
            key, parent = kreis_key + _digits(r["gemeinde"], 3, line, "gemeinde"), kreis_key + vb
            population = _int(r["bevoelkerung"], line, "bevoelkerung")
            if population is None:
                raise RegisterImportError(line, "Gemeinde ohne Einwohnerzahl")
            area = _float(r["flaeche"], line, "flaeche")
            lon = _float(r["laengengrad"], line, "laengengrad")
            lat = _float(r["breitengrad"], line, "breitengrad")
            if lat == 0 and lon == 0:
                lat = lon = None  # uninhabited areas carry 0/0: no position, not a bad row
            elif (lat is not None and not 47 <= lat <= 56) or (
                lon is not None and not 5 <= lon <= 16
            ):
                raise RegisterImportError(line, "Koordinaten liegen nicht in Deutschland")
            urb = r["verstaedterungschluessel"].strip()
            urbanisation = _int(urb, line, "verstaedterungschluessel") if urb else None
            if urbanisation is not None and urbanisation not in (1, 2, 3):
                raise RegisterImportError(line, f"Verstädterungsschlüssel {urb!r} unbekannt")
            postcode = r["postleitzahl"].strip() or None
            if postcode is not None and (len(postcode) != 5 or not postcode.isdigit()):
                raise RegisterImportError(line, f"Postleitzahl {postcode!r} ungültig")
    return Entry(
        key=key,
        level=level.value,
        name=name,
        type_code=tk,
        land_key=land,
        parent_key=parent,
        population=population,
        area_km2=area,
        urbanisation=urbanisation,
        postcode=postcode,
        lat=lat,
        lon=lon,
        line=line,
    )


def read_extract(path: Path, progress: Callable[[int], None] | None = None) -> dict[str, Entry]:
    """Parse and cross-check the whole extract: unique keys, parents, sums, kreisfrei flags."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegisterImportError(0, f"Datei nicht lesbar: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RegisterImportError(line, "kein gültiges UTF-8") from exc
    entries: dict[str, Entry] = {}
    for entry in parse(io.StringIO(text, newline="")):
        if entry.key in entries:
            raise RegisterImportError(
                entry.line,
                f"Schlüssel {entry.key} doppelt (zuerst in Zeile {entries[entry.key].line})",
            )
        entries[entry.key] = entry
        if progress is not None:
            progress(1)
    _resolve_parents(entries)
    _sum_up(entries)
    return entries


def _resolve_parents(entries: dict[str, Entry]) -> None:
    for e in entries.values():
        if e.level == Level.KREIS:
            e.parent_key = _nearest(entries, [e.key[:4], e.key[:3], e.key[:2]])
            e.is_kreisfrei = (e.type_code or "") in KREISFREI_TYPES
        elif e.level == Level.GEMEINDEVERBAND and e.parent_key not in entries:
            # Areas outside any Kreis (the joint German-Luxembourg territory, coastal
            # waters) carry Kreis 00: they hang below the nearest level that exists.
            e.parent_key = _nearest(entries, [e.key[:4], e.key[:3], e.key[:2]])
        if e.parent_key is not None and e.parent_key not in entries:
            raise RegisterImportError(
                e.line, f"übergeordneter Schlüssel {e.parent_key} fehlt für {e.key}"
            )
    for e in entries.values():
        if e.level == Level.GEMEINDE:
            kreis = entries.get(e.key[:5])
            e.is_kreisfrei = kreis is not None and kreis.is_kreisfrei


def _nearest(entries: dict[str, Entry], candidates: list[str]) -> str | None:
    """The first candidate key that exists (Region, Regierungsbezirk, Land)."""
    return next((c for c in candidates if c in entries), None)


def _sum_up(entries: dict[str, Entry]) -> None:
    """Population and area of every higher level: the sum over its Gemeinden."""
    for e in entries.values():
        if e.level != Level.GEMEINDE:
            e.population, e.area_km2 = 0, 0.0
    for e in entries.values():
        if e.level != Level.GEMEINDE:
            continue
        parent = entries.get(e.parent_key or "")
        while parent is not None:
            parent.population = (parent.population or 0) + (e.population or 0)
            parent.area_km2 = (parent.area_km2 or 0.0) + (e.area_km2 or 0.0)
            parent = entries.get(parent.parent_key or "")
    for e in entries.values():
        if e.area_km2 is not None:
            e.area_km2 = round(e.area_km2, 2)


# --- writing ------------------------------------------------------------------------------


def _existing() -> dict[str, tuple[Any, ...]]:
    columns = [getattr(Municipality, c) for c in ("key", "is_current", *COMPARED)]
    rows = db.session.execute(select(*columns)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def import_register(
    path: Path,
    *,
    on_parsed: Callable[[int], None] | None = None,
    on_written: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import the extract at ``path``; idempotent, atomic, and a diff against the database."""
    import time

    started = time.perf_counter()
    entries = read_extract(path, on_parsed)
    result = ImportResult()
    for e in entries.values():
        result.counts[e.level] = result.counts.get(e.level, 0) + 1
    now = utcnow()
    with unit_of_work() as session:
        existing = _existing()
        inserts: dict[str, list[dict[str, Any]]] = {lv.value: [] for lv in LEVEL_ORDER}
        updates: list[dict[str, Any]] = []
        for e in entries.values():
            values = e.values()
            old = existing.get(e.key)
            if old is None:
                inserts[e.level].append({**values, "is_current": True, "updated_at": now})
                continue
            was_current, *old_values = old
            if was_current and tuple(old_values) == tuple(values[c] for c in COMPARED):
                result.unchanged += 1
                continue
            updates.append({**{f"b_{k}": v for k, v in values.items()}, "b_updated_at": now})
        for level in LEVEL_ORDER:  # parents before children (foreign keys)
            batch = inserts[level.value]
            if batch:
                session.execute(insert(Municipality), batch)
                result.inserted += len(batch)
                if on_written:
                    on_written(len(batch))
        if updates:
            stmt = (
                update(Municipality.__table__)  # type: ignore[arg-type]
                .where(Municipality.__table__.c.key == bindparam("b_key"))
                .values(
                    {c: bindparam(f"b_{c}") for c in COMPARED}
                    | {
                        "is_current": True,
                        "retired_at": None,
                        "updated_at": bindparam("b_updated_at"),
                    }
                )
            )
            session.execute(stmt, updates)
            result.updated = len(updates)
            if on_written:
                on_written(len(updates))
        gone = [k for k, old in existing.items() if k not in entries and old[0]]
        if gone:
            table = Municipality.__table__
            session.execute(
                update(table)  # type: ignore[arg-type]
                .where(table.c.key == bindparam("b_key"))
                .values(is_current=False, retired_at=now, updated_at=now),
                [{"b_key": k} for k in gone],
            )
            result.retired = len(gone)
    result.seconds = time.perf_counter() - started
    return result
