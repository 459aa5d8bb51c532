"""Search quality on the hand-judged evaluation set (issue 10, item 10).

    python -m tests.search.evaluate [--split dev|heldout|fresh|fresh2|fresh3|fresh4|all]
                                    [--database-url URL]

Builds an app on a throwaway SQLite database in a temporary folder (or, with
``--database-url`` / ``OMK_DATABASE_URL`` naming PostgreSQL, on that database: its public
schema is dropped and created again, so give it a throwaway one), imports the register,
publishes the 121 demo practices (``content/practices/practices.jsonl``, one report per
municipality in one cycle, through ``reports.import_document(..., publish=True)``), rebuilds
the search index from the database and runs every query of ``tests/search/eval/queries.yaml``
with its facets on each engine:

- ``omk`` — the product's search (``omk.search.service.search``, hit check included) on the
  Whoosh backend;
- ``omk-pg`` — the same on the PostgreSQL backend (``OMK_SEARCH_BACKEND=postgres``; only on
  PostgreSQL);
- ``fts5`` — plain SQLite FTS5 on the same documents, as a naive engine would run it: default
  ``unicode61`` tokenizer with ``remove_diacritics 2``, every query word required (AND),
  quoted phrases as FTS5 phrases, ``bm25()`` ranking, facets as SQL filters;
- ``whoosh-de`` — Whoosh out of the box: ``LanguageAnalyzer("de")`` (regex tokenizer,
  lowercase, German stop words, German Snowball stemmer), its query parser over the same
  fields (AND of the words, phrases in quotes), BM25F, facets as filter terms.

It prints nDCG@10 (gain = grade, ideal ranking from the judged grades) and recall@10 (over the
practices of grade >= 2) per split and per query kind. Tune, if at all, only on ``dev``.

A new backend (e.g. PostgreSQL, issue 10 item 8) is one more entry in :data:`ENGINES`: a
name and a function ``(app, documents) -> (query, facets) -> [demo ids, best first]``.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from tests.search.eval_sets import KINDS, SPLITS, TUNING, Query, load_queries

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "content" / "register" / "AuszugGV4QAktuell.csv"
CYCLE = "2025"
K = 10

#: The facet names of the evaluation set → the record fields the service filters on.
FACET_FIELDS = {
    "criterion": "criterion",
    "land": "land",
    "status": "status",
    "target_group": "target_groups",
    "actor_type": "actor_types",
}

Ranker = Callable[[Query], list[str]]


# --- the corpus ----------------------------------------------------------------------------


def build_app(folder: Path, database_url: str = "") -> Flask:
    """An app on a fresh database (SQLite inside ``folder`` unless ``database_url`` names a
    throwaway PostgreSQL database) and a search index inside ``folder``."""
    from sqlalchemy import text

    from omk import create_app
    from omk.extensions import Base, db

    postgres = database_url.startswith("postgresql")
    app = create_app(
        {
            "SECRET_KEY": "evaluation-only-secret-key-0123456789abcdef",
            "DATABASE_URL": database_url if postgres else f"sqlite:///{folder / 'omk.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SEARCH_INDEX": str(folder / "instance" / "search-index"),
            "MAIL_BACKEND": "file",
            "BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        if postgres:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(db.engine)
    return app


def publish_practices() -> dict[str, str]:
    """Import the register and publish every demo practice (one report per municipality);
    returns practice id (UUID) → demo id (``d001`` …). Needs an app context."""
    from flask import current_app

    from omk import demo
    from omk.policy import SYSTEM
    from omk.services import cycles, outbox, reports
    from omk.services.register_import import import_register

    import_register(REGISTER)
    cycles.create_cycle(
        None,
        CYCLE,
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2026, 3, 31),
        regions=[""],
        title="Evaluation",
    )
    cycle = cycles.get_cycle(CYCLE)
    template = current_app.extensions["omk_content"].template(cycle.template_version)
    optional = [c for c in template.indicator_codes() if c not in template.required_indicators()]
    by_ags: dict[str, list[demo.SourcePractice]] = {}
    for p in demo.load_practices():
        by_ags.setdefault(p.ags, []).append(p)
    ids: dict[str, str] = {}
    # One search update and one similarity run (embedding every practice once) at the end,
    # rather than after each of the 80+ publications.
    with outbox.deferred():
        for ags, items in by_ags.items():
            municipality = reports.resolve_municipality(ags)
            values = demo.synthetic_indicators(demo.profile_of(municipality), CYCLE, optional)
            doc = demo._document(ags, CYCLE, [p.practice for p in items], values)
            reports.import_document(SYSTEM, doc, publish=True)
            ids.update({p.practice["id"]: p.code for p in items})
    return ids


# --- the engines ---------------------------------------------------------------------------


def omk_engine(
    app: Flask, documents: list[dict[str, Any]], ids: dict[str, str], backend: str = "whoosh"
) -> Ranker:
    """The product's search, exactly as ``/suche`` calls it (first page of ten)."""
    from omk.search import service

    app.config["SEARCH_BACKEND"] = backend
    if backend != "whoosh":
        service.reindex()

    def rank(q: Query) -> list[str]:
        app.config["SEARCH_BACKEND"] = backend
        filters = {FACET_FIELDS[k]: [v] for k, v in q.facets.items()}
        results = service.search(q.text, filters=filters, per_page=K)
        return [ids.get(h.practice_id, h.practice_id) for h in results.hits]

    return rank


