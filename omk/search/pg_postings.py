"""Decoded posting lists of the PostgreSQL search backend, kept on the application server.

Reading a broad query's matching rows from the heap (for their numbers, part flags and tier
counts) cost PostgreSQL hundreds of milliseconds per query at 100,000 documents, though the
answer changes only when the search writer commits. So each server process keeps, for the
live ``search_document`` table, what a query needs to match without PostgreSQL:

- per lexeme (``term``), phrase (``query``) or facet value (``facet``) the sorted row numbers
  (``num``) of the rows holding it, a lexeme's with its own ``ts_rank`` over ``terms`` where
  it is in the title or summary (:class:`Head`: its exact share of the score), and the rows
  holding it only after them more than once, by how often (:class:`Tail`, from ``tail``: the
  share follows from the count); loaded lazily,
  one statement per list not known yet, and kept (least recently used dropped beyond
  :data:`MAX_POSTINGS` bytes);
- per live row its ``latest`` flag, cycle (``version``), ``length`` and its ranks by period
  end and by key (the order of "newest first") (:class:`Rows`).

They never go stale, the way :class:`omk.search.pg_facets.FacetMatrix` does not: a row is never
updated (a lineage's rows are deleted and inserted anew with new numbers, a reindex fills a new
table, told by its oid and file node), and the writer raises ``search_generation`` in the same
transaction as every change. A query reads the generation in its own snapshot
(REPEATABLE READ); when it changed, the live rows are read again (deleted rows leave them, and
a posting list is only ever intersected with them), and every list used afterwards first reads
the rows numbered above what it has seen (``num > through``, through the index on ``num``).
Writers are serialised (the advisory lock of ``pg_backend``) and ``num`` is an identity, so
rows committed later always have higher numbers than every row a snapshot saw before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

#: Bytes of posting lists kept per process (a row number 4 bytes; a lexeme's head share 8 bytes
#: more where it is not 0), least recently used dropped beyond.
MAX_POSTINGS = 64_000_000
#: Share of :data:`MAX_POSTINGS` the warm-up's prefill may fill (the rest stays for what
#: queries read), and at most this many lists (the most frequent lexemes first).
PREFILL_SHARE = 0.5
PREFILL_LISTS = 400
#: The lists start again when row numbers span more than this many times the live rows (rows
#: replaced since: every mask of a query is as long as the largest number).
SPAN_FACTOR = 4

# SQL here is assembled from constants only; every value is bound (hence ``noqa: S608``).
_SNAPSHOT = text(
    # the search's planner settings for the rest of its transaction too (one round trip):
    # @@ row by row reads every candidate's tsvector (the GIN index answers without), no JIT
    "SELECT set_config('enable_seqscan', 'off', TRUE), set_config('jit', 'off', TRUE),"
    " c.oid, coalesce(pg_relation_filenode(c.oid), 0), c.reltuples::bigint,"
    " (SELECT coalesce(max(g.generation), 0) FROM search_generation AS g)"
    " FROM pg_class AS c WHERE c.oid = CAST('search_document' AS regclass)"
)
_ROWS = text(
    "SELECT coalesce(string_agg(int4send(s.num), ''), ''),"
    " coalesce(string_agg(int4send(CAST(coalesce(s.latest, FALSE) AS int)), ''), ''),"
    " coalesce(string_agg(int4send(s.length), ''), ''),"
    " coalesce(string_agg(int4send(CAST(v.code AS int)), ''), ''),"
    " (SELECT coalesce(array_agg(version ORDER BY version), '{}') FROM"
    " (SELECT DISTINCT version FROM search_document) AS a),"
    " coalesce(string_agg(int4send(s.period_end), ''), ''),"
    " coalesce(string_agg(int4send(CAST(s.place AS int)), ''), '')"
    # the rows in key order from its index: each row's place in the order of "newest first"
    # after its period end (``pg_backend._statement``: the key as the database collates it);
    # the cycles' codes joined from their few distinct values (a window over every row would
    # sort them all, and spill)
    " FROM (SELECT num, latest, length, version, period_end,"
    " row_number() OVER (ORDER BY key) - 1 AS place FROM search_document) AS s"
    " JOIN (SELECT version, row_number() OVER (ORDER BY version) - 1 AS code"
    " FROM (SELECT DISTINCT version FROM search_document) AS a) AS v ON v.version = s.version"
)

# The most common lexemes of ``terms`` and their shares of the rows, as ANALYZE sampled them
# (``most_common_elems`` of a tsvector column; a reindex analyses the new table before the
# swap, autovacuum after writes); the shares array ends with three values of its own.
_FREQUENT = text(
    "SELECT CAST(CAST(most_common_elems AS text) AS text[]), most_common_elem_freqs"
    " FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'search_document'"
    " AND attname = 'terms' AND most_common_elems IS NOT NULL"
)

_FACET_LISTS = text(
    "SELECT f.value, string_agg(int4send(d.num), '')"
    " FROM search_document AS d CROSS JOIN LATERAL unnest(d.facets) AS f(value)"
    " GROUP BY f.value"
)


@dataclass(frozen=True)
class Snapshot:
    """What a query's snapshot says about the table: which one, its generation and
    PostgreSQL's estimate of its rows (the idf's document count)."""

    table: tuple[int, int]  # oid, file node
    generation: int
    estimate: int


@dataclass(frozen=True)
class Rows:
    """The live rows of one generation, as arrays indexed by row number (``size`` is the
    largest number + 1; numbers of no live row are not latest, cycle -1)."""

    size: int
    through: int  # the largest number (-1: none)
    count: int
    latest: np.ndarray  # bool
    version: np.ndarray  # int32 code into ``versions``
    versions: dict[str, int]
    length: np.ndarray  # int32: positions of the terms (ts_rank's normalisation)
    #: int32: the rank of the row's period end, latest first (equal ends, equal ranks), and
    #: of its key among the live rows: the order of "newest first" and of a query without words
    recency: np.ndarray
    place: np.ndarray


@dataclass(frozen=True)
class Postings:
    """One list: the row numbers holding the lexeme (phrase, facet value), with a lexeme's
    shares (:class:`Head`), and the largest row number of the table it has seen. A dense
    list is kept as a bitset over the row numbers (a list of 40,000 of 100,000 rows: 160 kB
    as numbers, 12.5 kB as bits), so that the warm-up can keep the most common lexemes'."""

    stored: np.ndarray  # int32 numbers ascending, or (packed) np.packbits of a row mask
    head: Head | None  # for ``term`` lists
    through: int
    packed: bool = False
    tail: Tail | None = None  # for ``term`` lists: how often in the rows of ``tail``

    @staticmethod
    def of(nums: np.ndarray, head: Head | None, through: int, tail: Tail | None = None) -> Postings:
        """The list of the ascending ``nums``, as bits when that is smaller."""
        if nums.size and nums.size * 32 > int(nums[-1]) + 1:
            bits = np.zeros(int(nums[-1]) + 1, dtype=bool)
            bits[nums] = True
            return Postings(np.packbits(bits), head, through, packed=True, tail=tail)
        return Postings(nums, head, through, tail=tail)

    @property
    def nums(self) -> np.ndarray:
        """The row numbers, ascending (int32)."""
        if self.packed:
            return np.flatnonzero(np.unpackbits(self.stored)).astype(np.int32)
        return self.stored

    def holds(self, members: np.ndarray) -> np.ndarray:
        """Whether the list holds each of the row numbers ``members`` (ascending)."""
        if self.packed:
            bits = np.unpackbits(self.stored).view(bool)
            inside = members < bits.size
            out = np.zeros(members.size, dtype=bool)
            out[inside] = bits[members[inside]]
            return out
        if not self.stored.size:
            return np.zeros(members.size, dtype=bool)
        at = np.minimum(np.searchsorted(self.stored, members), self.stored.size - 1)
        found: np.ndarray = self.stored[at] == members
        return found

    def mask(self, size: int) -> np.ndarray:
        """A boolean array of ``size`` with the list's numbers below ``size`` set."""
        if not self.packed:
            return mask(size, self.stored)
        bits = np.unpackbits(self.stored, count=min(size, self.stored.size * 8)).view(bool)
        if bits.size == size:
            return bits
        out = np.zeros(size, dtype=bool)
        out[: bits.size] = bits
        return out


