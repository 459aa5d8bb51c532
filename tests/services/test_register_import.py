"""The Destatis importer: the full extract, idempotence, newer extracts, malformed files, CLI.

Tests marked ``slow`` import the whole extract (16,068 rows); they are part of the suite.
Expected figures are computed from the CSV independently of the importer where they can be.
"""

from __future__ import annotations

import csv
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from omk.extensions import Base, db
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Report
from omk.models.types import utcnow
from omk.services import register
from omk.services import register_import as importer
from omk.services.register_import import RegisterImportError, import_register
from omk.services.transaction import unit_of_work
from tests.conftest import FULL_REGISTER, SAMPLE_REGISTER

EXPECTED_LEVELS = {
    "land": 16,
    "regierungsbezirk": 29,
    "region": 12,
    "kreis": 401,
    "gemeindeverband": 4606,
    "gemeinde": 11004,
}


# --- helpers ------------------------------------------------------------------------------


def snapshot() -> list[tuple[Any, ...]]:
    """Every column of every register row, sorted: compares the database before and after."""
    db.session.expire_all()
    table = Municipality.__table__
    return sorted(tuple(row) for row in db.session.execute(select(table)).all())


def row_counts() -> dict[str, int]:
    """Rows per table of the whole schema."""
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
    }


def csv_rows(path: Path = FULL_REGISTER) -> list[dict[str, str]]:
    """The extract read plainly with the csv module, independent of the importer."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def population(rows: list[dict[str, str]], prefix: str) -> int:
    """Sum of the Gemeinden whose AGS starts with ``prefix``, computed from the CSV."""
    total = 0
    for r in rows:
        if r["satzart"] != "60":
            continue
        ags = r["land"] + r["rb"] + r["kreis"] + r["gemeinde"]
        if ags.startswith(prefix):
            total += int(r["bevoelkerung"].replace(" ", ""))
    return total


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines))
    return path


def sample_lines() -> list[bytes]:
    return SAMPLE_REGISTER.read_bytes().split(b"\n")


def set_cell(line: bytes, column: str, value: str) -> bytes:
    """Replace one column of a CSV line (parsed, so quoted commas stay intact)."""
    cells = next(csv.reader([line.decode("utf-8-sig")]))
    cells[importer.EXPECTED_COLUMNS.index(column)] = value
    out = ",".join(f'"{c}"' if "," in c else c for c in cells).encode()
    return out if not line.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + out


def line_of(lines: list[bytes], needle: bytes) -> int:
    """The index in ``lines`` of the only line containing ``needle``."""
    found = [i for i, line in enumerate(lines) if needle in line]
    assert len(found) == 1, needle
    return found[0]


def get_row(key: str) -> Municipality:
    db.session.expire_all()
    entry = db.session.get(Municipality, key)
    assert entry is not None, key
    return entry


# --- the full extract ---------------------------------------------------------------------


@pytest.mark.slow
def test_full_extract_loads_every_level_with_sums_and_special_cases(
    app: Flask, client: FlaskClient
) -> None:
    result = import_register(FULL_REGISTER)

    assert result.counts == EXPECTED_LEVELS
    assert result.inserted == sum(EXPECTED_LEVELS.values()) == 16_068
    assert result.updated == result.retired == result.unchanged == 0
    by_level = dict(
        db.session.execute(
            select(Municipality.level, func.count()).group_by(Municipality.level)
        ).all()
    )
    assert by_level == EXPECTED_LEVELS

    # Flensburg: the Gemeinde under its AGS, a kreisfreie Stadt.
    flensburg = register.get("01001000")
    assert (flensburg.key, flensburg.level, flensburg.population) == (
        "01001000",
        Level.GEMEINDE,
        90_164,
    )
    assert flensburg.is_kreisfrei
    assert flensburg.name == "Flensburg, Stadt"
    assert get_row("01001").is_kreisfrei  # its Kreis row too
    kreisfrei = db.session.scalar(
        select(func.count()).where(
            Municipality.level == Level.KREIS, Municipality.is_kreisfrei.is_(True)
        )
    )
    assert kreisfrei == 107

    # Landkreis Ravensburg under its padded key: service, profile and API.
    ravensburg = register.get("08436000")
    assert (ravensburg.key, ravensburg.level, ravensburg.type_label) == (
        "08436",
        Level.KREIS,
        "Landkreis",
    )
    assert not ravensburg.is_kreisfrei
    page = client.get("/kommunen/08436000")
    assert page.status_code == 200
    assert "Ravensburg" in page.text and "Landkreis" in page.text
    api = client.get("/api/v1/municipalities/08436000")
    assert api.status_code == 200
    assert api.json["ags"] == "08436000" and api.json["level"] == "kreis"

    # Higher levels carry the sum of their Gemeinden (computed here from the CSV).
    rows = csv_rows()
    assert ravensburg.population == population(rows, "08436") == 285_424
    assert get_row("05").population == population(rows, "05")
    assert get_row("0843").population == population(rows, "0843")  # Region Bodensee-Ob.
    assert get_row("09").population == population(rows, "09")
    germany = sum(get_row(land).population or 0 for land in _keys(Level.LAND))
    assert germany == population(rows, "") == 83_166_711
    gemeinde_area = sum(float(r["flaeche"].replace(" ", "")) for r in rows if r["satzart"] == "60")
    land_area = sum(get_row(land).area_km2 or 0.0 for land in _keys(Level.LAND))
    assert land_area == pytest.approx(gemeinde_area, abs=0.1)

    # 208 gemeindefreie Gebiete: population 0, no density, and nothing divides by them.
    unbewohnt = list(db.session.scalars(select(Municipality).where(Municipality.type_code == "66")))
    assert len(unbewohnt) == 208
    assert {m.population for m in unbewohnt} == {0}
    assert {m.density for m in unbewohnt} == {None}
    everyone = list(db.session.scalars(select(Municipality)))
    assert all(m.density is None or m.density > 0 for m in everyone)
    for m in unbewohnt[:3]:
        assert client.get(f"/kommunen/{m.key}").status_code == 200
        assert client.get(f"/api/v1/municipalities/{m.key}").json["density"] is None

    # Areas outside any Kreis (Kreis 00) are loaded and hang below their Land.
    for gv, gemeinde, land in [
        ("070009999", "07000999", "07"),
        ("130009999", "13000999", "13"),
    ]:
        assert get_row(gemeinde).parent_key == gv
        assert get_row(gv).parent_key == land
        assert get_row(gemeinde).population == 0

    # Every parent chain ends in a Land of the same key prefix.
    parents = {
        key: (parent, level)
        for key, parent, level in db.session.execute(
            select(Municipality.key, Municipality.parent_key, Municipality.level)
        )
    }
    for key in parents:
        chain, depth = key, 0
        while (parent := parents[chain][0]) is not None and depth < 6:
            chain, depth = parent, depth + 1
        assert parents[chain][1] == Level.LAND and chain == key[:2]


def _keys(level: Level) -> list[str]:
    return list(db.session.scalars(select(Municipality.key).where(Municipality.level == level)))


@pytest.mark.slow
def test_second_import_of_the_same_extract_changes_nothing(app: Flask) -> None:
    import_register(FULL_REGISTER)
    before = snapshot()
    stamps = dict(db.session.execute(select(Municipality.key, Municipality.updated_at)).all())

    result = import_register(FULL_REGISTER)

    assert (result.inserted, result.updated, result.retired) == (0, 0, 0)
    assert result.unchanged == 16_068
    assert snapshot() == before
    after = dict(db.session.execute(select(Municipality.key, Municipality.updated_at)).all())
    assert after == stamps


def _make_report(municipality_key: str) -> int:
    with unit_of_work() as session:
        cycle = Cycle(
            code="2021",
            title="Berichtsrunde 2021",
            period_start=date(2021, 1, 1),
            period_end=date(2021, 12, 31),
            deadline=date(2022, 3, 31),
            template_version="1",
        )
        session.add(cycle)
        session.flush()
        report = Report(cycle_id=cycle.id, municipality_key=municipality_key, template_version="1")
        session.add(report)
        session.flush()
        report_id = report.id
    return report_id


@pytest.mark.slow
def test_newer_extract_renames_updates_retires_and_reinstates(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    import_register(FULL_REGISTER)
    report_id = _make_report("08436032")  # Fleischwangen, about to vanish in a "merger"
    untouched_before = get_row("09162000").updated_at  # München

    lines = FULL_REGISTER.read_bytes().split(b"\n")
    flensburg = line_of(lines, b"60,61,01,0,01,0000,000,")
    lines[flensburg] = set_cell(lines[flensburg], "gemeindename", "Flensburg, Fördestadt")
    kiel = line_of(lines, b"60,61,01,0,02,0000,000,")
    lines[kiel] = set_cell(lines[kiel], "bevoelkerung", "250 000")
    del lines[line_of(lines, b"60,64,08,4,36,5001,032,Fleischwangen")]
    newer = write_lines(tmp_path / "AuszugGV4QNeuer.csv", lines)

    result = import_register(newer)

    assert result.inserted == 0
    assert result.retired == 1
    # Flensburg's name; Kiel and its GV, Kreis and Land; above Fleischwangen its GV, Kreis,
    # Region, RB and Land (their sums changed).
    assert result.updated == 1 + 4 + 5
    assert result.unchanged == 16_068 - 1 - result.updated
    assert get_row("01001000").name == "Flensburg, Fördestadt"
    assert get_row("01002000").population == 250_000
    assert get_row("01002").population == 250_000  # the Kreis of the kreisfreie Stadt
    assert get_row("01").population == population(csv_rows(), "01") + 250_000 - 246_794
    assert get_row("08436").population == 285_424 - 683
    gone = get_row("08436032")
    assert not gone.is_current and gone.retired_at is not None
    assert gone.name == "Fleischwangen" and gone.population == 683
    assert get_row("09162000").updated_at == untouched_before

    # The report still points at it, and the profile explains it is no longer current.
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    assert report is not None
    assert report.municipality_key == "08436032"
    assert report.municipality.name == "Fleischwangen"
    assert register.get("08436032").key == "08436032"
    assert register.search("Fleischwangen").total == 0
    assert "nicht mehr aktuell" in client.get("/kommunen/08436032").text.lower()

    # A later extract that lists it again makes it current again.
    again = import_register(FULL_REGISTER)
    assert again.retired == 0 and again.inserted == 0
    back = get_row("08436032")
    assert back.is_current and back.retired_at is None
    assert get_row("01001000").name == "Flensburg, Stadt"
    assert get_row("01002000").population == 246_794
    assert register.search("Fleischwangen").total == 1


@pytest.mark.slow
def test_bad_newer_extract_leaves_a_loaded_register_untouched(app: Flask, tmp_path: Path) -> None:
    import_register(FULL_REGISTER)
    before = snapshot()
    lines = FULL_REGISTER.read_bytes().split(b"\n")
    lines[-1] = set_cell(lines[-1], "bevoelkerung", "viele")  # the very last row
    with pytest.raises(RegisterImportError) as caught:
        import_register(write_lines(tmp_path / "bad.csv", lines))
    assert caught.value.line == len(lines)
    assert "bevoelkerung" in caught.value.reason
    assert snapshot() == before


# --- the writing phase is one transaction ---------------------------------------------------


def test_a_failure_while_writing_rolls_everything_back(
    app: Flask, register: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, counts = snapshot(), row_counts()
    lines = sample_lines()
    # New rows (inserted), a changed row (updated), a vanished row (retired, which fails).
    lines.append(b"50,50,09,6,71,0160,,Neudorf,,,,,,,,,,,,")
    lines.append(b"60,64,09,6,71,0160,160,Neudorf, 1.00, 10, 5, 5, 10,63814,,,,,03,x")
    essen = line_of(lines, b"60,61,05,1,13,0000,000,")
    lines[essen] = set_cell(lines[essen], "bevoelkerung", "600 000")
    del lines[line_of(lines, b"60,64,06,6,32,0020,020,Wildeck")]
    newer = write_lines(tmp_path / "newer.csv", lines)
    calls: list[str] = []

    def fail(self: Any, keys: list[str], now: Any) -> None:
        calls.append("retire")
        raise RuntimeError("Stromausfall")

    monkeypatch.setattr(importer._Writer, "retire", fail)
    with pytest.raises(RuntimeError, match="Stromausfall"):
        import_register(newer)
    assert calls == ["retire"]  # inserts and updates ran before the failure
    assert snapshot() == before
    assert row_counts() == counts

    monkeypatch.undo()
    result = import_register(newer)
    assert (result.inserted, result.retired) == (2, 1)
    assert get_row("05113000").population == 600_000


# --- malformed files ----------------------------------------------------------------------


def _letters_in_key(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,61,01,0,01,0000,000,")
    lines[i] = set_cell(lines[i], "gemeinde", "0O0")
    return i


def _column_count(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,61,05,1,13,0000,000,")
    lines[i] = lines[i].rsplit(b",", 1)[0]
    return i


def _unknown_satzart(lines: list[bytes]) -> int:
    i = line_of(lines, b"Reg.-Bez. D\xc3\xbcsseldorf")
    lines[i] = b"25" + lines[i][2:]
    return i


def _missing_name(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,64,06,6,32,0001,001,Alheim")
    lines[i] = set_cell(lines[i], "gemeindename", "  ")
    return i


def _duplicate_key(lines: list[bytes]) -> int:
    lines.append(lines[line_of(lines, b"60,64,06,6,32,0001,001,Alheim")])
    return len(lines) - 1


def _missing_gemeindeverband(lines: list[bytes]) -> int:
    i = line_of(lines, b"50,50,06,6,32,0001,,Alheim")
    del lines[i]
    return i  # the Gemeinde moved up into this line


def _missing_kreis(lines: list[bytes]) -> int:
    i = line_of(lines, b"40,44,06,6,32,,,Hersfeld-Rotenburg")
    del lines[i]
    return i  # its first Gemeindeverband


def _bad_number(lines: list[bytes]) -> int:
    i = line_of(lines, b'Bad Hersfeld, Kreisstadt", ')
    lines[i] = set_cell(lines[i], "bevoelkerung", "29 9x4")
    return i


def _bad_area(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,64,06,6,32,0005,005,Cornberg")
    lines[i] = set_cell(lines[i], "flaeche", "nan")
    return i


def _not_utf8(lines: list[bytes]) -> int:
    i = line_of(lines, b"50,54,09,6,71,5604,,")
    lines[i] = lines[i].replace("ö".encode(), "ö".encode("latin-1"))
    return i


def _wrong_header(lines: list[bytes]) -> int:
    lines[0] = lines[0].replace(b"gemeindename", b"name")
    return 0


def _coordinates(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,64,06,6,32,0006,006,Friedewald")
    lines[i] = set_cell(lines[i], "breitengrad", "5,0")
    return i


def _urbanisation(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,64,06,6,32,0007,007,Hauneck")
    lines[i] = set_cell(lines[i], "verstaedterungschluessel", "04")
    return i


def _nul_byte(lines: list[bytes]) -> int:
    i = line_of(lines, b"60,64,06,6,32,0008,008,Haunetal")
    lines[i] = lines[i].replace(b"Haunetal", b"Haune\x00tal")
    return i


MALFORMED: list[tuple[str, Callable[[list[bytes]], int], str]] = [
    ("letters in a key", _letters_in_key, "Spalte gemeinde: 3 Ziffern erwartet"),
    ("wrong column count", _column_count, "19 Spalten statt 20"),
    ("unknown satzart", _unknown_satzart, "unbekannte Satzart '25'"),
    ("missing name", _missing_name, "Name fehlt"),
    ("duplicate key", _duplicate_key, "Schlüssel 06632001 doppelt (zuerst in Zeile 31)"),
    (
        "Gemeinde without its Gemeindeverband",
        _missing_gemeindeverband,
        "übergeordneter Schlüssel 066320001 fehlt für 06632001",
    ),
    ("Gemeindeverband without its Kreis", _missing_kreis, "Kreis 06632 fehlt"),
    ("bad number", _bad_number, "Spalte bevoelkerung: keine ganze Zahl ('29 9x4')"),
    ("not a number", _bad_area, "Spalte flaeche: keine Zahl"),
    ("non-UTF-8 bytes", _not_utf8, "kein gültiges UTF-8"),
    ("wrong header", _wrong_header, "unerwartete Kopfzeile"),
    ("coordinates outside Germany", _coordinates, "Koordinaten liegen nicht in Deutschland"),
    ("unknown urbanisation", _urbanisation, "Verstädterungsschlüssel '04' unbekannt"),
    ("NUL byte", _nul_byte, "kein gültiges CSV (NUL-Zeichen"),
]


@pytest.mark.parametrize("preloaded", [False, True], ids=["empty", "preloaded"])
@pytest.mark.parametrize(
    ("damage", "reason"), [(d, r) for _, d, r in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_row_stops_the_import_with_line_and_reason(
    app: Flask,
    tmp_path: Path,
    damage: Callable[[list[bytes]], int],
    reason: str,
    preloaded: bool,
) -> None:
    if preloaded:
        import_register(SAMPLE_REGISTER)
    before, counts = snapshot(), row_counts()
    lines = sample_lines()
    index = damage(lines)
    path = write_lines(tmp_path / "kaputt.csv", lines)

    with pytest.raises(RegisterImportError) as caught:
        import_register(path)

    assert caught.value.line == index + 1
    assert reason in caught.value.reason
    assert caught.value.message == f"Zeile {index + 1}: {caught.value.reason}"
    assert snapshot() == before
    assert row_counts() == counts
    assert len(before) == (93 - 1 if preloaded else 0)


def test_empty_and_unreadable_files_are_refused(app: Flask, tmp_path: Path) -> None:
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(RegisterImportError, match="Zeile 1: die Datei ist leer"):
        import_register(empty)
    with pytest.raises(RegisterImportError, match="Datei nicht lesbar"):
        import_register(tmp_path / "gibt-es-nicht.csv")
    assert row_counts()["municipality"] == 0


def test_blank_lines_and_spaces_are_tolerated(app: Flask, tmp_path: Path) -> None:
    lines = sample_lines()
    lines.insert(5, b"")
    lines.insert(9, b",,,,,,,,,,,,,,,,,,,")
    result = import_register(write_lines(tmp_path / "luftig.csv", lines))
    assert result.inserted == 92
    assert get_row("01001000").population == 90_164


def test_sample_register_sums_and_levels(app: Flask) -> None:
    result = import_register(SAMPLE_REGISTER)
    assert result.counts == {
        "land": 5,
        "regierungsbezirk": 5,
        "region": 1,
        "kreis": 8,
        "gemeindeverband": 36,
        "gemeinde": 37,
    }
    rows = csv_rows(SAMPLE_REGISTER)
    assert get_row("06632").population == population(rows, "06632")
    assert get_row("06").population == population(rows, "06")
    assert get_row("08436").parent_key == "0843"  # Kreis below its Region
    assert get_row("0843").parent_key == "084"
    # A Gemeindeverband that is a single Gemeinde carries that Gemeinde's figures.
    assert get_row("053340002").population == get_row("05334002").population == 248_960
    assert Counter(m.level for m in db.session.scalars(select(Municipality))) == result.counts


# --- progress and command line --------------------------------------------------------------


class RecordingProgress:
    """Collects the phases and steps an import reports."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int]] = []
        self.done: dict[str, int] = {}

    def start(self, phase: str, total: int) -> None:
        self.phases.append((phase, total))
        self.done[phase] = 0

    def advance(self, steps: int) -> None:
        self.done[self.phases[-1][0]] += steps


