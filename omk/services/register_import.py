"""Import the Destatis Gemeindeverzeichnis extract (AuszugGV4QAktuell.csv) into the register.

The whole file is parsed and checked before anything is written; a malformed row stops the
import with its line number and reason, and nothing is half-imported. Writing is a diff against
the database in one transaction with bulk statements: new keys are inserted, changed entries
updated, and keys the extract no longer lists are kept but marked as no longer current, so no
report is ever orphaned. A second run of the same file changes nothing.

Bulk writing depends on the database: SQLite gets ``executemany``; PostgreSQL gets ``COPY``
for new rows and a staging table joined by one ``UPDATE … FROM`` for changed rows (see
:class:`_PostgresWriter`). Both run inside the same unit of work, so either everything is
written or nothing.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Insert,
    MetaData,
    Table,
    Update,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from omk.chunks import chunks
from omk.errors import OmkError
from omk.models.register import (
    KREISFREI_TYPES,
    Level,
    Municipality,
    RegisterImport,
    search_name_of,
)
from omk.models.types import utcnow
from omk.services import outbox
from omk.services.transaction import unit_of_work

EXPECTED_COLUMNS = [
    "satzart", "textkennzeichen", "land", "rb", "kreis", "vb", "gemeinde", "gemeindename",
    "flaeche", "bevoelkerung", "maennlich", "weiblich", "jekm2", "postleitzahl", "laengengrad",
    "breitengrad", "schluessel", "bezeichnung", "verstaedterungschluessel",
    "verstaedterungbezeichnung",
]  # fmt: skip
_COL = {name: i for i, name in enumerate(EXPECTED_COLUMNS)}

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

#: Every column the import writes, in this order (COPY and the staging table use it).
WRITTEN = ("key", *COMPARED, "search_name", "is_current", "retired_at", "updated_at")

#: Rows per statement (and per progress step) where the database takes them in batches.
BATCH = 2000


class RegisterImportError(OmkError):
    """A malformed extract: names the line and the reason."""

    status = 422

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"Zeile {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


class Progress(Protocol):
    """Receives the import's progress: each phase with its total, then steps within it."""

    def start(self, phase: str, total: int) -> None:
        """A phase begins ("lesen", "schreiben") with ``total`` steps."""

    def advance(self, steps: int) -> None:
        """``steps`` more steps of the current phase are done."""


@dataclass(slots=True)
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

    def compared(self) -> tuple[Any, ...]:
        """The values of :data:`COMPARED`, in that order."""
        return (
            self.level, self.name, self.type_code, self.land_key, self.parent_key,
            self.population, self.area_km2, self.urbanisation, self.postcode, self.lat,
            self.lon, self.is_kreisfrei,
        )  # fmt: skip

    def row(self, now: Any) -> tuple[Any, ...]:
        """The values of :data:`WRITTEN` for a current entry changed at ``now`` (a datetime,
        or the driver's form of it)."""
        return (self.key, *self.compared(), search_name_of(self.name), True, None, now)

    def values(self) -> dict[str, Any]:
        """The entry as column values (key and :data:`COMPARED`)."""
        return dict(zip(("key", *COMPARED), (self.key, *self.compared()), strict=True))


@dataclass
class ImportResult:
    """What an import did, per level and in total."""

    counts: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    outbox: int = 0  # municipalities whose shown data changed (outbox entries written)
    seconds: float = 0.0
    #: The extract's Gebietsstand as recorded (None: unknown).
    reference_date: date | None = None


# --- parsing ------------------------------------------------------------------------------