@dataclass(frozen=True)
class Head:
    """A lexeme's own ``ts_rank`` over ``terms`` (its exact share of a part's score) in the
    rows whose ``head`` holds it, i.e. the rows where it is in the title or summary: the row
    numbers ascending and the float4 values. Only there: reading ``terms`` costs a detoast
    per row. Elsewhere its share follows from how often the row holds it (:class:`Tail`)."""

    nums: np.ndarray  # int32
    values: np.ndarray  # float32

    @staticmethod
    def of(nums: np.ndarray, values: np.ndarray) -> Head:
        found = values != 0
        return Head(nums[found], values[found])

    @staticmethod
    def joined(old: Head | None, new: Head | None) -> Head | None:
        """The shares of a list extended by the rows read since (``new``)."""
        if old is None or new is None:
            return None
        return Head(np.concatenate([old.nums, new.nums]), np.concatenate([old.values, new.values]))


#: Positions a lexeme keeps in ``search_document.tail`` (``pg_backend.document_vectors``).
TAIL_POSITIONS = 4
#: ``calc_rank_or``'s share of a lexeme found ``n`` times after the title and summary, where
#: every position weighs 0.3333 (float4): the weight × the sum of 1 / j² for j ≤ n, over π²/6.
TAIL_SHARES = {
    n: float(np.float32(0.3333)) * sum(1 / j**2 for j in range(1, n + 1)) / 1.64493406685
    for n in range(1, TAIL_POSITIONS + 1)
}