def test_progress_reports_reading_and_writing(app: Flask) -> None:
    progress = RecordingProgress()
    import_register(SAMPLE_REGISTER, progress=progress)
    assert progress.phases == [("lesen", 92), ("schreiben", 92)]
    assert progress.done == {"lesen": 92, "schreiben": 92}

    again = RecordingProgress()
    import_register(SAMPLE_REGISTER, progress=again)
    assert again.phases == [("lesen", 92), ("schreiben", 0)]


def test_cli_imports_with_counts_and_seconds(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["municipalities", "import", str(SAMPLE_REGISTER)])
    assert result.exit_code == 0, result.output
    assert "5 Länder" in result.stdout and "37 Gemeinden" in result.stdout
    assert "92 neu, 0 geändert, 0 nicht mehr aktuell, 0 unverändert" in result.stdout
    assert " s." in result.stdout and "– in " in result.stdout
    assert "Verzeichnis lesen" in result.stderr and "Datenbank schreiben" in result.stderr

    again = runner.invoke(args=["municipalities", "import", str(SAMPLE_REGISTER)])
    assert again.exit_code == 0
    assert "0 neu, 0 geändert, 0 nicht mehr aktuell, 92 unverändert" in again.stdout


def test_cli_refuses_a_bad_file_and_imports_nothing(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    import_register(SAMPLE_REGISTER)
    before = snapshot()
    lines = sample_lines()
    index = _bad_number(lines)
    path = write_lines(tmp_path / "kaputt.csv", lines)

    result = runner.invoke(args=["municipalities", "import", str(path)])

    assert result.exit_code == 1
    assert f"Fehler: Zeile {index + 1}: Spalte bevoelkerung" in result.stderr
    assert "nichts wurde importiert" in result.stderr
    assert snapshot() == before


@pytest.mark.slow
def test_cli_full_import_reports_german_counts(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["municipalities", "import", str(FULL_REGISTER)])
    assert result.exit_code == 0, result.output
    assert (
        "16 Länder, 29 Regierungsbezirke, 12 Regionen, 401 Kreise, 4.606 Gemeindeverbände, "
        "11.004 Gemeinden" in result.stdout
    )
    assert "16.068 neu" in result.stdout


def test_timestamps_are_stored_as_the_orm_stores_them(app: Flask) -> None:
    import_register(SAMPLE_REGISTER)
    with unit_of_work() as session:
        session.add(
            Cycle(
                code="2021",
                period_start=date(2021, 1, 1),
                period_end=date(2021, 12, 31),
                deadline=date(2022, 3, 31),
                template_version="1",
            )
        )
    imported = db.session.execute(
        text("SELECT updated_at FROM municipality WHERE key = '01001000'")
    ).scalar_one()
    by_orm = db.session.execute(text("SELECT created_at FROM cycle")).scalar_one()
    assert type(imported) is type(by_orm)
    if isinstance(imported, str):  # SQLite stores text: the same format, no offset
        assert len(imported) == len(by_orm) and "+" not in imported
    stored = get_row("01001000").updated_at
    assert stored.tzinfo is not None
    assert abs((utcnow() - stored).total_seconds()) < 60


@pytest.mark.fresh_db  # two importers in threads, each on a connection of its own
def test_concurrent_imports_queue_instead_of_failing(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both imports see an empty register unless the second waits for the first to commit;
    # the pause makes sure they overlap.
    read_existing = importer._existing

    def slow_existing(session: Any) -> dict[str, tuple[Any, ...]]:
        rows = read_existing(session)
        time.sleep(0.3)
        return rows

    monkeypatch.setattr(importer, "_existing", slow_existing)
    results: list[importer.ImportResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            start.wait()
            try:
                results.append(import_register(SAMPLE_REGISTER))
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted((r.inserted, r.unchanged) for r in results) == [(0, 92), (92, 0)]


def test_entry_values_follow_the_compared_columns() -> None:
    entries = importer.read_extract(SAMPLE_REGISTER)
    entry = entries["01001000"]
    values = entry.values()
    assert list(values) == ["key", *importer.COMPARED]
    assert all(values[c] == getattr(entry, c) for c in values)
    # Every column of the table is written (a new column must be taught to the importer).
    assert sorted(importer.WRITTEN) == sorted(c.name for c in Municipality.__table__.columns)
