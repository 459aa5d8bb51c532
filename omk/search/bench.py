"""Search speed benchmark (issue 10, item 11): ``omk bench search --docs 100000``.

A synthetic German corpus is drawn from the vocabulary of the demo practices
(``content/practices/practices.jsonl``): every word of a field is drawn from the demo's words
by a Zipf law over their frequency rank (s = 1.07), one word in ten from a set of compounds
built from the demo's nouns ("Sprachförderung" + "Lotse" → "Sprachförderungslotse"), so the
vocabulary grows with the corpus as a real one does. Field lengths follow the demo's
(title 5–12 words, summary 15–30, description 120–250, outcomes 30–100, transferability
30–80, 1–4 actors). Facets are copied from a randomly chosen demo practice (criterion,
fields, recommendations, target groups, actor types, status, Land and Kreis of its
municipality), so they are distributed like the demo; urbanisation, size class and cycle are
drawn with fixed weights. Everything is seeded: the same corpus and queries in every run.

The corpus is indexed with the product's writer (``create_generation`` + ``bulk_load``, no
database: records are built directly), then 200 fixed queries (1–3 words drawn from the
demo's nouns, half of them with a criterion and/or Land filter) run through
``service.parse`` + ``WhooshIndex.match`` — the matching, ranking and facet counting of
``service.search`` without the database check of the page's hits and without snippets. Each
query is timed once; there is no result cache (the reader and the facet arrays are cached
between queries, as in the app, and built by one warm-up query before timing). The same corpus
and queries then run on plain SQLite FTS5 (unicode61 with remove_diacritics 2, AND of the
words, bm25, top 20, total and criterion and Land counts by GROUP BY).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omk.paths import CONTENT_DIR
from omk.search.records import PracticeRecord

SEED = 20261206
BATCH = 1000
ZIPF_S = 1.07
COMPOUND_SHARE = 0.10
QUERIES = 200
PER_PAGE = 20
LENGTHS = {
    "title": (5, 12),
    "summary": (15, 30),
    "description": (120, 250),
    "outcomes": (30, 100),
    "transferability": (30, 80),
}
URBANISATION = (("1", 0.3), ("2", 0.4), ("3", 0.3))
SIZE_CLASSES = (
    ("unter_5000", 0.25),
    ("bis_20000", 0.30),
    ("bis_50000", 0.20),
    ("bis_100000", 0.10),
    ("bis_500000", 0.10),
    ("ab_500000", 0.05),
)
CYCLES = (("2024", 0.5), ("2025", 0.3), ("2026", 0.2))
_WORD = re.compile(r"[^\W\d_][\w-]*[^\W\d_]|[^\W\d_]")


@dataclass
class Vocabulary:
    """The demo's words by frequency (most frequent first), compounds, nouns and facets."""

    words: np.ndarray
    weights: np.ndarray
    compounds: np.ndarray
    compound_weights: np.ndarray
    nouns: list[str]
    noun_weights: list[float]
    templates: list[dict[str, Any]]
    actors: list[tuple[str, str]]