def _int(raw: str, line: int, column: str) -> int | None:
    value = raw.replace(" ", "").replace("\u00a0", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise RegisterImportError(line, f"Spalte {column}: keine ganze Zahl ({raw.strip()!r})")
    return int(value)


def _float(raw: str, line: int, column: str) -> float | None:
    value = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise RegisterImportError(line, f"Spalte {column}: keine Zahl ({raw.strip()!r})")
    return number


def _digits(raw: str, width: int, line: int, column: str) -> str:
    value = raw.strip()
    if len(value) != width or not (value.isascii() and value.isdigit()):
        raise RegisterImportError(
            line, f"Spalte {column}: {width} Ziffern erwartet, gefunden {value!r}"
        )
    return value


def parse(lines: Iterable[str]) -> Iterator[Entry]:
    """Parse the extract's lines (BOM already removed) into entries; raise on a bad row."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise RegisterImportError(1, f"kein gültiges CSV ({exc})") from None
    if header is None:
        raise RegisterImportError(1, "die Datei ist leer")
    if [h.strip() for h in header] != EXPECTED_COLUMNS:
        raise RegisterImportError(
            1,
            "unerwartete Kopfzeile; erwartet wird der Destatis-Auszug mit den Spalten "
            + ", ".join(EXPECTED_COLUMNS),
        )
    width = len(EXPECTED_COLUMNS)
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise RegisterImportError(reader.line_num, f"kein gültiges CSV ({exc})") from None
        if row is None:
            return
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != width:
            raise RegisterImportError(line, f"{len(row)} Spalten statt {width}")
        yield _entry(row, line)


def _entry(r: list[str], line: int) -> Entry:
    satzart = r[0].strip()
    level = SATZART_LEVEL.get(satzart)
    if level is None:
        raise RegisterImportError(line, f"unbekannte Satzart {satzart!r}")
    name = r[_COL["gemeindename"]].strip()
    if not name:
        raise RegisterImportError(line, "Name fehlt")
    land = _digits(r[2], 2, line, "land")
    tk = r[1].strip() or None
    if tk is not None and not (len(tk) == 2 and tk.isascii() and tk.isdigit()):
        raise RegisterImportError(line, f"Spalte textkennzeichen: ungültig ({tk!r})")
    population = urbanisation = None
    area = lat = lon = None
    postcode = None
    parent: str | None
    if level == Level.LAND:
        key, parent = land, None
    elif level == Level.REGIERUNGSBEZIRK:
        key, parent = land + _digits(r[3], 1, line, "rb"), land
    elif level == Level.REGION:
        # Baden-Württemberg's planning regions: a one-digit kreis field, on purpose.
        rb = _digits(r[3], 1, line, "rb")
        key, parent = land + rb + _digits(r[4], 1, line, "kreis"), land + rb
    else:
        kreis_key = land + _digits(r[3], 1, line, "rb") + _digits(r[4], 2, line, "kreis")
        if level == Level.KREIS:
            key, parent = kreis_key, None  # resolved against the entries read (RB/Region/Land)
        elif level == Level.GEMEINDEVERBAND:
            key, parent = kreis_key + _digits(r[5], 4, line, "vb"), kreis_key
        else:
            vb = _digits(r[5], 4, line, "vb")
            key, parent = kreis_key + _digits(r[6], 3, line, "gemeinde"), kreis_key + vb
            population = _int(r[_COL["bevoelkerung"]], line, "bevoelkerung")
            if population is None:
                raise RegisterImportError(line, "Gemeinde ohne Einwohnerzahl")
            area = _float(r[_COL["flaeche"]], line, "flaeche")
            if area is not None and area < 0:
                raise RegisterImportError(line, f"Spalte flaeche: negative Fläche ({area})")
            lon = _float(r[_COL["laengengrad"]], line, "laengengrad")
            lat = _float(r[_COL["breitengrad"]], line, "breitengrad")
            if lat == 0 and lon == 0:
                lat = lon = None  # uninhabited areas carry 0/0: no position, not a bad row
            elif (lat is not None and not 47 <= lat <= 56) or (
                lon is not None and not 5 <= lon <= 16
            ):
                raise RegisterImportError(line, "Koordinaten liegen nicht in Deutschland")
            urb = r[_COL["verstaedterungschluessel"]].strip()
            urbanisation = _int(urb, line, "verstaedterungschluessel") if urb else None
            if urbanisation is not None and urbanisation not in (1, 2, 3):
                raise RegisterImportError(line, f"Verstädterungsschlüssel {urb!r} unbekannt")
            postcode = r[_COL["postleitzahl"]].strip() or None
            if postcode is not None and (
                len(postcode) != 5 or not (postcode.isascii() and postcode.isdigit())
            ):
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


def read_extract(path: Path, progress: Progress | None = None) -> dict[str, Entry]:
    """Parse and cross-check the whole extract: unique keys, parents, sums, kreisfrei flags."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegisterImportError(0, f"Datei nicht lesbar: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RegisterImportError(
            line, "kein gültiges UTF-8 (die Datei muss UTF-8-kodiert sein)"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise RegisterImportError(line, "kein gültiges CSV (NUL-Zeichen, keine Textdatei?)")
    # Data lines (without the header): the length of the reading phase.
    total = max(0, text.count("\n") + (0 if text.endswith("\n") else 1) - 1)
    if progress is not None:
        progress.start("lesen", total)
    entries: dict[str, Entry] = {}
    reported = 0
    for entry in parse(io.StringIO(text, newline="")):
        first = entries.setdefault(entry.key, entry)
        if first is not entry:
            raise RegisterImportError(
                entry.line, f"Schlüssel {entry.key} doppelt (zuerst in Zeile {first.line})"
            )
        if progress is not None and len(entries) - reported == BATCH:
            progress.advance(BATCH)
            reported += BATCH
    _resolve_parents(entries)
    _sum_up(entries)
    if progress is not None and total > reported:
        progress.advance(total - reported)  # the rest, blank lines included
    return entries


def _resolve_parents(entries: dict[str, Entry]) -> None:
    for e in entries.values():
        if e.level == Level.KREIS:
            e.parent_key = _nearest(entries, [e.key[:4], e.key[:3], e.key[:2]])
            e.is_kreisfrei = (e.type_code or "") in KREISFREI_TYPES
        elif e.level == Level.GEMEINDEVERBAND and e.parent_key not in entries:
            if e.key[3:5] != "00":
                raise RegisterImportError(e.line, f"Kreis {e.parent_key} fehlt für {e.key}")
            # Areas outside any Kreis (the joint German-Luxembourg territory, coastal
            # waters) carry Kreis 00: they hang below the nearest level that exists.
            e.parent_key = _nearest(entries, [e.key[:4], e.key[:3], e.key[:2]])
        if e.parent_key is None and e.level != Level.LAND:
            raise RegisterImportError(e.line, f"Land {e.land_key} fehlt für {e.key}")
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
    gemeinden = [e for e in entries.values() if e.level == Level.GEMEINDE]
    for e in entries.values():
        if e.level != Level.GEMEINDE:
            e.population, e.area_km2 = 0, 0.0
    for e in gemeinden:
        parent = entries.get(e.parent_key or "")
        while parent is not None:
            parent.population = (parent.population or 0) + (e.population or 0)
            parent.area_km2 = (parent.area_km2 or 0.0) + (e.area_km2 or 0.0)
            parent = entries.get(parent.parent_key or "")
    for e in entries.values():
        if e.area_km2 is not None:
            e.area_km2 = round(e.area_km2, 2)


# --- writing ------------------------------------------------------------------------------


def _table() -> Table:
    return Municipality.__table__  # type: ignore[return-value]  # typed FromClause; a mapped Table


def _existing(session: Session) -> dict[str, tuple[Any, ...]]:
    """Every key in the database with (is_current, *COMPARED)."""
    table = _table()
    columns = [table.c[c] for c in ("key", "is_current", *COMPARED)]
    rows = session.execute(select(*columns)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


class _Writer:
    """Writes a diff with ``executemany`` in batches; used for SQLite (and any other database).

    Statements are compiled once by SQLAlchemy and the rows handed to the driver as tuples:
    the only value that needs converting, the timestamp, is converted once by its column
    type. Per-row parameter processing would otherwise cost more than the database work.
    """

    def __init__(self, session: Session, progress: Progress | None) -> None:
        self.session = session
        self.progress = progress

    def _advance(self, steps: int) -> None:
        if self.progress is not None and steps:
            self.progress.advance(steps)

    def lock(self) -> None:
        """Keep a concurrent import out until this one commits (SQLite: BEGIN IMMEDIATE)."""

    def _executemany(self, stmt: Insert | Update, entries: Sequence[Entry], now: datetime) -> None:
        """Run ``stmt`` (bound parameters named after :data:`WRITTEN`) for every entry."""
        connection = self.session.connection()
        compiled = stmt.compile(dialect=connection.dialect)
        names = compiled.positiontup
        if names is None:  # a driver with named parameters: let SQLAlchemy bind them
            for chunk in chunks(entries, BATCH):
                rows = [dict(zip(WRITTEN, e.row(now), strict=True)) for e in chunk]
                self.session.execute(stmt, rows)
                self._advance(len(chunk))
            return
        dialect = connection.dialect
        processor = _table().c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        stamp = processor(now) if processor is not None else now
        order = [WRITTEN.index(name) for name in names]
        sql = str(compiled)
        for chunk in chunks(entries, BATCH):
            values = [e.row(stamp) for e in chunk]
            connection.exec_driver_sql(sql, [tuple(v[i] for i in order) for v in values])
            self._advance(len(chunk))

    def insert(self, entries: list[Entry], now: datetime) -> None:
        """Insert new entries, parents before children (for immediate foreign keys)."""
        ordered = sorted(entries, key=lambda e: LEVEL_ORDER.index(Level(e.level)))
        stmt = insert(_table()).values({c: bindparam(c) for c in WRITTEN})
        self._executemany(stmt, ordered, now)

    def update(self, entries: list[Entry], now: datetime) -> None:
        """Overwrite changed (or returning) entries and make them current again."""
        table = _table()
        stmt = (
            update(table)
            .where(table.c.key == bindparam("key"))
            .values({c: bindparam(c) for c in WRITTEN if c != "key"})
        )
        self._executemany(stmt, entries, now)

    def retire(self, keys: list[str], now: datetime) -> None:
        """Mark keys the extract no longer lists as no longer current."""
        table = _table()
        for chunk in chunks(keys, 500):
            self.session.execute(
                update(table)
                .where(table.c.key.in_(chunk))
                .values(is_current=False, retired_at=now, updated_at=now)
            )
            self._advance(len(chunk))


class _PostgresWriter(_Writer):
    """PostgreSQL: ``COPY`` new rows in; ``COPY`` changed rows into a temporary staging
    table and apply them with one ``UPDATE … FROM``. Same transaction as the session."""

    STAGING = "municipality_import"

    def lock(self) -> None:
        # Conflicts with other writers of the table, not with readers or foreign-key checks.
        from psycopg import sql

        with self._cursor() as cursor:
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                    sql.Identifier(_table().name)
                )
            )

    def _cursor(self) -> Any:
        connection = self.session.connection().connection.driver_connection
        assert connection is not None, "no driver connection"
        return connection.cursor()

    def _copy(self, cursor: Any, table: str, entries: list[Entry], now: datetime) -> None:
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, WRITTEN))
        )
        with cursor.copy(statement) as copy:
            for chunk in chunks(entries, BATCH):
                for e in chunk:
                    copy.write_row(e.row(now))
                self._advance(len(chunk))

    def insert(self, entries: list[Entry], now: datetime) -> None:
        # Foreign keys are checked at the end of the statement: any order of rows will do.
        with self._cursor() as cursor:
            self._copy(cursor, _table().name, entries, now)

    def update(self, entries: list[Entry], now: datetime) -> None:
        from psycopg import sql

        table = _table()
        with self._cursor() as cursor:
            cursor.execute(
                sql.SQL(
                    "CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
                ).format(sql.Identifier(self.STAGING), sql.Identifier(table.name))
            )
            self._copy(cursor, self.STAGING, entries, now)
        staging = Table(self.STAGING, MetaData(), *(Column(c.name, c.type) for c in table.c))
        self.session.execute(
            update(table)
            .values({c: staging.c[c] for c in WRITTEN if c != "key"})
            .where(table.c.key == staging.c.key)
        )
        with self._cursor() as cursor:
            cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(self.STAGING)))


