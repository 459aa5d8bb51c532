"""``omk bench synthesis``: how long the synthesis report of a Land takes.

Builds a throwaway SQLite database in a temporary folder, loads the full register, writes
published reports for ``reports`` municipalities of North Rhine-Westphalia over two cycles
(the generator of :mod:`omk.services.compare_bench`) and times, in the same run, wall clock
and CPU time of:

* the comparison queries alone (the region's comparison at both levels, with trends);
* the synthesis as HTML (building the document and laying it out);
* the synthesis as PDF (the same, then WeasyPrint).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LAND = "05"  # Nordrhein-Westfalen: 396 Gemeinden and 31 Kreise report


@dataclass(frozen=True)
class Timing:
    """One measurement: what, for how many reports, median wall and CPU seconds."""

    what: str
    reports: int
    wall: float
    cpu: float
    size: int = 0  # bytes of the output, if any


def _measure(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def measure(cycle_code: str, reports: int, repeat: int, keep: Path | None = None) -> list[Timing]:
    """Time the comparison alone, the HTML and the PDF of ``cycle_code`` in the Land."""
    from omk.services import compare as compare_service
    from omk.synthesis import build, indicators, render
    from omk.synthesis.base import Context

    render.quiet_weasyprint()
    cycle = compare_service.get_cycle(cycle_code)
    context = Context(cycle=cycle, region=LAND, names=True, locale="de")
    out: list[Timing] = []
    wall, cpu, found = _measure(lambda: indicators.comparisons(context), repeat)
    members = sum(len(result.members) for _level, result in found)
    out.append(Timing(f"Vergleichsabfragen allein ({members} Kommunen)", reports, wall, cpu))

    def html() -> bytes:
        return render.to_html(build(cycle_code, LAND, names=True)).encode("utf-8")

    def pdf() -> bytes:
        return render.to_pdf(build(cycle_code, LAND, names=True))

    wall, cpu, data = _measure(html, repeat)
    out.append(Timing("Synthesebericht HTML (Aufbau und Satz)", reports, wall, cpu, len(data)))
    if keep is not None:
        (keep / "synthese-bench.html").write_bytes(data)
    wall, cpu, data = _measure(pdf, repeat)
    if keep is not None:
        (keep / "synthese-bench.pdf").write_bytes(data)
    out.append(Timing("Synthesebericht PDF (Aufbau und WeasyPrint)", reports, wall, cpu, len(data)))
    return out


def run(
    reports: int = 400,
    repeat: int = 1,
    progress: Callable[[str], None] = lambda s: None,
    keep: Path | None = None,
) -> list[Timing]:
    """Build the database in a temporary folder and measure; ``keep``: a folder to write the
    HTML and PDF to (to look at them)."""
    from omk import create_app
    from omk.extensions import Base, db
    from omk.paths import REGISTER_FILE
    from omk.services import compare_bench
    from omk.services.register_import import import_register

    with tempfile.TemporaryDirectory(prefix="omk-bench-synthesis-") as folder:
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(Path(folder) / "instance"),
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "EMBEDDINGS": "off",
                "SEARCH_INDEX": str(Path(folder) / "index"),
            }
        )
        with app.app_context():
            Base.metadata.drop_all(db.engine)
            Base.metadata.create_all(db.engine)
            import_register(Path(app.extensions["omk_content"].root) / REGISTER_FILE)
            progress("Gemeindeverzeichnis geladen")
            written = compare_bench.generate(reports * 2, progress, prefix=LAND)
            compare_bench.settle()
            progress(f"{written} Berichte geschrieben (zwei Runden)")
            latest = compare_service_latest()
            timings = measure(latest, reports, repeat, keep)
            db.session.remove()
            db.engine.dispose()
    return timings


def compare_service_latest() -> str:
    from omk.services import compare as compare_service

    cycle = compare_service.latest_cycle_with_published()
    if cycle is None:  # pragma: no cover - generate wrote reports
        raise RuntimeError("no published reports")
    return cycle.code


def table(timings: list[Timing]) -> str:
    """The timings as a plain table (German decimal comma)."""

    def seconds(value: float) -> str:
        return f"{value:.2f}".replace(".", ",")

    lines = [f"{'Berichte':>9}  {'Wand (s)':>9}  {'CPU (s)':>8}  {'Bytes':>9}  Messung"]
    for t in timings:
        size = f"{t.size:>9}" if t.size else f"{'':>9}"
        lines.append(f"{t.reports:>9}  {seconds(t.wall):>9}  {seconds(t.cpu):>8}  {size}  {t.what}")
    return "\n".join(lines)