@dataclass(frozen=True)
class Tail:
    """The rows of a lexeme's list that hold it only after the title and summary, more than
    once, by how often: ``by_count[k]`` the rows with k + 2 positions (the last: at least
    :data:`TAIL_POSITIONS`), each a list of numbers or bits (``Postings.of``). Only three
    shares are possible there, so the count is kept, not the share."""

    by_count: tuple[Postings, ...]

    @staticmethod
    def of(nums: np.ndarray, shares: np.ndarray, through: int) -> Tail:
        """From the rows' shares over ``tail`` (``ts_rank``; 0: not in it), ``nums`` ascending."""
        cuts = [(TAIL_SHARES[n] + TAIL_SHARES[n + 1]) / 2 for n in range(2, TAIL_POSITIONS)]
        count = np.where(shares > 0, np.searchsorted(cuts, shares) + 2, 0)
        return Tail(
            tuple(
                Postings.of(nums[count == n], None, through) for n in range(2, TAIL_POSITIONS + 1)
            )
        )

    def counts(self, members: np.ndarray) -> np.ndarray:
        """How often each of the row numbers ``members`` (ascending) holds the lexeme after the
        title and summary where the tail tells (2 … :data:`TAIL_POSITIONS`), else 0."""
        out = np.zeros(members.size, dtype=np.int64)
        for n, rows in enumerate(self.by_count, 2):
            out[rows.holds(members)] = n
        return out

    @staticmethod
    def joined(old: Tail | None, new: Tail | None, through: int) -> Tail | None:
        """The tail of a list extended by the rows read since (``new``)."""
        if old is None or new is None:
            return None
        return Tail(
            tuple(
                Postings.of(np.concatenate([a.nums, b.nums]), None, through)
                for a, b in zip(old.by_count, new.by_count, strict=True)
            )
        )

    @property
    def nbytes(self) -> int:
        return sum(rows.stored.nbytes for rows in self.by_count)


