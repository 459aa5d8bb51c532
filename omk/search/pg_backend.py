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
is the number of parts it matches. One statement (:func:`_statement`) matches, counts the
tiers and every facet value exactly and ranks only the tiers the page needs: within a tier by
the sum over parts of idf × ``ts_rank`` (field weights 3 : 1.5 : 1 : 1 as Whoosh's boosts,
length normalised), a title phrase counting ten times as in Whoosh. A relevance query with
words is matched from the server's own posting lists instead (:mod:`omk.search.pg_match`,
:mod:`omk.search.pg_postings`; the same answer), PostgreSQL ranking only the candidates.

Writing: the outbox consumer ``search`` replaces a lineage's rows in one transaction; one
writer at a time (a transaction-level advisory lock, tried without waiting: a busy writer
leaves its entries pending, as with Whoosh), raising ``search_generation`` in the same
transaction (the posting lists of every server see the change). ``rebuild`` replaces
everything in one transaction, by COPY into fresh tables swapped in right before the commit
(:mod:`omk.search.pg_load`): searches see the old rows until it commits.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from omk.chunks import chunks
from omk.search import pg_facets, pg_load, pg_postings, tsrank
from omk.search.analysis.words import TSVECTOR_MAX_POSITION, _words
from omk.search.backend import HitRef, Levels, Match, PrefillResult, QueryPart
from omk.search.levels import by_matches
from omk.search.pg_postings import TAIL_POSITIONS
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
#: work_mem of a search: the hash tables of the parts' key sets (up to every document's key).
WORK_MEM = "64MB"


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


#: term → its quoted lexeme (a reindex quotes the same terms again and again)
_lexemes: dict[str, str] = {}


def document_terms(record: PracticeRecord) -> str:
    """The record's terms as a tsvector literal: title A, summary B, body C, actors D."""
    return document_vectors(record)[0]


#: How many positions PostgreSQL keeps per lexeme (MAXNUMPOS).
MAX_LEXEME_POSITIONS = 256


_TAIL = {n: ",".join(str(p) for p in range(1, n + 1)) for n in range(2, TAIL_POSITIONS + 1)}


class DocumentVectors(NamedTuple):
    """What ``search_document`` stores of a record's terms (:func:`document_vectors`)."""

    terms: str
    head: str
    tail: str
    length: int


