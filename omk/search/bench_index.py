"""The Whoosh reindex alone, measured and optionally profiled: ``omk bench search-index``.

The corpus of ``omk bench search`` (:mod:`omk.search.bench`, the same seed) is generated in
memory first (not timed), then written with the product's writer (``create_generation`` +
``bulk_load``) into a temporary folder. Printed: wall clock, CPU time of this process and of
its finished writer processes, CPU milliseconds per practice, the load average before and
after, and the peak memory of this process and of its largest writer process.

With ``--profile PATH`` the load runs under cProfile (CPU time as its clock, so waiting for a
core does not count), ``PATH`` receives the raw statistics (``python -m pstats PATH``) and the
cost is split by stage: the German analysis, the rest of adding documents to the posting pool,
writing the segment at commit, the "Meinten Sie" word list, assembling the documents
(stamps). cProfile sees only this process: give ``--writers 1`` (the default with a profile),
and expect it to inflate the per-call-heavy stages about three-fold.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from omk.search import analysis, bench
from omk.search.whoosh_index import WRITER_PROCS, WhooshIndex, create_generation

#: stage → the functions (file suffix, name) whose cumulative time it is; the first match
#: of each counts (a stage's functions do not call each other).
STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "German analysis (words to terms, per-process word cache)": (
        ("omk/search/analysis/words.py", "_words"),
    ),
    "adding documents (fields, postings into the pool, stored fields)": (
        ("omk/search/whoosh_pool.py", "add_document"),  # wraps Whoosh's own
    ),
    "writing the segment at commit (posting blocks, term index)": (
        ("whoosh/writing.py", "_finalize_segment"),
    ),
    '"Meinten Sie" word list (words.sqlite3)': (
        ("omk/search/suggestions.py", "add"),
        ("omk/search/suggestions.py", "finish"),
    ),
    "assembling documents (record to fields, stamp)": (
        ("omk/search/whoosh_index.py", "_document"),
    ),
}


__all__ = ["WRITER_PROCS", "IndexTiming", "report", "run"]


@dataclass
class IndexTiming:
    docs: int
    writers: int
    wall: float
    cpu: float
    load_before: float
    load_after: float
    peak_mb: int
    child_peak_mb: int
    stages: dict[str, float] = field(default_factory=dict)
    profiled_total: float = 0.0

    @property
    def cpu_ms_per_doc(self) -> float:
        return 1000 * self.cpu / self.docs


def _cumulative(stats: pstats.Stats, targets: tuple[tuple[str, str], ...]) -> float:
    total = 0.0
    table = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    for (filename, _, name), (_, _, _, cumulative, _) in table.items():
        if any(filename.endswith(suffix) and name == func for suffix, func in targets):
            total += cumulative
    return total


def run(docs: int, writers: int, profile: Path | None = None) -> IndexTiming:
    vocab = bench.vocabulary()
    batches = list(bench.corpus(vocab, docs))
    analysis.terms("Integrationskurse für Geflüchtete")  # load the dictionaries (not timed)
    with tempfile.TemporaryDirectory(prefix="omk-bench-index-") as tmp:
        root = Path(tmp) / "whoosh"
        generation = create_generation(root)
        engine = WhooshIndex(root)
        load_before = os.getloadavg()[0]
        profiler = cProfile.Profile(time.process_time) if profile else None
        clock = bench.Clock()
        if profiler:
            profiler.enable()
        engine.bulk_load(generation, batches, procs=writers)
        if profiler:
            profiler.disable()
        wall, cpu = clock.elapsed()
        engine.close()
    timing = IndexTiming(
        docs=docs,
        writers=writers,
        wall=wall,
        cpu=cpu,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        child_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    )
    if profiler and profile:
        profiler.dump_stats(str(profile))
        stats = pstats.Stats(profiler)
        timing.profiled_total = float(stats.total_tt)  # type: ignore[attr-defined]
        timing.stages = {name: _cumulative(stats, targets) for name, targets in STAGES.items()}
    return timing


def report(t: IndexTiming) -> str:
    lines = [
        f"{t.docs} practices, {t.writers} writer process(es): wall {t.wall:.1f} s, "
        f"CPU {t.cpu:.1f} s (writer processes included) = {t.cpu_ms_per_doc:.2f} ms per "
        f"practice; load average {t.load_before:.1f} → {t.load_after:.1f}; peak memory "
        f"{t.peak_mb} MB (largest writer process {t.child_peak_mb} MB)"
    ]
    if t.stages:
        lines.append(f"cProfile (CPU clock, this process): {t.profiled_total:.1f} s in all")
        analysed = t.stages[next(iter(STAGES))]
        for name, seconds in t.stages.items():
            share = 100 * seconds / t.profiled_total if t.profiled_total else 0.0
            lines.append(f"  {seconds:8.1f} s {share:5.1f} %  {name}")
        lines.append(f"  (adding documents includes the analysis' {analysed:.1f} s)")
    return "\n".join(lines)
