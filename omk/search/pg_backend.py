"""The PostgreSQL engine (``OMK_SEARCH_BACKEND=postgres``): several application servers share
one search without sharing an index folder.

PostgreSQL's own German text search cannot split compounds and its ``german`` stemmer has the
Snowball trap (Integrationskurs/Integrationskurse), so the terms come from the same Python
analysis as Whoosh's (:func:`omk.search.analysis.analyze`: lemmas, folding, compound parts at
the word's position) and are stored as a ``tsvector`` cast from a literal — no configuration
touches them — in ``search_document.terms`` with a GIN index. Fields keep their weight
(title A, summary B, body C, actors D) and are two positions apart, so a phrase never spans
two fields (as in Whoosh, where each is a field of its own).

Matching is Whoosh's (:mod:`omk.search.backend`): each query part becomes a ``tsquery``
(alternatives ``|``, terms of an alternative ``&``, phrases ``<->``); the tier of a document
is the number of parts it matches. One statement matches, counts the tiers and every facet
value exactly; a second ranks only the tiers the page needs: within a tier by the sum over
parts of idf × ``ts_rank`` (field weights 3 : 1.5 : 1 : 1 as Whoosh's boosts, length
normalised), a title phrase counting ten times as in Whoosh.

Writing: the outbox consumer ``search`` replaces a lineage's rows in one transaction; one
writer at a time (a transaction-level advisory lock, tried without waiting: a busy writer
leaves its entries pending, as with Whoosh). ``rebuild`` replaces everything in one
transaction: searches see the old rows until it commits.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from omk.search import pg_load
from omk.search.analysis.words import _words
from omk.search.backend import HitRef, Match, QueryPart
from omk.search.records import FACETS, PracticeRecord
from omk.search.suggestions import MAX_WORD, document_words

# SQL here is assembled from constants and numbered placeholders only (``:q0``, ``:facet1``);
# every value is bound (hence the ``noqa: S608`` below).

#: Advisory lock naming the search writer (the outbox producers use 0x6F6D6B01).
WRITER_LOCK = 0x6F6D6B02
#: ts_rank weights {D, C, B, A}: actors, body, summary, title as Whoosh's boosts 1, 1, 1.5, 3.
WEIGHTS = "{0.3333, 0.3333, 0.5, 1.0}"
#: ts_rank normalisation 1: divide by 1 + log(document length), as BM25 damps long texts.
NORMALISATION = 1
TITLE_PHRASE_BOOST = 10.0
MAX_POSITION = 16383  # PostgreSQL keeps positions up to this value


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


#: term → its quoted lexeme (a reindex quotes the same terms again and again)
_lexemes: dict[str, str] = {}


def document_terms(record: PracticeRecord) -> str:
    """The record's terms as a tsvector literal: title A, summary B, body C, actors D.

    Walks the analysis' word positions directly (``analyze`` without its tokens): this runs
    for every document of a reindex."""
    positions: dict[str, list[str]] = {}
    start = 0
    for value, weight in (
        (record.title, "A"),
        (record.summary, "B"),
        (_body(record), "C"),
        (record.actors, "D"),
    ):
        last = start
        for pos, (_, _, found) in enumerate(_words(value, "index"), start + 1):
            entry = f"{min(pos, MAX_POSITION)}{weight}"
            for term, _kind in found:
                where = positions.get(term)
                if where is None:
                    positions[term] = [entry]
                elif where[-1] != entry:
                    where.append(entry)
            last = pos
        start = last + 1  # the next field starts two positions further: no phrase spans fields
    if len(_lexemes) > 500_000:
        _lexemes.clear()
    lexemes = _lexemes
    out = []
    for term, where in positions.items():
        quoted = lexemes.get(term)
        if quoted is None:
            quoted = lexemes[term] = _lexeme(term)
        out.append(quoted + ":" + ",".join(where))
    return " ".join(out)


def _body(record: PracticeRecord) -> str:
    return "\n\n".join(
        t for t in (record.description, record.outcomes, record.transferability) if t
    )


def document_facets(record: PracticeRecord) -> list[str]:
    return [f"{name}={value}" for name in FACETS for value in getattr(record, name)]


def _row(record: PracticeRecord) -> dict[str, Any]:
    return {
        "key": record.key,
        "practice_id": record.practice_id,
        "version": record.cycle,
        "latest": record.is_latest,
        "revision_id": record.revision_id,
        "stamp": record.stamp,
        "period_end": int(record.period_end.replace("-", "")),
        "facets": document_facets(record),
        "words": document_words(record),
        "terms": document_terms(record),
    }


_INSERT = text(
    "INSERT INTO search_document (key, practice_id, version, latest, revision_id, stamp,"
    " period_end, facets, words, terms) VALUES (:key, :practice_id, :version, :latest,"
    " :revision_id, :stamp, :period_end, :facets, :words, CAST(:terms AS tsvector))"
)


def part_query(part: QueryPart) -> str:
    """The tsquery (as text) of one query part."""
    if part.is_phrase:
        return " <-> ".join(_lexeme(t) for t in part.phrase)
    if part.phrase:
        return _lexeme(part.phrase[0])
    return " | ".join(
        "(" + " & ".join(_lexeme(t) for t in alt) + ")" for alt in part.alternatives if alt
    )


def _idf(total: int, hits: int) -> float:
    """Whoosh's idf (``WeightingModel.idf``): log(N / (n + 1)) + 1."""
    return math.log(max(total, 1) / (hits + 1)) + 1.0