def _zipf(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** ZIPF_S
    return np.asarray(w / w.sum())


def vocabulary(path: Path | None = None) -> Vocabulary:
    rows = [
        json.loads(line)
        for line in (path or CONTENT_DIR / "practices" / "practices.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    counts: Counter[str] = Counter()
    for row in rows:
        for name in ("title", "summary", "description", "outcomes", "transferability"):
            counts.update(_WORD.findall(row.get(name) or ""))
    words = [w for w, _ in counts.most_common()]
    nouns = [w for w in words if w[0].isupper() and len(w) >= 5 and "-" not in w][:1500]
    rng = random.Random(SEED)  # noqa: S311 - a reproducible corpus, not a secret
    compounds = sorted(
        {
            a + ("s" if rng.random() < 0.3 and not a.endswith("s") else "") + b.lower()
            for a, b in (rng.sample(nouns[:600], 2) for _ in range(20000))
        }
    )
    rng.shuffle(compounds)
    templates = [
        {
            "criterion": [row["criterion"]],
            "fields": list(row.get("fields") or []),
            "recommendations": list(row.get("recommendations") or []),
            "land": [row["ags"][:2]],
            "kreis": [row["ags"][:5]],
            "actor_types": sorted({a["type"] for a in row.get("actors") or []}),
            "target_groups": list(row.get("target_groups") or []),
            "status": [row.get("status") or "active"],
            "ags": row["ags"],
            "name": row["municipality"],
        }
        for row in rows
    ]
    actors = [(a["name"], a["type"]) for row in rows for a in row.get("actors") or []]
    noun_counts = [counts[n] for n in nouns[:800]]
    return Vocabulary(
        words=np.asarray(words, dtype=object),
        weights=_zipf(len(words)),
        compounds=np.asarray(compounds, dtype=object),
        compound_weights=_zipf(len(compounds)),
        nouns=nouns[:800],
        noun_weights=[float(c) for c in noun_counts],
        templates=templates,
        actors=actors,
    )


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def corpus(vocab: Vocabulary, docs: int, seed: int = SEED) -> Iterator[list[PracticeRecord]]:
    """``docs`` synthetic practices in batches (the same for the same seed)."""
    for start in range(0, docs, BATCH):
        gen = np.random.default_rng([seed, start])
        rng = random.Random(seed * 1_000_003 + start)  # noqa: S311 - reproducible
        n = min(BATCH, docs - start)
        lengths = {
            name: gen.integers(low, high + 1, size=n) for name, (low, high) in LENGTHS.items()
        }
        total = int(sum(int(v.sum()) for v in lengths.values()))
        drawn = vocab.words[gen.choice(vocab.words.size, size=total, p=vocab.weights)]
        compound = gen.random(total) < COMPOUND_SHARE
        drawn[compound] = vocab.compounds[
            gen.choice(vocab.compounds.size, size=int(compound.sum()), p=vocab.compound_weights)
        ]
        pos = 0
        batch = []
        for i in range(n):
            text: dict[str, str] = {}
            for name in LENGTHS:
                k = int(lengths[name][i])
                text[name] = " ".join(drawn[pos : pos + k])
                pos += k
            t = vocab.templates[rng.randrange(len(vocab.templates))]
            actors = rng.sample(vocab.actors, rng.randint(1, 4))
            cycle = _weighted(rng, CYCLES)
            number = start + i
            batch.append(
                PracticeRecord(
                    practice_id=f"bench-{number:07d}",
                    cycle=cycle,
                    is_latest=True,
                    report_id=number,
                    revision_id=number,
                    ags=t["ags"],
                    municipality_key=t["ags"],
                    name=t["name"],
                    title=text["title"],
                    summary=text["summary"] + ".",
                    description=text["description"] + ".",
                    outcomes=text["outcomes"] + ".",
                    transferability=text["transferability"] + ".",
                    actors="\n".join(a for a, _ in actors),
                    period_end=f"{cycle}-12-31",
                    accepted_at=f"{cycle}-12-31T00:00:00",
                    criterion=list(t["criterion"]),
                    fields=list(t["fields"]),
                    recommendations=list(t["recommendations"]),
                    land=list(t["land"]),
                    kreis=list(t["kreis"]),
                    urbanisation=[_weighted(rng, URBANISATION)],
                    size_class=[_weighted(rng, SIZE_CLASSES)],
                    cycles=[cycle],
                    actor_types=sorted({ty for _, ty in actors} | set(t["actor_types"])),
                    target_groups=list(t["target_groups"]),
                    status=list(t["status"]),
                )
            )
        yield batch


@dataclass
class BenchQuery:
    text: str
    filters: dict[str, list[str]] = field(default_factory=dict)


def queries(vocab: Vocabulary, count: int = QUERIES, seed: int = SEED) -> list[BenchQuery]:
    """A fixed set of 1–3 word queries, half of them with a criterion and/or Land filter."""
    rng = random.Random(seed + 1)  # noqa: S311 - a fixed query set
    criteria = sorted({t["criterion"][0] for t in vocab.templates})
    lands = sorted({t["land"][0] for t in vocab.templates})
    out = []
    for i in range(count):
        words = rng.choices(vocab.nouns, weights=vocab.noun_weights, k=1 + i % 3)
        filters: dict[str, list[str]] = {}
        kind = i % 4
        if kind == 1:
            filters["criterion"] = [rng.choice(criteria)]
        elif kind == 2:
            filters["land"] = [rng.choice(lands)]
        elif kind == 3 and i % 8 == 3:
            filters = {"criterion": [rng.choice(criteria)], "land": [rng.choice(lands)]}
        out.append(BenchQuery(" ".join(dict.fromkeys(words)), filters))
    return out


# --- the engines -------------------------------------------------------------------------------


@dataclass
class Timing:
    """Indexing and query times of one engine: wall clock and this process's CPU time (on a
    shared machine the CPU time is the steadier figure)."""

    engine: str
    docs: int
    index_seconds: float
    index_cpu_seconds: float
    latencies_ms: list[float]
    cpu_ms: list[float]
    hits: list[int]
    hybrid_ms: list[float] = field(default_factory=list)
    hybrid_cpu_ms: list[float] = field(default_factory=list)
    #: PostgreSQL's own time per query (planning + execution of its statements, from
    #: pg_stat_statements), when the server has the extension loaded.
    server_ms: list[float] = field(default_factory=list)
    #: The index was reused from an earlier run (``--keep``): no indexing time.
    reused: bool = False
    #: Whoosh: again, postings cache warm; PostgreSQL: again, this process' posting lists kept
    warm_ms: list[float] = field(default_factory=list)
    warm_server_ms: list[float] = field(default_factory=list)
    warm_cpu_ms: list[float] = field(default_factory=list)
    #: Whoosh: each query once after the postings cache was emptied once (a fresh worker
    #: without the prefill: later queries find what earlier ones decoded)
    started_ms: list[float] = field(default_factory=list)
    started_cpu_ms: list[float] = field(default_factory=list)
    #: warm, the match ``/suche`` runs for the query, its levels too (``page_match``)
    page_ms: list[float] = field(default_factory=list)
    page_cpu_ms: list[float] = field(default_factory=list)
    #: warm, the page's two other matches (``time_browse``): each query newest first, and its
    #: filters without words; PostgreSQL also as one statement (the baseline, fewer queries)
    browse_ms: list[float] = field(default_factory=list)
    browse_cpu_ms: list[float] = field(default_factory=list)
    browse_statement_ms: list[float] = field(default_factory=list)
    browse_statement_cpu_ms: list[float] = field(default_factory=list)
    #: Whoosh: the same after the warm-up's prefill of the postings cache
    prefilled_ms: list[float] = field(default_factory=list)
    prefilled_cpu_ms: list[float] = field(default_factory=list)
    prefill: str = ""  # what the prefill decoded and its time

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.index_seconds if self.index_seconds else 0.0

    @property
    def docs_per_cpu_second(self) -> float:
        return self.docs / self.index_cpu_seconds if self.index_cpu_seconds else 0.0

    def percentile(self, p: float, cpu: bool = False) -> float:
        return float(np.percentile(np.asarray(self.cpu_ms if cpu else self.latencies_ms), p))


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the index writer's)."""
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


class Clock:
    """Wall clock and CPU time together."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = cpu_seconds()

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def machine() -> str:
    """The CPU model and the number of cores (benchmarks say where they ran)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        model = "unknown CPU"
    return f"{model or 'unknown CPU'}, {os.cpu_count()} cores"


def load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def _timed_batches(
    vocab: Vocabulary, docs: int, spent: list[float], progress: Callable[[int], None] | None
) -> Iterator[list[PracticeRecord]]:
    """The corpus, adding the time spent generating it to ``spent`` (wall, CPU): generating
    is not indexing."""
    it = corpus(vocab, docs)
    done = 0
    while True:
        clock = Clock()
        batch = next(it, None)
        wall, cpu = clock.elapsed()
        spent[0] += wall
        spent[1] += cpu
        if batch is None:
            return
        done += len(batch)
        if progress:
            progress(done)
        yield batch


def dense_store(docs: int, seed: int = SEED) -> Any:
    """Random unit vectors standing in for the stored e5 vectors of the synthetic corpus
    (one per practice, keyed as the corpus' records), or None without embeddings."""
    from omk.search import embeddings, ranking

    if not embeddings.embeddings_available():
        return None
    gen = np.random.default_rng(seed)
    matrix = gen.standard_normal((docs, embeddings.DIMENSIONS), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    keys = [(f"bench-{number:07d}", number) for number in range(docs)]
    return ranking.DenseStore(keys, matrix)


def backend_query(backend: Any, q: BenchQuery, limit: int) -> Any:
    """One benchmark query through a search backend: parse + match, relevance, first page."""
    from omk.search.service import parse

    return backend.match(
        parse(q.text), filters=q.filters, version=None, sort="relevance", offset=0, limit=limit
    )


def page_match(run: Callable[[list[Any], Any], Any], text: str) -> Any:
    """The match ``service.search`` runs for a relevance query, through ``run`` (parts,
    levels → the backend's match): the query with all alternatives and the levels ranked
    apart (``service.relevance_levels``: the words as typed, then with a compound's
    halves)."""
    from omk.search.service import parse, relevance_levels

    wide = parse(text, related=True)
    levels = relevance_levels(text, wide)
    return run(wide, levels if levels != [wide] else ())


#: Queries of the one-statement baseline in ``time_browse`` (hundreds of ms each at 100,000).
BROWSE_BASELINE = 40


def time_browse(
    qs: list[BenchQuery], run: Callable[[list[Any], dict[str, list[str]], str], Any]
) -> tuple[list[float], list[float]]:
    """The search page's matches besides relevance, through ``run`` (parts, filters, sort →
    the backend's match of a first page): each query newest first, and its filters without
    words (the page before anything is typed: every practice). Warm: after an untimed pass
    of the same; wall and CPU ms, two per query."""
    from omk.search.service import parse

    cases: list[tuple[list[Any], dict[str, list[str]], str]] = []
    for q in qs:
        cases.append((parse(q.text), q.filters, "newest"))
        cases.append(([], q.filters, "relevance"))
    latencies: list[float] = []
    cpus: list[float] = []
    for timed in (False, True):
        for parts, filters, sort in cases:
            clock = Clock()
            run(parts, filters, sort)
            wall, cpu = clock.elapsed()
            if timed:
                latencies.append(wall * 1000)
                cpus.append(cpu * 1000)
    return latencies, cpus


def time_hybrid(qs: list[BenchQuery], dense: Any, backend: Any) -> tuple[list[float], list[float]]:
    """Per query: the backend's lexical head of ``ranking.DEPTH`` results (facet counts
    included) plus ``ranking.rerank`` (the query embedded afresh, cosines over every stored
    vector, the fusion), as ``service.search`` does for a relevance query."""
    from omk.search import embeddings, ranking

    if dense is None:
        return [], []
    latencies, cpus = [], []
    for q in qs:
        embeddings.clear_query_cache()  # every query embedded, none from the cache
        clock = Clock()
        found = backend_query(backend, q, ranking.DEPTH)
        head = found.page[: ranking.DEPTH]
        keys = [(h.practice_id, h.revision_id) for h in head]
        ranking.rerank(q.text, head, keys, found.complete, vectors=dense)
        wall, cpu = clock.elapsed()
        latencies.append(wall * 1000)
        cpus.append(cpu * 1000)
    return latencies, cpus


def _time_queries(
    qs: list[BenchQuery], one: Callable[[BenchQuery], int], before: Callable[[], None] | None = None
) -> tuple[list[float], list[float], list[int]]:
    """Each query timed once (wall and CPU ms) with ``before`` run untimed before it; hits."""
    latencies, cpus, hits = [], [], []
    for q in qs:
        if before is not None:
            before()
        clock = Clock()
        hits.append(one(q))
        wall, cpu = clock.elapsed()
        latencies.append(wall * 1000)
        cpus.append(cpu * 1000)
    return latencies, cpus, hits


def _marker(folder: Path, engine: str) -> Path:
    return folder / f"{engine}.bench.json"


def _reusable(folder: Path, engine: str, docs: int) -> bool:
    """Whether ``folder`` (``--keep-index``) holds this engine's index of this corpus."""
    marker = _marker(folder, engine)
    if not marker.exists():
        return False
    found = json.loads(marker.read_text(encoding="utf-8"))
    return bool(found == {"docs": docs, "seed": SEED})


def _built(folder: Path, engine: str, docs: int) -> None:
    _marker(folder, engine).write_text(json.dumps({"docs": docs, "seed": SEED}), encoding="utf-8")


def bench_whoosh(
    vocab: Vocabulary,
    docs: int,
    qs: list[BenchQuery],
    folder: Path,
    progress: Callable[[int], None] | None = None,
    hybrid: bool = True,
) -> Timing:
    from omk.search import analysis
    from omk.search.service import parse
    from omk.search.whoosh_backend import WhooshBackend, whoosh_levels, whoosh_query
    from omk.search.whoosh_index import WhooshIndex, create_generation, make_current

    analysis.terms("Integrationskurse für Geflüchtete")  # load the dictionaries (not timed)
    root = folder / "whoosh"
    engine = WhooshIndex(root)
    spent = [0.0, 0.0]
    wall = cpu = float("nan")
    if not _reusable(folder, "whoosh", docs):
        shutil.rmtree(root, ignore_errors=True)
        generation = create_generation(root)
        clock = Clock()
        engine.bulk_load(generation, _timed_batches(vocab, docs, spent, progress))
        wall, cpu = clock.elapsed()
        make_current(root, generation)
        _built(folder, "whoosh", docs)
    engine.match([], filters={}, version=None, sort="relevance", offset=0, limit=PER_PAGE)

    def one(q: BenchQuery) -> int:
        parts = parse(q.text)
        found = engine.match(
            [whoosh_query(p) for p in parts],
            filters=q.filters,
            version=None,
            sort="relevance",
            offset=0,
            limit=PER_PAGE,
            ranking=parts,
        )
        return found.total

    # Cold: the decoded postings cache emptied before each query (every posting list read
    # from the index files); warm: the same queries again after one untimed pass that
    # filled the cache (no result is cached either way).
    latencies, cpus, hits = _time_queries(qs, one, engine.clear_postings)
    timing = Timing("whoosh (omk)", docs, wall - spent[0], cpu - spent[1], latencies, cpus, hits)
    # Started: the cache emptied once, then each query once, as the first queries of a
    # freshly started worker; prefilled: the same after the warm-up's prefill (timed apart).
    engine.clear_postings()
    timing.started_ms, timing.started_cpu_ms, _ = _time_queries(qs, one)
    engine.clear_postings()
    filled = engine.prefill_postings()
    timing.prefill = (
        f"{filled['lists']} lists, {filled['bytes'] / 2**20:.0f} MB decoded in "
        f"{filled['wall']:.1f} s (CPU {filled['cpu']:.1f} s)"
    )
    timing.prefilled_ms, timing.prefilled_cpu_ms, _ = _time_queries(qs, one)
    engine.clear_postings()
    for q in qs:
        one(q)
    timing.warm_ms, timing.warm_cpu_ms, _ = _time_queries(qs, one)

    def as_page(q: BenchQuery) -> int:
        from omk.search import ranking

        def run(parts: list[Any], levels: Any) -> Any:
            return engine.match(
                [whoosh_query(p) for p in parts],
                filters=q.filters,
                version=None,
                sort="relevance",
                offset=0,
                limit=ranking.DEPTH,
                ranking=parts,
                levels=whoosh_levels(levels),
            )

        return int(page_match(run, q.text).total)

    for q in qs:  # warm for these matches too: their related words' lists decoded once
        as_page(q)
    timing.page_ms, timing.page_cpu_ms, _ = _time_queries(qs, as_page)

    def browse(parts: list[Any], filters: dict[str, list[str]], sort: str) -> Any:
        return engine.match(
            [whoosh_query(p) for p in parts],
            filters=filters,
            version=None,
            sort=sort,
            offset=0,
            limit=PER_PAGE,
            ranking=parts,
        )

    timing.browse_ms, timing.browse_cpu_ms = time_browse(qs, browse)
    engine.close()
    if hybrid:
        backend = WhooshBackend(root)
        timing.hybrid_ms, timing.hybrid_cpu_ms = time_hybrid(qs, dense_store(docs), backend)
        backend.close()
    return timing


FTS_TEXT = ("title", "summary", "description", "outcomes", "transferability", "actors")


INSERT_FTS = (
    "INSERT INTO docs (rowid, title, summary, description, outcomes, transferability, actors) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _fts_match(text: str) -> str:
    return " AND ".join(f'"{w}"' for w in _WORD.findall(text))


def _fill_fts5(conn: sqlite3.Connection, batches: Iterator[list[PracticeRecord]]) -> None:
    conn.execute(
        f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(FTS_TEXT)}, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("CREATE TABLE facets (rowid INTEGER PRIMARY KEY, criterion TEXT, land TEXT)")
    rowid = 0
    for batch in batches:
        rows = []
        for r in batch:
            rowid += 1
            rows.append((rowid, *(getattr(r, f) for f in FTS_TEXT)))
        conn.executemany(INSERT_FTS, rows)
        first = rowid - len(batch) + 1
        conn.executemany(
            "INSERT INTO facets VALUES (?, ?, ?)",
            [(first + n, r.criterion[0], r.land[0]) for n, r in enumerate(batch)],
        )
    conn.execute("CREATE INDEX facets_criterion ON facets (criterion)")
    conn.execute("CREATE INDEX facets_land ON facets (land)")
    conn.commit()


def bench_fts5(
    vocab: Vocabulary,
    docs: int,
    qs: list[BenchQuery],
    folder: Path,
    progress: Callable[[int], None] | None = None,
) -> Timing:
    spent = [0.0, 0.0]
    wall = cpu = float("nan")
    if _reusable(folder, "fts5", docs):
        conn = sqlite3.connect(folder / "fts5.sqlite3")
    else:
        (folder / "fts5.sqlite3").unlink(missing_ok=True)
        conn = sqlite3.connect(folder / "fts5.sqlite3")
        clock = Clock()
        _fill_fts5(conn, _timed_batches(vocab, docs, spent, progress))
        wall, cpu = clock.elapsed()
        _built(folder, "fts5", docs)

    def one(q: BenchQuery) -> int:
        where, args = ["docs MATCH ?"], [_fts_match(q.text)]
        for facet in ("criterion", "land"):
            if facet in q.filters:
                where.append(f"f.{facet} = ?")
                args.append(q.filters[facet][0])
        clause = " AND ".join(where)
        base = f"FROM docs JOIN facets f ON f.rowid = docs.rowid WHERE {clause}"
        ranked = f"SELECT docs.rowid {base} ORDER BY bm25(docs) LIMIT {PER_PAGE}"
        conn.execute(ranked, args).fetchall()
        total = conn.execute(f"SELECT count(*) {base}", args).fetchone()[0]
        for facet in ("criterion", "land"):
            conn.execute(f"SELECT f.{facet}, count(*) {base} GROUP BY f.{facet}", args).fetchall()
        return int(total)

    latencies, cpus, hits = _time_queries(qs, one)
    conn.close()
    return Timing("sqlite fts5", docs, wall - spent[0], cpu - spent[1], latencies, cpus, hits)


ENGINES = ("whoosh", "fts5")
ALL_ENGINES = ("whoosh", "postgres", "fts5")


def run(
    docs: int,
    progress: Callable[[str, int], None] | None = None,
    engines: tuple[str, ...] = ENGINES,
    database_url: str = "",
    hybrid: bool = True,
    keep: str = "",
    keep_index: Path | None = None,
) -> list[Timing]:
    """Generate, index and query on every engine; the index folders are thrown away unless
    ``keep_index`` names a folder, where an index of the same corpus is reused (not timed) or
    built and kept. ``hybrid``: also time the hybrid ranking (when the embedding model
    loads). ``keep``: the PostgreSQL schema to keep after the run and to reuse when it
    already holds the corpus."""
    from omk.search.bench_pg import bench_postgres

    vocab = vocabulary()
    qs = queries(vocab)
    timings = []
    with tempfile.TemporaryDirectory(prefix="omk-bench-") as tmp:
        folder = Path(tmp)
        if keep_index is not None:
            keep_index.mkdir(parents=True, exist_ok=True)
            folder = keep_index
        for name in ALL_ENGINES:
            if name not in engines:
                continue
            step = (lambda n, name=name: progress(name, n)) if progress else None
            if name == "postgres":
                timings.append(bench_postgres(vocab, docs, qs, database_url, step, hybrid, keep))
            elif name == "whoosh":
                timings.append(bench_whoosh(vocab, docs, qs, folder, step, hybrid))
            else:
                timings.append(bench_fts5(vocab, docs, qs, folder, step))
    return timings


def _latency_table(title: str, rows: list[tuple[str, list[float], list[float]]]) -> list[str]:
    """A table of wall and CPU p50 / p95 / p99 per engine (ms)."""
    lines = [
        "",
        f"{title:<14} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'cpu p50':>7} {'cpu p95':>7} {'cpu p99':>7}",
    ]
    for engine, wall, cpu in rows:
        cells = [float(np.percentile(np.asarray(v), p)) for v in (wall, cpu) for p in (50, 95, 99)]
        lines.append(f"{engine:<14} " + " ".join(f"{c:>7.1f}" for c in cells))
    return lines


def table(timings: list[Timing]) -> str:
    """Indexing (wall and CPU) and query latency (wall p50/p95/p99, CPU p50/p95) per engine."""
    head = (
        f"{'engine':<14} {'docs':>7} {'index s':>8} {'docs/s':>7} {'cpu s':>7} {'docs/cpu-s':>10}"
        f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'cpu p50':>7} {'cpu p95':>7} {'hits':>6}"
    )
    lines = [head, "-" * len(head)]
    for t in timings:
        lines.append(
            f"{t.engine:<14} {t.docs:>7} {t.index_seconds:>8.1f} {t.docs_per_second:>7.0f} "
            f"{t.index_cpu_seconds:>7.1f} {t.docs_per_cpu_second:>10.0f} "
            f"{t.percentile(50):>7.1f} {t.percentile(95):>7.1f} {t.percentile(99):>7.1f} "
            f"{t.percentile(50, True):>7.1f} {t.percentile(95, True):>7.1f} "
            f"{statistics.mean(t.hits):>6.0f}"
        )
    server = [t for t in timings if t.server_ms]
    if server:
        lines.append("")
        lines.append(f"{'server side':<14} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}")
        for name, ms in [(t.engine, t.server_ms) for t in server] + [
            (f"{t.engine[:9]} warm", t.warm_server_ms) for t in server if t.warm_server_ms
        ]:
            lines.append(
                f"{name:<14} {np.percentile(ms, 50):>7.1f} {np.percentile(ms, 95):>7.1f} "
                f"{np.percentile(ms, 99):>7.1f} {max(ms):>7.1f}"
            )
        lines.append(
            "(server side: PostgreSQL's planning + execution time of the query's statements,"
            " from pg_stat_statements)"
        )
    if any(t.reused for t in timings):
        lines.append("(index reused from an earlier run (--keep): indexing not timed)")
    prefilled = [(t.engine, t.prefilled_ms, t.prefilled_cpu_ms) for t in timings if t.prefill]
    if prefilled:
        started = [(t.engine, t.started_ms, t.started_cpu_ms) for t in timings if t.prefill]
        lines.extend(_latency_table("started", started))
        lines.extend(_latency_table("prefilled", prefilled))
        lines.extend(f"(prefill, {t.engine}: {t.prefill})" for t in timings if t.prefill)
    warm = [(t.engine, t.warm_ms, t.warm_cpu_ms) for t in timings if t.warm_ms]
    if warm:
        lines.extend(_latency_table("warm", warm))
        lines.append(
            "(Whoosh above: the decoded postings cache emptied before each query; started: "
            "emptied once, then each query once, as a fresh worker without the prefill; "
            "prefilled: the same after the warm-up's prefill of the most frequent terms' "
            "lists; warm: the same queries again after an untimed pass filled it; "
            "PostgreSQL: first as a fresh server process (started), its posting lists read "
            "as the queries need them; prefilled: another fresh process after the warm-up's "
            "prefill of the most common lexemes' lists; warm: the same queries again with "
            "the lists the first kept; no result cache in any)"
        )
    page = [(t.engine, t.page_ms, t.page_cpu_ms) for t in timings if t.page_ms]
    if page:
        lines.extend(_latency_table("as /suche", page))
        lines.append(
            "(as /suche: warm (after an untimed pass of the same), the match the search "
            "page runs for the query — all alternatives, the levels ranked apart in it: "
            "the words as typed, then with a compound's halves — 100 deep (the hybrid's "
            "lexical head), without the rerank)"
        )
    browse = [(t.engine, t.browse_ms, t.browse_cpu_ms) for t in timings if t.browse_ms]
    browse += [
        (f"{t.engine[:8]} stmt", t.browse_statement_ms, t.browse_statement_cpu_ms)
        for t in timings
        if t.browse_statement_ms
    ]
    if browse:
        lines.extend(_latency_table("newest / all", browse))
        lines.append(
            "(newest / all: warm, each query newest first and its filters without words (the "
            "search page before anything is typed), 20 per page with all facet counts; "
            f'"stmt": the same as one PostgreSQL statement, first {BROWSE_BASELINE} queries, '
            "the way before session 11)"
        )
    hybrid = [(t.engine, t.hybrid_ms, t.hybrid_cpu_ms) for t in timings if t.hybrid_ms]
    if hybrid:
        lines.extend(_latency_table("hybrid", hybrid))
        lines.append(
            "(hybrid: the same queries again, each with the backend's first 100 results and "
            "their facet counts plus ranking.rerank: the query embedded afresh with e5, "
            "cosines over one random stored vector per document, the fusion)"
        )
    lines.append(
        "(Whoosh: service.parse + WhooshIndex.match, PostgreSQL: service.parse + "
        "PostgresBackend.match, both with all facet counts, without the database "
        "check of the hits; FTS5: AND of the words, bm25 top 20, total, criterion and Land "
        "counts; every query timed once; hits = mean matches per query; CPU includes the "
        "index writer's processes, not PostgreSQL's; index figures nan: a kept index reused)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_p99 = ", ".join(f"{t.engine} {t.percentile(99, True):.1f}" for t in timings)
    lines.append(f"cpu p99 ms: {cpu_p99}; peak RSS of this process: {peak:.0f} MB")
    return "\n".join(lines)