def document_vectors(record: PracticeRecord) -> DocumentVectors:
    """The record's terms as a tsvector literal (title A, summary B, body C, actors D), its
    head (the title's and summary's positions only: a prefix of each lexeme's positions in
    the terms, since those fields come first), its tail and the terms' length as ``ts_rank``
    counts it (positions, at most 256 per lexeme, equal positions once).

    The tail holds each lexeme found only after the title and summary (body, actors) at least
    twice, with as many positions as it has there, at most :data:`TAIL_POSITIONS`: all those
    positions weigh the same, so ``ts_rank`` over the tail is the lexeme's exact share of the
    score (a lower bound from :data:`TAIL_POSITIONS` on), and a lexeme absent from head and
    tail is found once. Small enough to stay in the row, unlike the terms.

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
            entry = f"{min(pos, TSVECTOR_MAX_POSITION)}{weight}"
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
    head = []
    tail = []
    length = 0
    for term, where in positions.items():
        quoted = lexemes.get(term)
        if quoted is None:
            quoted = lexemes[term] = _lexeme(term)
        out.append(quoted + ":" + ",".join(where))
        if where[-1].startswith(_CLAMPED):  # fields clamped to one position count once
            count = min(len({e[:-1] for e in where}), MAX_LEXEME_POSITIONS)
        else:
            count = min(len(where), MAX_LEXEME_POSITIONS)
        length += count
        if where[0][-1] in "AB":
            head.append(quoted + ":" + ",".join(e for e in where if e[-1] in "AB"))
        elif count > 1:
            tail.append(quoted + ":" + _TAIL[min(count, TAIL_POSITIONS)])
    return DocumentVectors(" ".join(out), " ".join(head), " ".join(tail), length)


_CLAMPED = str(TSVECTOR_MAX_POSITION)


def _body(record: PracticeRecord) -> str:
    return "\n\n".join(
        t for t in (record.description, record.outcomes, record.transferability) if t
    )


def document_facets(record: PracticeRecord) -> list[str]:
    return [f"{name}={value}" for name in FACETS for value in getattr(record, name)]


def _row(record: PracticeRecord) -> dict[str, Any]:
    terms, head, tail, length = document_vectors(record)
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
        "terms": terms,
        "head": head,
        "tail": tail,
        "length": length,
    }


_INSERT = text(
    "INSERT INTO search_document (key, practice_id, version, latest, revision_id, stamp,"
    " period_end, facets, words, terms, head, tail, length) VALUES (:key, :practice_id,"
    " :version, :latest, :revision_id, :stamp, :period_end, :facets, :words,"
    " CAST(:terms AS tsvector), CAST(:head AS tsvector), CAST(:tail AS tsvector), :length)"
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


class PostgresBackend:
    """The ``search_document`` table of the app's PostgreSQL database."""

    name = "postgres"

    def __init__(self, engine: Engine, *, cached: bool = True) -> None:
        if engine.dialect.name != "postgresql":
            raise RuntimeError(
                "OMK_SEARCH_BACKEND=postgres needs a PostgreSQL database (OMK_DATABASE_URL);"
                " with SQLite search uses Whoosh"
            )
        self.engine = engine
        self._fuzzy: bool | None = None
        self._facets = pg_facets.FacetMatrix()
        #: relevance queries matched from this process' posting lists (False: one statement
        #: in PostgreSQL, as before them; the tests and the benchmark compare both)
        self.cached = cached
        self._postings = pg_postings.PostingCache(WEIGHTS)

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

    def prefill_postings(
        self,
        stop: Callable[[], bool] = lambda: False,
        share: float = pg_postings.PREFILL_SHARE,
    ) -> PrefillResult:
        """Read what the first relevance queries of this process would read as they come:
        the live rows, every row's facet values, every facet value's list (one pass) and
        the most common lexemes' posting lists (most common first, up to ``share`` of the
        lists' bound or :data:`~omk.search.pg_postings.PREFILL_LISTS` lists), so that a
        freshly started server does not make its first users wait for them. Results are
        the same with or without it."""
        started, cpu_started = time.perf_counter(), time.thread_time()
        result = PrefillResult(lists=0, bytes=0, wall=0.0, cpu=0.0, stopped=False)
        cache = self._postings
        held = cache.held()
        budget = int(pg_postings.MAX_POSTINGS * share)
        with self.engine.connect() as conn:

            def snapshot() -> tuple[pg_postings.Snapshot, pg_postings.Rows]:
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                found = cache.snapshot(conn)
                return found, cache.rows(conn, found)

            table, rows = snapshot()
            self._facets.count(conn, table.table, np.flatnonzero(rows.latest))
            result["lists"] += cache.facet_lists(conn, rows)
            lexemes = pg_postings.frequent_lexemes(conn)
            conn.rollback()
            # a short transaction per few lists: no snapshot held for the whole prefill
            for batch in chunks(lexemes, 16):
                if stop() or cache.held() >= budget:
                    result["stopped"] = stop()
                    break
                _, rows = snapshot()
                for lexeme in batch:
                    if cache.held() >= budget:
                        break
                    if not cache.holds("term", _lexeme(lexeme)):
                        cache.postings(conn, "term", _lexeme(lexeme), rows)
                        result["lists"] += 1
                conn.rollback()
        result["bytes"] = max(cache.held() - held, 0)
        result["wall"] = round(time.perf_counter() - started, 3)
        result["cpu"] = round(time.thread_time() - cpu_started, 3)
        return result

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
            _next_generation(conn)
        return True

    def rebuild(self, batches: Iterable[Sequence[PracticeRecord]]) -> int:
        """Replace every document: COPY into fresh tables beside the live ones, build their
        indexes and analyse them, then swap both in right before the commit, all in one
        transaction (:mod:`omk.search.pg_load`). Searches read the old rows meanwhile; the swap
        waits a bounded time for sessions reading the live tables, then fails with
        :class:`~omk.search.pg_load.SwapTimeout` (nothing changed)."""
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
                for lines, batch_words, size in pg_load.analysed(batches, _row, engine=self.engine):
                    words.update(batch_words)
                    count += size
                    yield lines

            pg_load.copy_into(conn, fresh, pg_load.DOCUMENT_COLUMNS, chunks())
            documents = pg_load.build_indexes(conn, schema, "search_document")
            _, fresh_words = pg_load.fresh_table(conn, "search_word")
            pg_load.copy_into(conn, fresh_words, ("word", "documents"), pg_load.word_lines(words))
            word_indexes = pg_load.build_indexes(conn, schema, "search_word")
            pg_load.swap(
                conn, schema, [("search_document", documents), ("search_word", word_indexes)]
            )
            _next_generation(conn)
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
        facets: bool = True,
        levels: Levels = (),
    ) -> Match:
        if levels and parts and sort != "newest" and not self.cached:

            def run(level: Sequence[QueryPart], counted: bool, first: int) -> Match:
                return self.match(
                    level,
                    filters=filters,
                    version=version,
                    sort=sort,
                    offset=0,
                    limit=first,
                    facets=counted,
                )

            found = by_matches(run, parts, levels, offset + limit)
            found.page = found.page[offset:]
            return found
        if self.cached:
            # matched from this process' posting lists (:mod:`omk.search.pg_match`)
            from omk.search import pg_match

            with self.engine.connect() as conn:
                # one snapshot; the planner settings come with pg_postings' first statement
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                relevance = bool(parts) and sort != "newest"
                matcher = partial(pg_match.match, levels=levels) if relevance else pg_match.newest
                return matcher(
                    self._postings,
                    self._facets,
                    conn,
                    parts,
                    filters=filters,
                    version=version,
                    offset=offset,
                    limit=limit,
                    count_facets=facets,
                )
        params: dict[str, Any] = {"offset": offset, "limit": limit, "wanted": offset + limit}
        # ``latest`` through an expression: as a plain column the planner reads every latest
        # row through its btree index and tests @@ row by row (detoasting each tsvector)
        # instead of taking the matching rows from the GIN index.
        where = ["coalesce(d.latest, FALSE)"] if version is None else ["d.version = :version"]
        if version is not None:
            params["version"] = version
        for n, (facet, wanted) in enumerate(sorted(filters.items())):
            if wanted:
                # values of one facet are alternatives; facets combine
                where.append(f"d.facets && CAST(:facet{n} AS text[])")
                params[f"facet{n}"] = [f"{facet}={v}" for v in wanted]
        for n, part in enumerate(parts):
            params[f"q{n}"] = part_query(part)
        params["any"] = " | ".join(f"({params[f'q{n}']})" for n in range(len(parts)))
        for n, part in enumerate(parts):
            if part.is_phrase:
                params[f"t{n}"] = " <-> ".join(f"{_lexeme(t)}:A" for t in part.phrase)
        total = 0
        part_hits = [0] * len(parts)
        tiers: Counter[int] = Counter()
        counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        ranked: list[tuple[int, str, str, int, float]] = []
        with self.engine.connect() as conn:
            _begin(conn)
            # Hash tables of up to every document's key (the parts' sets).
            conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            # A merge join would read the table in key order and test @@ row by row.
            conn.execute(text("SET LOCAL enable_mergejoin = off"))
            params["documents"] = self._documents(conn)
            sql = _statement(parts, where, sort)
            for row in conn.execute(text(sql), params).all():
                kind = row[0]
                if kind == "r":
                    ranked.append(
                        (int(row[6]), str(row[2]), str(row[3]), int(row[4]), float(row[5]))
                    )
                    continue
                if kind == "n":
                    if row[7]:
                        oid, _, node = str(row[1]).partition(":")
                        counted = self._facets.count(conn, (int(oid), int(node)), row[7])
                        for name, values in counted.items():
                            if name in counts:
                                counts[name] = values
                    continue
                n, hits = int(row[6]), [bool(f) for f in row[8:]]
                total += n
                tiers[sum(hits)] += n
                for k, hit in enumerate(hits):
                    part_hits[k] += n if hit else 0
        complete = tiers[len(parts)] if parts else total
        page = [HitRef(p, v, r, score) for _, p, v, r, score in sorted(ranked)]
        return Match(total, complete, len(parts), page, counts, part_hits)

    def _documents(self, conn: Connection) -> int:
        """How many documents the table holds (the planner's estimate when large)."""
        estimate = conn.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'search_document'::regclass")
        )
        if estimate is not None and int(estimate) >= 10_000:
            return int(estimate)
        return int(conn.scalar(text("SELECT count(*) FROM search_document WHERE latest")) or 0)

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