def omk_postgres_engine(app: Flask, documents: list[dict[str, Any]], ids: dict[str, str]) -> Ranker:
    """The product's search on the PostgreSQL backend (the app's database must be PostgreSQL)."""
    return omk_engine(app, documents, ids, backend="postgres")


FTS_FIELDS = ("title", "summary", "description", "outcomes", "transferability", "actors")


def _fts_query(text: str) -> str:
    """A naive user's query: quoted phrases kept as phrases, every other word required."""
    parts = [f'"{p}"' for p in re.findall(r'"([^"]+)"', text) if re.findall(r"\w+", p)]
    rest = re.sub(r'"[^"]*"', " ", text)
    parts += [f'"{w}"' for w in re.findall(r"\w+", rest)]
    return " AND ".join(parts)


def fts5_engine(app: Flask, documents: list[dict[str, Any]], ids: dict[str, str]) -> Ranker:
    """Plain SQLite FTS5 on the same documents; facets as SQL filters."""
    conn = sqlite3.connect(":memory:")
    columns = ", ".join(FTS_FIELDS)
    conn.execute(
        f"CREATE VIRTUAL TABLE docs USING fts5({columns}, tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "CREATE TABLE facets (rowid INTEGER PRIMARY KEY, code TEXT, criterion TEXT, land TEXT, "
        "status TEXT, target_groups TEXT, actor_types TEXT)"
    )
    for n, d in enumerate(documents, start=1):
        conn.execute(
            f"INSERT INTO docs (rowid, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (n, *(d[f] for f in FTS_FIELDS)),
        )
        conn.execute(
            "INSERT INTO facets VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                n,
                d["code"],
                d["criterion"],
                d["land"],
                d["status"],
                " " + " ".join(d["target_groups"]) + " ",
                " " + " ".join(d["actor_types"]) + " ",
            ),
        )

    def rank(q: Query) -> list[str]:
        match = _fts_query(q.text)
        if not match:
            return []
        where, args = ["docs MATCH ?"], [match]
        for key, value in q.facets.items():
            column = FACET_FIELDS[key]
            if column in ("target_groups", "actor_types"):
                where.append(f"f.{column} LIKE ?")
                args.append(f"% {value} %")
            else:
                where.append(f"f.{column} = ?")
                args.append(value)
        sql = (
            "SELECT f.code FROM docs JOIN facets f ON f.rowid = docs.rowid "
            f"WHERE {' AND '.join(where)} ORDER BY bm25(docs) LIMIT {K}"
        )
        return [row[0] for row in conn.execute(sql, args)]

    return rank


def whoosh_default_engine(
    app: Flask, documents: list[dict[str, Any]], ids: dict[str, str]
) -> Ranker:
    """Whoosh out of the box with its German stemming analyzer (in memory)."""
    from whoosh import query as wq
    from whoosh.analysis import LanguageAnalyzer
    from whoosh.fields import ID, KEYWORD, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.qparser import MultifieldParser

    german = LanguageAnalyzer("de")
    fields: dict[str, Any] = {name: TEXT(analyzer=german) for name in FTS_FIELDS}
    fields["code"] = ID(stored=True)
    for name in FACET_FIELDS.values():
        fields[name] = KEYWORD
    ix = RamStorage().create_index(Schema(**fields))
    writer = ix.writer()
    for d in documents:
        doc = {name: d[name] for name in FTS_FIELDS}
        doc["code"] = d["code"]
        for name in FACET_FIELDS.values():
            value = d[name]
            doc[name] = " ".join(value) if isinstance(value, list) else value
        writer.add_document(**doc)
    writer.commit()
    parser = MultifieldParser(list(FTS_FIELDS), ix.schema)
    searcher = ix.searcher()

    def rank(q: Query) -> list[str]:
        parsed = parser.parse(q.text)
        terms = [wq.Term(FACET_FIELDS[k], v) for k, v in q.facets.items()]
        found = searcher.search(parsed, limit=K, filter=wq.And(terms) if terms else None)
        return [hit["code"] for hit in found]

    return rank