class PostgresBackend:
    """The ``search_document`` table of the app's PostgreSQL database."""

    name = "postgres"

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise RuntimeError(
                "OMK_SEARCH_BACKEND=postgres needs a PostgreSQL database (OMK_DATABASE_URL);"
                " with SQLite search uses Whoosh"
            )
        self.engine = engine
        self._fuzzy: bool | None = None

    # the table

    def ensure(self) -> None:
        """The tables come with the migrations; nothing to create here."""

    def where(self) -> str:
        return (
            f"PostgreSQL {self.engine.url.render_as_string(hide_password=True)} (search_document)"
        )

    def problem(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1 FROM search_document LIMIT 1"))
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"
        return None

    def close(self) -> None:
        """Connections belong to the app's engine (its pool)."""

    # writing

    def apply(self, lineages: Iterable[str], records: Sequence[PracticeRecord]) -> bool:
        lineages = sorted(set(lineages) | {r.practice_id for r in records})
        with self.engine.begin() as conn:
            locked = conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": WRITER_LOCK}
            )
            if not locked:
                return False
            words: Counter[str] = Counter()
            if lineages:
                removed = conn.execute(
                    text(
                        "DELETE FROM search_document WHERE practice_id = ANY(:ids) RETURNING words"
                    ),
                    {"ids": lineages},
                )
                for (old,) in removed:
                    words.subtract(old)
            rows = [_row(r) for r in records]
            if rows:
                conn.execute(_INSERT, rows)
            for row in rows:
                words.update(row["words"])
            _count_words(conn, words)
        return True

    def rebuild(self, batches: Iterable[Sequence[PracticeRecord]]) -> int:
        """Replace every document: COPY into fresh tables beside the live ones, build their
        indexes, swap (:mod:`omk.search.pg_load`), all in one transaction."""
        count = 0
        words: Counter[str] = Counter()
        with self.engine.begin() as conn:
            # Wait for a writer in progress; later ones find the lock taken and leave their
            # entries pending (the reindex applies them again once it has committed).
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
            # Derived data, rebuilt from the database whenever lost: no need to wait for the
            # WAL flush of this transaction.
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            schema, fresh = pg_load.fresh_table(conn, "search_document")

            def chunks() -> Iterable[str]:
                nonlocal count
                for lines, batch_words, size in pg_load.analysed(batches, _row):
                    words.update(batch_words)
                    count += size
                    yield lines

            pg_load.copy_into(conn, fresh, pg_load.DOCUMENT_COLUMNS, chunks())
            pg_load.swap(conn, schema, "search_document")
            _, fresh_words = pg_load.fresh_table(conn, "search_word")
            pg_load.copy_into(conn, fresh_words, ("word", "documents"), pg_load.word_lines(words))
            pg_load.swap(conn, schema, "search_word")
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE search_document, search_word")
            )
        return count

    # reading

    def stamps(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {
                str(k): str(s)
                for k, s in conn.execute(text("SELECT key, stamp FROM search_document"))
            }

    def doc_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM search_document")) or 0)

    def match(
        self,
        parts: Sequence[QueryPart],
        *,
        filters: dict[str, list[str]],
        version: str | None,
        sort: str,
        offset: int,
        limit: int,
    ) -> Match:
        params: dict[str, Any] = {}
        where = ["d.latest"] if version is None else ["d.version = :version"]
        if version is not None:
            params["version"] = version
        for n, (facet, wanted) in enumerate(sorted(filters.items())):
            if wanted:
                # values of one facet are alternatives; facets combine
                where.append(f"d.facets && CAST(:facet{n} AS text[])")
                params[f"facet{n}"] = [f"{facet}={v}" for v in wanted]
        queries = [part_query(p) for p in parts]
        for n, q in enumerate(queries):
            params[f"q{n}"] = q
        matched = _matched(len(queries), where)
        group = ", ".join(f"m{n}" for n in range(len(queries)))
        nulls = ", ".join("NULL::boolean" for _ in queries)
        counting = (
            f"{matched} SELECT NULL::text AS facet{', ' + group if group else ''}, count(*)"  # noqa: S608
            f" FROM m{' GROUP BY ' + group if group else ''}"
            f" UNION ALL SELECT f{', ' + nulls if nulls else ''}, count(*)"
            " FROM m, unnest(m.facets) AS f GROUP BY f"
        )
        total = complete = 0
        part_hits = [0] * len(parts)
        tiers: Counter[int] = Counter()
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        with self.engine.connect() as conn:
            # Evaluating @@ row by row reads (and decompresses) every candidate's tsvector; the
            # GIN index answers each part without that, but the planner underrates the cost.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            for row in conn.execute(text(counting), params):
                value, flags_of, n = row[0], row[1:-1], int(row[-1])
                if value is not None:
                    name, _, facet_value = str(value).partition("=")
                    if name in facets:
                        facets[name][facet_value] = n
                    continue
                hits = [bool(f) for f in flags_of]
                total += n
                tiers[sum(hits)] += n
                for k, hit in enumerate(hits):
                    part_hits[k] += n if hit else 0
            complete = tiers[len(parts)] if parts else total
            page = (
                self._page(conn, parts, matched, params, tiers, part_hits, sort, offset, limit)
                if total > offset
                else []
            )
        return Match(total, complete, len(parts), page, facets, part_hits)

    def _documents(self, conn: Connection) -> int:
        """How many documents the table holds (the planner's estimate when large)."""
        estimate = conn.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'search_document'::regclass")
        )
        if estimate is not None and int(estimate) >= 10_000:
            return int(estimate)
        return int(conn.scalar(text("SELECT count(*) FROM search_document WHERE latest")) or 0)

    def _page(
        self,
        conn: Connection,
        parts: Sequence[QueryPart],
        matched: str,
        params: dict[str, Any],
        tiers: Counter[int],
        part_hits: list[int],
        sort: str,
        offset: int,
        limit: int,
    ) -> list[HitRef]:
        params = {**params, "offset": offset, "limit": limit}
        tier = " + ".join(f"m{n}::int" for n in range(len(parts)))
        if not parts or sort == "newest":
            order = f"period_end DESC, {tier} DESC, key" if parts else "period_end DESC, key"
            sql = (
                f"{matched} SELECT practice_id, version, revision_id, 0.0 FROM m"  # noqa: S608
                f" ORDER BY {order} LIMIT :limit OFFSET :offset"
            )
        else:
            # Rank only the tiers the page reaches into.
            wanted, seen, lowest = offset + limit, 0, 1
            for level in range(len(parts), 0, -1):
                seen += tiers.get(level, 0)
                if seen >= wanted:
                    lowest = level
                    break
            documents = max(self._documents(conn), max(part_hits, default=0))
            scores = []
            for n, part in enumerate(parts):
                params[f"idf{n}"] = _idf(documents, part_hits[n])
                scores.append(
                    f"CAST(:idf{n} AS float8)"
                    f" * ts_rank('{WEIGHTS}', d.terms, CAST(:q{n} AS tsquery), {NORMALISATION})"
                )
                if part.is_phrase:
                    params[f"t{n}"] = " <-> ".join(f"{_lexeme(t)}:A" for t in part.phrase)
                    # ts_rank ignores the weight restriction: rank only a title that matches.
                    scores.append(
                        f"CASE WHEN d.terms @@ CAST(:t{n} AS tsquery) THEN"
                        f" CAST(:idf{n} AS float8) * {TITLE_PHRASE_BOOST}"
                        f" * ts_rank('{WEIGHTS}', d.terms, CAST(:t{n} AS tsquery), {NORMALISATION})"
                        " ELSE 0 END"
                    )
            params["lowest"] = lowest
            sql = (
                f"{matched} SELECT practice_id, version, revision_id, score FROM ("  # noqa: S608
                f" SELECT m.key, m.practice_id, m.version, m.revision_id, {tier} AS tier,"
                f" {' + '.join(scores)} AS score"
                " FROM m JOIN search_document AS d ON d.key = m.key"
                f" WHERE {tier} >= :lowest) AS r"
                " ORDER BY tier DESC, score DESC, key LIMIT :limit OFFSET :offset"
            )
        return [
            HitRef(str(p), str(v), int(r), float(s))
            for p, v, r, s in conn.execute(text(sql), params)
        ]

    def suggest(self, word: str) -> str | None:
        if not word or len(word) > MAX_WORD:
            return None
        with self.engine.connect() as conn:
            if not self._has_fuzzy(conn):
                return None
            found = conn.scalar(
                text(
                    "SELECT word FROM search_word"
                    " WHERE length(word) BETWEEN :shortest AND :longest"
                    " AND levenshtein_less_equal(word, :word, 2) <= 2"
                    " ORDER BY levenshtein(word, :word), documents DESC, word LIMIT 1"
                ),
                {"word": word, "shortest": len(word) - 2, "longest": len(word) + 2},
            )
        return str(found) if found is not None else None

    def _has_fuzzy(self, conn: Connection) -> bool:
        """fuzzystrmatch (levenshtein) is there; created on first use where the migration
        did not run (a schema made by ``create_all``)."""
        if self._fuzzy is None:
            present = conn.scalar(
                text("SELECT count(*) FROM pg_extension WHERE extname = 'fuzzystrmatch'")
            )
            if not present:
                try:
                    with self.engine.begin() as ddl:
                        ddl.execute(text("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch"))
                    present = 1
                except Exception:
                    present = 0
            self._fuzzy = bool(present)
        return self._fuzzy