def _begin(conn: Connection) -> None:
    """A search's transaction: one snapshot for everything it reads."""
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    # Evaluating @@ row by row reads (and decompresses) every candidate's tsvector; the GIN
    # index answers each part without that, but the planner underrates the cost.
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    # No JIT: compiling costs more than these statements save.
    conn.execute(text("SET LOCAL jit = off"))


def _statement(parts: Sequence[QueryPart], where: list[str], sort: str) -> str:
    """One statement for the whole answer: the matching documents ``m`` with a flag per
    query part, then rows of three kinds — ``c``: a combination of part flags and its count,
    ``f``: a facet value and its count, ``r``: the page, ranked.

    Each part's documents come from the GIN index (``p<n>``, keys only); ``m`` reads every
    matching row once (a bitmap OR of the parts) and takes its flags from hash joins with the
    parts' key sets. Ranking reads a document's tsvector (the expensive part), so only the
    tiers the page reaches into are ranked: ``lowest`` is the highest tier from which on the
    tiers hold ``offset + limit`` documents (1 if they never do), as the Whoosh backend
    does. The idf of a part is Whoosh's, from the part's exact hit count."""
    count = len(parts)
    flags = [f"m{n}" for n in range(count)]
    ctes = [
        f"p{n} AS MATERIALIZED (SELECT num FROM search_document"  # noqa: S608
        f" WHERE terms @@ CAST(:q{n} AS tsquery))"
        for n in range(count)
        if count > 1
    ]
    condition = list(where)
    joins = ""
    if count == 1:
        condition.append("d.terms @@ CAST(:q0 AS tsquery)")
        columns = ", TRUE AS m0"
    elif count:
        # one tsquery for any part: one bitmap scan of the GIN index, no row-by-row @@
        condition.append("d.terms @@ CAST(:any AS tsquery)")
        # a hashed subplan per part: one hash table of numbers, probed per matching row
        columns = "".join(
            f", (d.num IN (SELECT num FROM p{n})) AS m{n}"  # noqa: S608
            for n in range(count)
        )
    else:
        columns = ""
    ctes.append(
        "m AS MATERIALIZED (SELECT d.key, d.practice_id, d.version, d.revision_id,"  # noqa: S608
        f" d.period_end, d.num, d.tableoid, d.head, d.length{columns}"
        f" FROM search_document AS d{joins}"
        f" WHERE {' AND '.join(condition)})"
    )
    group = ", ".join(flags)
    ctes.append(
        f"c AS MATERIALIZED (SELECT {group + ', ' if group else ''}count(*) AS n"  # noqa: S608
        f" FROM m{' GROUP BY ' + group if group else ''})"
    )
    tier = " + ".join(f"m.{f}::int" for f in flags) or "0"
    if not parts or sort == "newest":
        order = f"m.period_end DESC, ({tier}) DESC, m.key" if parts else "m.period_end DESC, m.key"
        ranked = (
            f"SELECT m.practice_id, m.version, m.revision_id, {tier} AS tier,"  # noqa: S608
            f" 0.0::float8 AS score, row_number() OVER (ORDER BY {order}) AS ord FROM m"
            f" ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
    else:
        hits = ", ".join(
            f"coalesce(sum(n) FILTER (WHERE m{n}), 0)::bigint AS h{n}" for n in range(count)
        )
        ctes.append(f"h AS (SELECT {hits} FROM c)")  # noqa: S608
        most = ", ".join(f"h.h{n}" for n in range(count))
        idf = ", ".join(
            f"ln(CAST(greatest(CAST(:documents AS bigint), {most}, 1) AS float8)"
            f" / CAST(h.h{n} + 1 AS float8)) + 1.0 AS idf{n}"
            for n in range(count)
        )
        ctes.append(f"i AS (SELECT {idf} FROM h)")  # noqa: S608
        levels = " + ".join(f"{f}::int" for f in flags)
        ctes.append(
            "lv AS (SELECT coalesce(max(t), 1) AS lowest FROM (SELECT t,"  # noqa: S608
            " sum(n) OVER (ORDER BY t DESC) AS seen"
            f" FROM (SELECT {levels} AS t, sum(n) AS n FROM c GROUP BY 1) AS a) AS b"
            " WHERE seen >= :wanted)"
        )
        ctes.extend(_bounded(parts, tier))
        score = score_sql(parts, "i.idf{n}")
        # The threshold: the exact scores of the lowest tier's ``wanted`` best by lower bound;
        # the least of them is at most the wanted-th best score of the tier.
        ctes.append(
            "th AS (SELECT coalesce(min(t.score), 0) AS theta FROM (SELECT"  # noqa: S608
            f" {score} AS score FROM (SELECT b.key FROM b, lv WHERE b.tier = lv.lowest"
            " ORDER BY b.lb DESC LIMIT :wanted) AS f"
            " JOIN search_document AS d ON d.key = f.key, i) AS t)"
        )
        # Only the candidates read their terms (the exact score): every member of a tier above
        # the lowest one the page reaches, and the lowest tier's members whose upper bound
        # reaches that threshold; no other can reach the page.
        ranked = (
            "SELECT practice_id, version, revision_id, tier, score,"  # noqa: S608
            " row_number() OVER (ORDER BY tier DESC, score DESC, key) AS ord FROM ("
            " SELECT b.key, b.practice_id, b.version, b.revision_id, b.tier,"
            f" {score} AS score"
            " FROM b JOIN search_document AS d ON d.key = b.key, i, lv, th"
            " WHERE b.tier > lv.lowest OR b.ub >= th.theta) AS r"
            " ORDER BY tier DESC, score DESC, key LIMIT :limit OFFSET :offset"
        )
    ctes.append(f"r AS ({ranked})")
    nulls = "".join(", NULL::boolean" for _ in flags)
    # ``n``: the matching rows' numbers and their table (oid, file node), whose facet values
    # this process counts (:mod:`omk.search.pg_facets`)
    answer = (
        " SELECT 'r' AS kind, NULL::text AS facet, r.practice_id, r.version,"  # noqa: S608
        f" r.revision_id, r.score, r.ord AS n, NULL::int[] AS nums{nulls} FROM r"
        " UNION ALL SELECT 'n', min(m.tableoid)::text || ':'"
        " || coalesce(pg_relation_filenode(min(m.tableoid)), 0)::text, NULL, NULL, NULL,"
        f" NULL, count(*), coalesce(array_agg(m.num), '{{}}'){nulls} FROM m"
        " UNION ALL SELECT 'c', NULL, NULL, NULL, NULL, NULL, n, NULL"
        f"{', ' + group if group else ''} FROM c"
    )
    return "WITH " + ", ".join(ctes) + answer


def score_sql(parts: Sequence[QueryPart], idf: str) -> str:
    """A document's exact score (``d.terms``): the sum over parts of idf × ``ts_rank``, a
    title phrase counting :data:`TITLE_PHRASE_BOOST` times; ``idf`` is the SQL of part
    ``{n}``'s idf."""
    scores: list[str] = []
    for n, part in enumerate(parts):
        weight = idf.format(n=n)
        scores.append(
            f"{weight} * ts_rank('{WEIGHTS}', d.terms, CAST(:q{n} AS tsquery), {NORMALISATION})"
        )
        if part.is_phrase:
            # ts_rank ignores the weight restriction: rank only a title that matches.
            scores.append(
                f"CASE WHEN d.terms @@ CAST(:t{n} AS tsquery) THEN"
                f" {weight} * {TITLE_PHRASE_BOOST}"
                f" * ts_rank('{WEIGHTS}', d.terms, CAST(:t{n} AS tsquery), {NORMALISATION})"
                " ELSE 0 END"
            )
    return " + ".join(scores)


#: ``calc_rank_or``'s share of one operand beyond the head, at most: body and actors weigh
#: 0.3333 (float4: 0.33329999…) and the sum of 1 / (j + 1)² over the positions j, divided by
#: π²/6, is at most 1 (none in the head) or 1 - 6 / π² (one at least in the head).
TAIL_ANY = 0.3334
TAIL_AFTER_HEAD = 0.3334 * (1 - 6 / math.pi**2) + 1e-6
#: Relative margin of the bounds over float4 rounding (ts_rank computes in float4).
MARGIN = 1e-5


def _bounded(parts: Sequence[QueryPart], tier: str) -> list[str]:
    """CTEs ``b`` (the members of the tiers the page reaches, each with a lower and an upper
    bound of its score) and ``th`` (the wanted-th best lower bound of the lowest such tier).

    For a part ranked by ``calc_rank_or`` (its top operator ``|`` or a single term), each
    operand adds its weights over its positions in position order, and the title's and
    summary's positions come first: ``ts_rank`` over ``head`` without normalisation is the sum
    over those positions, a lower bound, and the positions after them add at most
    ``TAIL_ANY`` (``TAIL_AFTER_HEAD`` for a single operand found in the head). A phrase or a
    part of one alternative with several terms (``calc_rank_and``) is bounded by 0 and 1 (a
    title phrase by 0 and ``TITLE_PHRASE_BOOST``). Both are divided by the normalisation of
    the document's ``length``, as ``ts_rank`` does, and widened by ``MARGIN``."""
    lows, highs, heads = [], [], []
    for n, part in enumerate(parts):
        query, _title = tsrank.rank_queries(part)
        if part.is_phrase or query.conjunctive:
            lows.append("0.0")
            extra = TITLE_PHRASE_BOOST if part.is_phrase else 0.0
            highs.append(f"i.idf{n} * {1.0 + extra}")
            continue
        heads.append(
            f"CAST(ts_rank('{WEIGHTS}', m.head, CAST(:q{n} AS tsquery), 0) AS float8) AS h{n}"
        )
        tail = f"CASE WHEN x.h{n} > 0 THEN {TAIL_AFTER_HEAD} ELSE {TAIL_ANY} END"
        if len(query.operands) > 1:
            tail = str(TAIL_ANY)
        lows.append(f"i.idf{n} * x.h{n}")
        highs.append(f"i.idf{n} * least(1.0, x.h{n} + {tail})")
    heads.append(
        "CASE WHEN m.length > 0 THEN ln(CAST(m.length + 1 AS float8)) / ln(CAST(2 AS float8))"
        " ELSE CAST(1 AS float8) END AS nz"
    )
    return [
        "b AS MATERIALIZED (SELECT m.key, m.practice_id, m.version, m.revision_id,"  # noqa: S608
        f" {tier} AS tier, ({' + '.join(lows)}) / x.nz * {1 - MARGIN} AS lb,"
        f" ({' + '.join(highs)}) / x.nz * {1 + MARGIN} + 1e-12 AS ub"
        " FROM m, i, lv,"
        f" LATERAL (SELECT {', '.join(heads)}) AS x WHERE {tier} >= lv.lowest)",
    ]


def _next_generation(conn: Connection) -> None:
    """Raise ``search_generation`` in the writer's transaction: each server's posting cache
    (:mod:`omk.search.pg_postings`) sees in a query's snapshot that rows changed."""
    conn.execute(
        text(
            "INSERT INTO search_generation (id, generation) VALUES (1, 1) ON CONFLICT (id)"
            " DO UPDATE SET generation = search_generation.generation + 1"
        )
    )


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