#: name → engine factory. Add the PostgreSQL backend here once it exists (item 8).
ENGINES: dict[str, Callable[[Flask, list[dict[str, Any]], dict[str, str]], Ranker]] = {
    "omk": omk_engine,
    "omk-pg": omk_postgres_engine,
    "fts5": fts5_engine,
    "whoosh-de": whoosh_default_engine,
}


def indexed_documents(ids: dict[str, str]) -> list[dict[str, Any]]:
    """The documents the product indexes (its records), for the baselines."""
    from omk.search import records

    out = []
    for r in records.records(None):
        if not r.is_latest:
            continue
        out.append(
            {
                "code": ids.get(r.practice_id, r.practice_id),
                "title": r.title,
                "summary": r.summary,
                "description": r.description,
                "outcomes": r.outcomes,
                "transferability": r.transferability,
                "actors": r.actors,
                "criterion": r.criterion[0] if r.criterion else "",
                "land": r.land[0] if r.land else "",
                "status": r.status[0] if r.status else "",
                "target_groups": r.target_groups,
                "actor_types": r.actor_types,
            }
        )
    return out


# --- metrics -------------------------------------------------------------------------------


def ndcg(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    dcg = sum(grades.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    relevant = {d for d, g in grades.items() if g >= 2}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def report(
    queries: list[Query], runs: dict[str, dict[str, list[str]]], splits: Sequence[str]
) -> str:
    """The table: per split, per kind and overall, nDCG@10 and recall@10 of every engine."""
    names = list(runs)
    head = f"{'split':<8} {'kind':<20} {'n':>3}  " + "  ".join(
        f"{n + ' nDCG':>15} {'R@10':>6}" for n in names
    )
    lines = [head, "-" * len(head)]
    for split in splits:
        chosen = [q for q in queries if q.split == split]
        groups = [(kind, [q for q in chosen if q.kind == kind]) for kind in KINDS]
        groups.append(("all", chosen))
        for kind, group in groups:
            if not group:
                continue
            cells = []
            for name in names:
                nd = _mean([ndcg(runs[name][q.id], q.grades) for q in group])
                rc = _mean([recall(runs[name][q.id], q.grades) for q in group])
                cells.append(f"{nd:>15.3f} {rc:>6.3f}")
            lines.append(f"{split:<8} {kind:<20} {len(group):>3}  " + "  ".join(cells))
        lines.append("")
    return "\n".join(lines)


def evaluate(
    splits: Sequence[str], engines: Sequence[str] | None = None, database_url: str = ""
) -> str:
    queries = [q for q in load_queries() if q.split in splits]
    postgres = database_url.startswith("postgresql")
    chosen = [e for e in engines or ENGINES if postgres or e != "omk-pg"]
    with tempfile.TemporaryDirectory(prefix="omk-eval-") as tmp:
        app = build_app(Path(tmp), database_url)
        with app.app_context():
            from omk.extensions import db
            from omk.search import service

            started = time.perf_counter()
            ids = publish_practices()
            count = service.reindex()
            documents = indexed_documents(ids)
            print(
                f"{len(ids)} practices published, {count} versions indexed "
                f"in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            runs: dict[str, dict[str, list[str]]] = {}
            for name in chosen:
                rank = ENGINES[name](app, documents, ids)
                runs[name] = {q.id: rank(q) for q in queries}
            app.config["SEARCH_BACKEND"] = "whoosh"
            service.engine().close()
            db.session.remove()
            db.engine.dispose()
    return report(queries, runs, [s for s in SPLITS if s in splits])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split",
        choices=(*SPLITS, "all"),
        default="all",
        help="all = the splits tuned on; a blind reporting split (fresh3, fresh4) only by name",
    )
    parser.add_argument(
        "--engine", action="append", choices=list(ENGINES), help="only these (repeatable)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("OMK_DATABASE_URL", ""),
        help="a throwaway PostgreSQL database (its public schema is recreated): adds omk-pg",
    )
    args = parser.parse_args(argv)
    splits = TUNING if args.split == "all" else (args.split,)
    print(evaluate(splits, args.engine, args.database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