def _matched(parts: int, where: list[str]) -> str:
    """``WITH`` clauses ending in ``m``: the matching documents with a flag per query part.

    Each part's documents come from the GIN index (``p<n>``) rather than from evaluating
    ``@@`` on every candidate row."""
    ctes = [
        f"p{n} AS MATERIALIZED (SELECT key FROM search_document"  # noqa: S608
        f" WHERE terms @@ CAST(:q{n} AS tsquery))"
        for n in range(parts)
    ]
    flags = "".join(f", (d.key IN (SELECT key FROM p{n})) AS m{n}" for n in range(parts))  # noqa: S608
    condition = list(where)
    if parts:
        union = " UNION ".join(f"SELECT key FROM p{n}" for n in range(parts))  # noqa: S608
        condition.append(f"d.key IN ({union})")
    ctes.append(
        "m AS MATERIALIZED (SELECT d.key, d.practice_id, d.version, d.revision_id,"  # noqa: S608
        f" d.period_end, d.facets{flags} FROM search_document AS d"
        f" WHERE {' AND '.join(condition)})"
    )
    return "WITH " + ", ".join(ctes)


def _count_words(conn: Connection, delta: Counter[str]) -> None:
    changes = [{"word": w, "n": n} for w, n in sorted(delta.items()) if n]
    if not changes:
        return
    conn.execute(
        text(
            "INSERT INTO search_word (word, documents) VALUES (:word, :n)"
            " ON CONFLICT (word) DO UPDATE"
            " SET documents = search_word.documents + excluded.documents"
        ),
        changes,
    )
    conn.execute(text("DELETE FROM search_word WHERE documents <= 0"))