class PostingCache:
    """Posting lists and live rows of one ``search_document`` table, per server process."""

    def __init__(self, weights: str) -> None:
        self._weights = weights  # ts_rank's weights {D, C, B, A}, as the ranking uses them
        self._lock = threading.Lock()
        self._table: tuple[int, int] | None = None
        self._generation = -1
        self._rows: Rows | None = None
        self._lists: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._held = 0
        self._epoch = 0  # raised whenever the lists start again

    def snapshot(self, conn: Connection) -> Snapshot:
        """Which table and generation ``conn``'s snapshot sees (its first statement, after
        ``SET TRANSACTION``); sets the search's planner settings as ``pg_backend._begin``."""
        _, _, oid, node, estimate, generation = conn.execute(_SNAPSHOT).one()
        return Snapshot((int(oid), int(node)), int(generation), int(estimate))

    def rows(self, conn: Connection, snapshot: Snapshot) -> Rows:
        """The live rows in ``conn``'s snapshot (read again when the generation changed)."""
        with self._lock:
            if snapshot.table != self._table:
                self._clear()
                self._table = snapshot.table
            if self._rows is None or snapshot.generation != self._generation:
                rows = _load_rows(conn)
                if rows.size > SPAN_FACTOR * rows.count + 100_000:
                    self._clear()  # numbers spread thin by replaced rows: start again
                    self._table = snapshot.table
                self._rows, self._generation = rows, snapshot.generation
            return self._rows

    def postings(self, conn: Connection, kind: str, value: str, rows: Rows) -> Postings:
        """The list of ``value`` (``kind``: ``term``, ``query`` or ``facet``), complete for
        ``rows``' snapshot (it may hold rows of other snapshots: intersect with ``rows``).

        The list is read from PostgreSQL without the lock held, so that one thread reading a
        long list (the warm-up's prefill, another request) never holds up the searches of
        the others; two threads wanting the same new list at once may both read it."""
        key = (kind, value)
        with self._lock:
            entry = self._lists.get(key)
            if entry is not None:
                self._lists.move_to_end(key)
                if entry.through >= rows.through:
                    return entry
            epoch = self._epoch
        loaded = self._load(conn, kind, value, -1 if entry is None else entry.through)
        if entry is not None:
            loaded = Postings.of(
                np.concatenate([entry.nums, loaded.nums]),
                Head.joined(entry.head, loaded.head),
                rows.through,
                Tail.joined(entry.tail, loaded.tail, rows.through),
            )
        else:
            loaded = Postings.of(loaded.nums, loaded.head, rows.through, loaded.tail)
        with self._lock:
            if epoch != self._epoch:
                return loaded  # the cache started again meanwhile: not kept
            current = self._lists.get(key)
            if current is not None and current.through >= loaded.through:
                self._lists.move_to_end(key)
                return current  # another thread read as much or more meanwhile
            if current is not None:
                self._held -= _weight(current)
            self._lists[key] = loaded
            self._lists.move_to_end(key)
            self._held += _weight(loaded)
            self._evict()
            return loaded

    def _evict(self) -> None:
        """Drop the least recently used lists beyond :data:`MAX_POSTINGS` (lock held)."""
        while self._held > MAX_POSTINGS and len(self._lists) > 1:
            _, dropped = self._lists.popitem(last=False)
            self._held -= _weight(dropped)

    def facet_lists(self, conn: Connection, rows: Rows) -> int:
        """Read every facet value's list in one pass over the table, in the snapshot of
        ``conn`` that ``rows`` came from (the prefill: one filter value read alone costs a
        pass of its own); lists kept already stay. Returns how many were added."""
        with self._lock:
            epoch = self._epoch
        found = conn.execute(_FACET_LISTS).all()
        added = 0
        with self._lock:
            if epoch != self._epoch:
                return 0
            for value, nums_bytes in found:
                key = ("facet", str(value))
                if key in self._lists:
                    continue
                nums = np.sort(_int4s(nums_bytes))
                entry = Postings.of(nums, None, rows.through)
                self._lists[key] = entry
                self._held += _weight(entry)
                added += 1
            self._evict()
        return added

    def holds(self, kind: str, value: str) -> bool:
        """Whether the list of ``value`` is kept (of any generation)."""
        with self._lock:
            return (kind, value) in self._lists

    def held(self) -> int:
        """Bytes of posting lists held."""
        return self._held

    def _clear(self) -> None:
        self._epoch += 1
        self._lists.clear()
        self._held = 0
        self._rows = None
        self._generation = -1

    def _load(self, conn: Connection, kind: str, value: str, through: int) -> Postings:
        params: dict[str, object] = {"v": value, "through": through}
        newer = " AND num > :through" if through >= 0 else ""
        # Big-endian binary (int4send, float4send) in one bytea each: no row objects, and
        # the float4 exactly as PostgreSQL computed it.
        nums_sql = "coalesce(string_agg(int4send(num), ''), '')"
        if kind == "term":
            # head and tail stay in the row: only the rows of the head read their terms; a
            # share from the tail comes negative (the two told apart in one column)
            sql = (
                f"SELECT {nums_sql}, coalesce(string_agg(float4send(CASE WHEN"  # noqa: S608
                f" head @@ CAST(:v AS tsquery) THEN ts_rank('{self._weights}', terms,"
                " CAST(:v AS tsquery), 0) WHEN tail @@ CAST(:v AS tsquery)"
                f" THEN -ts_rank('{self._weights}', tail, CAST(:v AS tsquery), 0)"
                " ELSE 0 END), ''), '')"
                f" FROM search_document WHERE terms @@ CAST(:v AS tsquery){newer}"
            )
        elif kind == "query":
            sql = (
                f"SELECT {nums_sql}, NULL FROM search_document"  # noqa: S608
                f" WHERE terms @@ CAST(:v AS tsquery){newer}"
            )
        elif kind == "facet":
            sql = (
                f"SELECT {nums_sql}, NULL FROM search_document"  # noqa: S608
                f" WHERE facets && CAST(:v AS text[]){newer}"
            )
            params["v"] = [value]
        else:
            raise ValueError(kind)
        nums_bytes, head_bytes = conn.execute(text(sql), params).one()
        nums = _int4s(nums_bytes)
        order = np.argsort(nums, kind="stable")
        nums = nums[order]
        head = tail = None
        if head_bytes is not None:
            values = np.frombuffer(bytes(head_bytes), dtype=">f4").astype(np.float32)[order]
            head = Head.of(nums, np.maximum(values, 0))
            tail = Tail.of(nums, -np.minimum(values, 0), through)
        return Postings(nums, head, through, tail=tail)


