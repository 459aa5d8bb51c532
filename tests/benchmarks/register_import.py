"""Benchmark the register import: ``python -m tests.benchmarks.register_import`` (``make bench``).

Imports the full Destatis extract several times into a fresh SQLite database and, when
``OMK_DATABASE_URL`` points at PostgreSQL, into a scratch schema of that database (created
and dropped here; the ``public`` schema is not touched). Each scenario prints min, median and
max wall-clock seconds of ``import_register`` (parse, check, diff and write, one transaction).

Baselines measured in the same run, on the same machine:

* parsing alone (``read_extract``): the floor no database can beat;
* the naive import: one ORM ``session.add`` per row, one commit.

This is not a pytest test on purpose: timings on a shared machine are not assertions.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omk import create_app
from omk.config import load as load_settings
from omk.extensions import Base, db
from omk.models.register import Municipality
from omk.models.types import utcnow
from omk.services.register_import import LEVEL_ORDER, import_register, read_extract
from omk.services.transaction import unit_of_work

EXTRACT = Path(__file__).resolve().parents[2] / "content" / "register" / "AuszugGV4QAktuell.csv"
SCHEMA = "omk_bench"


def naive_import(path: Path) -> None:
    """The baseline: parse, then one ORM object and ``session.add`` per row, one commit."""
    entries = read_extract(path)
    order = {level.value: i for i, level in enumerate(LEVEL_ORDER)}
    now = utcnow()
    with unit_of_work() as session:
        for entry in sorted(entries.values(), key=lambda e: order[e.level]):
            session.add(Municipality(**entry.values(), is_current=True, updated_at=now))


def every_population_plus_one(source: Path, target: Path) -> Path:
    """A newer extract in which every Gemeinde has one more inhabitant (≈ every row changes)."""
    import csv

    with source.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        if row[0] == "60":
            row[9] = str(int(row[9].replace(" ", "")) + 1)
    with target.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return target


class Backend:
    """A database to benchmark against, reset to an empty schema before each run."""

    def __init__(self, name: str, url: str, workdir: Path) -> None:
        self.name = name
        self.url = url
        self.app: Flask = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(workdir / f"instance-{name}"),
                "SEARCH_INDEX": str(workdir / f"index-{name}"),
                "LOG_LEVEL": "WARNING",
            }
        )

    @contextmanager
    def empty(self) -> Iterator[None]:
        """An app context on an empty register schema."""
        with self.app.app_context():
            db.session.remove()
            Base.metadata.drop_all(db.engine)
            Base.metadata.create_all(db.engine)
            try:
                yield
            finally:
                db.session.remove()

    def version(self) -> str:
        with self.app.app_context():
            if self.name == "sqlite":
                return f"SQLite {sqlite3.sqlite_version}"
            raw = db.session.execute(text("SHOW server_version")).scalar_one()
            db.session.remove()
            return f"PostgreSQL {raw}"

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def postgres_scratch_schema(url: str) -> Iterator[str]:
    """A URL whose connections use a scratch schema of the same database, dropped at the end."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    scratch = make_url(url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


def timed(runs: int, setup: Callable[[], Any], action: Callable[[], Any]) -> list[float]:
    """Wall-clock seconds of ``action`` in each of ``runs`` runs (``setup`` not timed)."""
    seconds = []
    for _ in range(runs):
        with setup():
            started = time.perf_counter()
            action()
            seconds.append(time.perf_counter() - started)
    return seconds


def line(label: str, seconds: list[float]) -> str:
    low, mid, high = min(seconds), statistics.median(seconds), max(seconds)
    return f"  {label:<44} {low:7.3f} s {mid:7.3f} s {high:7.3f} s"


def bench_backend(backend: Backend, path: Path, changed: Path, runs: int) -> dict[str, float]:
    """Run every scenario on one backend; print and return the medians."""
    print(f"\n{backend.name} ({backend.version()})")
    print(f"  {'scenario':<44} {'min':>9} {'median':>9} {'max':>9}")

    @contextmanager
    def loaded() -> Iterator[None]:
        with backend.empty():
            import_register(path)
            yield

    scenarios: list[tuple[str, str, Callable[[], Any], Callable[[], Any]]] = [
        ("import", "import into an empty database", backend.empty, lambda: import_register(path)),
        ("again", "import again, nothing changed", loaded, lambda: import_register(path)),
        ("update", "newer extract, every population + 1", loaded, lambda: import_register(changed)),
        (
            "naive",
            "baseline: one ORM session.add per row",
            backend.empty,
            lambda: naive_import(path),
        ),
    ]
    medians = {}
    for key, label, setup, action in scenarios:
        seconds = timed(runs, setup, action)
        medians[key] = statistics.median(seconds)
        print(line(label, seconds), flush=True)
    print(
        f"  import is {medians['naive'] / medians['import']:.1f}× faster than the naive "
        f"baseline (medians)"
    )
    return medians


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    parser.add_argument("--file", type=Path, default=EXTRACT, help="the extract to import")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)

    rows = sum(1 for _ in args.file.open("rb")) - 1
    print(f"Register import benchmark: {args.file.name} ({rows:,} rows), {args.runs} runs each")
    print(f"Python {platform.python_version()} on {platform.machine()}, {_cpus()} CPUs")

    parse = timed(args.runs, _nothing, lambda: read_extract(args.file))
    print(f"\n  {'scenario':<44} {'min':>9} {'median':>9} {'max':>9}")
    print(line("baseline: parse and check only (no database)", parse))

    with tempfile.TemporaryDirectory(prefix="omk-bench-") as tmp:
        workdir = Path(tmp)
        changed = every_population_plus_one(args.file, workdir / "newer.csv")
        results: dict[str, dict[str, float]] = {}
        sqlite = Backend("sqlite", f"sqlite:///{workdir / 'bench.sqlite3'}", workdir)
        results["sqlite"] = bench_backend(sqlite, args.file, changed, args.runs)
        sqlite.close()

        url = str(load_settings()["DATABASE_URL"] or "")
        if url.startswith("postgresql"):
            with postgres_scratch_schema(url) as scratch:
                postgres = Backend("postgresql", scratch, workdir)
                results["postgresql"] = bench_backend(postgres, args.file, changed, args.runs)
                postgres.close()
        else:
            print(
                "\n(PostgreSQL skipped: set OMK_DATABASE_URL=postgresql+psycopg://… to include it)"
            )

    print("\nMedians, seconds:")
    median_parse = statistics.median(parse)
    for name, m in results.items():
        print(
            f"  {name:<11} import {m['import']:.2f} · again {m['again']:.2f} · update "
            f"{m['update']:.2f} · naive {m['naive']:.2f} · parse alone {median_parse:.2f}"
        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
