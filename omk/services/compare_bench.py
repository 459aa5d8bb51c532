"""``omk bench compare``: how fast the comparison is on 10,000 and 100,000 published reports.

Builds a throwaway SQLite database in a temporary folder (or uses ``--database``), loads the
full register, writes the published reports in bulk (synthetic values from
omk.compare.demo_values) and times, in the same run:

* a comparison of all Gemeinden (municipal level) for one indicator, with the trend;
* the scoreboard of all Kreise of a Land (district level) on every judged indicator;
* the same Gemeinden comparison as a naive loop: per municipality an ORM query for its report
  and one for its values (what the set-based queries replace).

The two comparisons run twice: "vorher" reading every published revision's values (the
set-based queries over the revisions), "nachher" reading the figures the outbox consumer
stores per published report (``omk/services/compare/store.py``, filled here by its full
rebuild, whose time is printed too). Wall clock and CPU time of this process side by side:
the machine may be busy with other work.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from omk.compare import stats
from omk.compare.bases import normalise
from omk.compare.definitions import ComparisonLevel, comparison_level
from omk.compare.demo_values import CYCLE_CODES, DemoProfile, indicator_values
from omk.compare.peers import GroupKind
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, IndicatorValue, Report, Revision
from omk.paths import REGISTER_FILE

INDICATOR = "sprache_bildung.kita_kinder"
LAND = "09"  # Bayern: 96 districts


@dataclass(frozen=True)
class Timing:
    """One measurement: what, on how many reports, the median of the runs in seconds (wall
    clock and this process's CPU time)."""

    what: str
    reports: int
    members: int
    seconds: float
    cpu: float


def _units(prefix: str = "") -> list[Municipality]:
    """Every entry that reports at either level (within the AGS ``prefix``), by key."""
    from omk.extensions import db

    rows = db.session.scalars(
        select(Municipality)
        .where(
            Municipality.is_current.is_(True),
            Municipality.level.in_([Level.GEMEINDE, Level.KREIS]),
            Municipality.population > 0,
            Municipality.key.startswith(prefix),
        )
        .order_by(Municipality.key)
    )
    units = [
        m
        for m in rows
        if comparison_level(m.level, m.is_kreisfrei) is not None
        and not (m.level == Level.KREIS and m.is_kreisfrei)
    ]
    # A spread over all Länder when fewer report than there are units: by a hash of the key.
    return sorted(units, key=lambda m: hashlib.sha256(m.key.encode()).hexdigest())


def generate(
    reports: int, progress: Callable[[str], None] = lambda s: None, prefix: str = ""
) -> int:
    """Write ``reports`` published reports over as many cycles as needed (at least two), of
    the units within the AGS ``prefix`` ('' for all); returns the number written."""
    from omk.extensions import db
    from omk.services.compare import content

    units = _units(prefix)
    cycles = max(2, math.ceil(reports / len(units)))
    per_cycle = math.ceil(reports / cycles)
    template = content().current_template.version
    now = datetime.now(UTC)
    written = 0
    report_id = 0
    drawn: dict[tuple[str, str], dict[str, int | float]] = {}  # (key, step): values
    for c in range(cycles):
        year = 2026 - cycles + 1 + c
        cycle_id = db.session.execute(
            insert(Cycle)
            .values(
                code=f"B{year}",
                title=f"Benchmark {year}",
                period_start=date(year, 1, 1),
                period_end=date(year, 12, 31),
                deadline=date(year + 1, 3, 31),
                template_version=template,
                status="closed",
                created_at=now,
            )
            .returning(Cycle.id)
        ).scalar_one()
        step = CYCLE_CODES[min(c, len(CYCLE_CODES) - 1)]
        chosen = units[: min(per_cycle, reports - written)]
        report_rows, revision_rows, value_rows = [], [], []
        for m in chosen:
            report_id += 1
            report_rows.append(
                {
                    "id": report_id,
                    "cycle_id": cycle_id,
                    "municipality_key": m.key,
                    "state": "accepted",
                    "template_version": template,
                    "edit_version": 1,
                    "revision_count": 1,
                    "is_correction": False,
                    "has_synthetic_indicators": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            revision_rows.append(
                {
                    "id": report_id,
                    "report_id": report_id,
                    "number": 1,
                    "template_version": template,
                    "submitted_at": now,
                    "outcome": "accepted",
                    "population": m.population,
                }
            )
            values = drawn.get((m.key, step))
            if values is None:
                profile = DemoProfile(m.key, m.population or 0, m.urbanisation)
                values = drawn[(m.key, step)] = indicator_values(profile, step)
            for code, value in values.items():
                value_rows.append(
                    {
                        "report_id": report_id,
                        "revision_id": report_id,
                        "code": code,
                        "value": float(value),
                        "practice_ids": [],
                    }
                )
        db.session.execute(insert(Report), report_rows)
        db.session.execute(insert(Revision), revision_rows)
        for start in range(0, len(value_rows), 50_000):
            db.session.execute(insert(IndicatorValue), value_rows[start : start + 50_000])
        db.session.execute(
            update(Report)
            .where(Report.cycle_id == cycle_id)
            .values(published_revision_id=Report.id)
        )
        db.session.commit()
        written += len(chosen)
        progress(f"  Runde B{year}: {len(chosen)} Berichte")
    return written


def settle() -> None:
    """Bring the database to the state a running site is in: SQLite's write-ahead log
    checkpointed (a just-written log slows every read), planner statistics gathered;
    PostgreSQL's visibility map set (VACUUM, as autovacuum would) for index-only scans."""
    from sqlalchemy import text

    from omk.extensions import db

    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        connection.execute(
            text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
        )


def _median_seconds(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median wall seconds, median CPU seconds, the last result) of ``repeat`` runs."""
    times, cpu = [], []
    result = None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), result


def naive_loop(cycle: Cycle, code: str) -> list[float | None]:
    """The comparison the slow way: per municipality its report, then its values, via the ORM."""
    from omk.extensions import db
    from omk.services.compare import content

    indicator = content().indicators[code]
    values: list[float | None] = []
    gemeinden = db.session.scalars(
        select(Municipality).where(
            Municipality.level == Level.GEMEINDE, Municipality.is_current.is_(True)
        )
    ).all()
    for m in gemeinden:
        if comparison_level(m.level, m.is_kreisfrei) != ComparisonLevel.MUNICIPAL:
            continue
        report = db.session.scalars(
            select(Report).where(Report.cycle_id == cycle.id, Report.municipality_key == m.key)
        ).first()
        if report is None or report.published_revision_id is None:
            continue
        rows = db.session.scalars(
            select(IndicatorValue).where(IndicatorValue.revision_id == report.published_revision_id)
        ).all()
        by_code = {r.code: r.value for r in rows}
        raw = by_code.get(code)
        revision = db.session.get(Revision, report.published_revision_id)
        result = normalise(
            indicator,
            raw,
            population=revision.population if revision else None,
            allocated=by_code.get("unterbringung.zuweisungen"),
        )
        values.append(result.value if result else raw)
    stats.summarise(values)
    return values


def measure(reports: int, repeat: int = 3, *, skip_naive: bool = False) -> list[Timing]:
    """Time the comparison and the Land scoreboard, before (from the revisions) and after
    (from the stored figures), and the naive loop on the current database (after one warm-up
    run: a web process keeps the register's name index between requests)."""
    from omk.extensions import db
    from omk.services import compare, register
    from omk.services.compare import figures, store

    cycle = db.session.scalars(select(Cycle).order_by(Cycle.period_end.desc())).first()
    assert cycle is not None
    everyone = compare.GroupSpec(GroupKind.REGION, region="", level=ComparisonLevel.MUNICIPAL)
    land = compare.GroupSpec(GroupKind.REGION, region=LAND, level=ComparisonLevel.DISTRICT)
    judged = [c for c, i in compare.content().indicators.items() if compare.direction_of(i)]
    register.display_names(db.session.scalars(select(Municipality).limit(1)))  # warm-up
    assert store.is_current(), "the stored figures must be current to measure them"
    cases = [
        ("Vergleich aller Gemeinden, 1 Kennzahl, mit Verlauf", everyone, [INDICATOR]),
        (f"Scoreboard aller Kreise des Landes {LAND}, {len(judged)} Kennzahlen", land, judged),
    ]
    out = []
    for what, spec, codes in cases:
        results = []
        for how in ("vorher", "nachher"):

            def once(spec: compare.GroupSpec = spec, codes: list[str] = codes) -> Any:
                return compare.compare(None, cycle, spec, codes)

            if how == "vorher":
                with figures.reading_live():
                    seconds, cpu, result = _median_seconds(once, repeat)
            else:
                seconds, cpu, result = _median_seconds(once, repeat)
            results.append(result)
            out.append(Timing(f"{what} ({how})", reports, len(result.members), seconds, cpu))
        assert _same(results[0], results[1]), f"{what}: stored figures differ from revisions"
    if skip_naive:
        return out
    db.session.expire_all()
    seconds, cpu, values = _median_seconds(lambda: naive_loop(cycle, INDICATOR), 1)
    out.append(
        Timing("naiv: je Gemeinde ORM-Abfragen (ohne Verlauf)", reports, len(values), seconds, cpu)
    )
    return out


def _same(before: Any, after: Any) -> bool:
    """Whether two comparisons show the same figures (rows, summaries, trends)."""

    def figures_of(result: Any) -> list[Any]:
        return [
            (
                ic.indicator.code,
                ic.summary,
                ic.too_few,
                ic.trend,
                [(r.member.key, r.raw, r.value, r.reason, r.previous_cycle) for r in ic.rows],
                [(r.previous_value, r.change, r.level_band, r.category, r.flags) for r in ic.rows],
            )
            for ic in result.indicators
        ]

    return bool(figures_of(before) == figures_of(after))


def build_store(progress: Callable[[str], None] = lambda s: None) -> None:
    """Fill the stored figures by their full rebuild (``omk compare rebuild``), timed."""
    from omk.services.compare import store

    started, started_cpu = time.perf_counter(), time.process_time()
    rows = store.rebuild()
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    cpu = f"{time.process_time() - started_cpu:.1f}".replace(".", ",")
    progress(f"  gespeicherte Kennzahlen neu aufgebaut: {rows} Zeilen in {seconds} s (CPU {cpu} s)")


def run(
    sizes: list[int], progress: Callable[[str], None] = lambda s: None, database: str | None = None
) -> list[Timing]:
    """Build a database per size in a temporary folder and measure it."""
    from omk import create_app
    from omk.extensions import Base, db
    from omk.services.register_import import import_register

    timings: list[Timing] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="omk-bench-compare-") as folder:
            url = database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            app = create_app(
                {
                    "TESTING": True,
                    "INSTANCE_PATH": str(Path(folder) / "instance"),
                    "DATABASE_URL": url,
                    "EMBEDDINGS": "off",
                    "SEARCH_INDEX": str(Path(folder) / "index"),
                }
            )
            with app.app_context():
                Base.metadata.drop_all(db.engine)
                Base.metadata.create_all(db.engine)
                started = time.perf_counter()
                root = app.extensions["omk_content"].root
                import_register(Path(root) / REGISTER_FILE)
                loaded = time.perf_counter() - started
                progress(f"{size} Berichte: Gemeindeverzeichnis geladen ({loaded:.0f} s)")
                started = time.perf_counter()
                written = generate(size, progress)
                settle()
                build_store(progress)
                settle()
                progress(
                    f"  {written} Berichte geschrieben ({time.perf_counter() - started:.0f} s)"
                )
                measured = measure(written)
                progress(table(measured))  # as soon as measured: a long run may be stopped
                timings += measured
                db.session.remove()
                db.engine.dispose()
    return timings


def table(timings: list[Timing]) -> str:
    """The timings as a plain table (German decimal comma)."""
    lines = [f"{'Berichte':>9}  {'Mitglieder':>10}  {'Sekunden':>9}  {'CPU-s':>7}  Messung"]
    for t in timings:
        seconds = f"{t.seconds:.3f}".replace(".", ",")
        cpu = f"{t.cpu:.3f}".replace(".", ",")
        lines.append(f"{t.reports:>9}  {t.members:>10}  {seconds:>9}  {cpu:>7}  {t.what}")
    return "\n".join(lines)