def _weight(entry: Postings) -> int:
    """Bytes held by a list."""
    held = entry.stored.nbytes
    if entry.head is not None:
        held += entry.head.nums.nbytes + entry.head.values.nbytes
    if entry.tail is not None:
        held += entry.tail.nbytes
    return int(held)


def _int4s(found: bytes) -> np.ndarray:
    """Big-endian ``int4send`` values concatenated in one ``bytea``, as int32."""
    return np.frombuffer(bytes(found), dtype=">i4").astype(np.int32)


def _load_rows(conn: Connection) -> Rows:
    found = conn.execute(_ROWS).one()
    nums_bytes, latest_bytes, length_bytes, code_bytes, names, ends_bytes, place_bytes = found
    nums = _int4s(nums_bytes)
    size = int(nums.max()) + 1 if nums.size else 0

    def spread(values: np.ndarray, missing: int) -> np.ndarray:
        out = np.full(size, missing, dtype=np.int32)
        out[nums] = values
        return out

    # the rank of each row's period end, latest first (equal ends, equal ranks)
    _, recency = np.unique(-_int4s(ends_bytes).astype(np.int64), return_inverse=True)
    return Rows(
        size,
        size - 1,
        int(nums.size),
        spread(_int4s(latest_bytes), 0) != 0,
        spread(_int4s(code_bytes), -1),
        {str(name): code for code, name in enumerate(names)},
        spread(_int4s(length_bytes), 0),
        spread(recency.reshape(-1), 0),
        spread(_int4s(place_bytes), 0),
    )


def mask(size: int, nums: np.ndarray) -> np.ndarray:
    """A boolean array of ``size`` with the numbers below ``size`` set."""
    out = np.zeros(size, dtype=bool)
    out[nums[nums < size] if nums.size and nums[-1] >= size else nums] = True
    return out


def frequent_lexemes(conn: Connection, limit: int = PREFILL_LISTS) -> list[str]:
    """The ``limit`` most common lexemes of the live table, most common first (none before
    the table was first analysed): the lists most queries need and the longest to read."""
    found = conn.execute(_FREQUENT).first()
    if found is None:
        return []
    lexemes, shares = found
    ranked = sorted(zip(lexemes, shares, strict=False), key=lambda pair: (-pair[1], pair[0]))
    return [str(lexeme) for lexeme, _ in ranked[:limit]]