_SHOWN = tuple(1 + COMPARED.index(name) for name in ("name", "population", "urbanisation"))


def _shown(old: tuple[Any, ...]) -> tuple[Any, ...]:
    """(is_current, name, population, urbanisation) of a row of :func:`_existing`."""
    return (old[0], *(old[i] for i in _SHOWN))


def _shown_entry(e: Entry) -> tuple[Any, ...]:
    return (True, e.name, e.population, e.urbanisation)


_STAND = re.compile(r"Gebietsstand:?\s+(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})")


def parse_reference_date(text: str) -> date:
    """A Gebietsstand given as ``31.12.2020`` or ``2020-12-31``; ValueError otherwise."""
    text = text.strip()
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if german:
        day, month, year = (int(g) for g in german.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def reference_date_beside(path: Path) -> date | None:
    """The Gebietsstand the README.md next to an extract names (Destatis CSV extracts carry
    no date of their own; content/register/README.md says "Gebietsstand 31.12.2020").

    None when there is no README, it names no Gebietsstand, or it names more than one.
    """
    try:
        text = (path.parent / "README.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = set()
    for day, month, year in _STAND.findall(text):
        try:
            found.add(date(int(year), int(month), int(day)))
        except ValueError:
            return None
    return found.pop() if len(found) == 1 else None


def import_register(
    path: Path,
    *,
    reference_date: date | None = None,
    require_reference_date: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the extract at ``path``; idempotent, atomic, and a diff against the database.

    ``reference_date`` is the extract's Gebietsstand; without it the README.md beside the file
    is asked (:func:`reference_date_beside`). Each run is recorded as a
    :class:`~omk.models.register.RegisterImport` in the same transaction.
    ``require_reference_date`` refuses a file whose Gebietsstand nobody names (the CLI).
    """
    started = time.perf_counter()
    entries = read_extract(path, progress)
    stand = reference_date or reference_date_beside(path)
    if stand is None and require_reference_date:
        raise RegisterImportError(
            0,
            "Gebietsstand unbekannt: bitte mit --stand TT.MM.JJJJ angeben "
            "(oder in einer README.md neben der Datei als „Gebietsstand TT.MM.JJJJ“).",
        )
    result = ImportResult(reference_date=stand)
    for e in entries.values():
        result.counts[e.level] = result.counts.get(e.level, 0) + 1
    now = utcnow()
    with unit_of_work() as session:
        writer_class = (
            _PostgresWriter if session.get_bind().dialect.name == "postgresql" else _Writer
        )
        writer = writer_class(session, progress)
        writer.lock()
        existing = _existing(session)
        inserts: list[Entry] = []
        updates: list[Entry] = []
        for e in entries.values():
            old = existing.get(e.key)
            if old is None:
                inserts.append(e)
            elif old[0] and old[1:] == e.compared():
                result.unchanged += 1
            else:
                updates.append(e)
        gone = [k for k, old in existing.items() if old[0] and k not in entries]
        if progress is not None:
            progress.start("schreiben", len(inserts) + len(updates) + len(gone))
        if inserts:
            writer.insert(inserts, now)
        if updates:
            writer.update(updates, now)
        if gone:
            writer.retire(gone, now)
        result.inserted, result.updated, result.retired = len(inserts), len(updates), len(gone)
        if inserts or updates or gone:
            # Fresh statistics, so the planner takes the selective index (parent_key, the
            # name search's) over is_current, which nearly every row shares (SQLite has none
            # until ANALYZE; PostgreSQL's autovacuum would get there later).
            session.execute(text("ANALYZE municipality"))
        # What published pages show of a municipality (its name, population, urbanisation,
        # whether it is current) goes to the outbox, in this transaction.
        shown = [k for k in gone if entries.get(k) is None]
        shown += [e.key for e in updates if _shown(existing[e.key]) != _shown_entry(e)]
        result.outbox = outbox.municipalities_changed(shown)
        session.add(
            RegisterImport(
                imported_at=now,
                reference_date=stand,
                source=path.name[:300],
                inserted=result.inserted,
                updated=result.updated,
                retired=result.retired,
            )
        )
    result.seconds = time.perf_counter() - started
    return result
