"""A relevance query of the PostgreSQL backend matched on the application server.

The match, the part flags, the tier counts, the parts' hit counts (their idf), the facet
counts and the bounds of every member's score are numpy operations over the posting lists of
:mod:`omk.search.pg_postings`; PostgreSQL only ranks the few documents the bounds leave
(``ts_rank`` over their ``terms``, by row number). The answer is the one
:func:`omk.search.pg_backend._statement` gives, step by step:

- the matching rows: latest (or of the cycle asked for), with every facet filter, matching a
  part (a phrase's list; else a union over alternatives of the intersection of their terms'
  lists, as the part's ``tsquery`` does);
- ``lowest``: the highest tier from which on the tiers hold ``offset + limit`` documents;
- each member of the tiers from ``lowest`` on gets a lower and an upper bound of its score
  (:func:`_bounds`: per operand of a part, its exact share where it is in the title or
  summary or found after them fewer than ``TAIL_POSITIONS`` times, bounds from the weights
  where more often; summed over the part's operands and divided by
  their number as ``calc_rank_or`` does: the sums differ from PostgreSQL's float4 ones by far
  less than the bounds' margin);
- the threshold: the least exact score of the lowest tier's best by lower bound, as many as
  the page takes from that tier (none when all of it fits on the page); the candidates: the
  tiers above it and the members whose upper bound reaches it; PostgreSQL ranks them (tier,
  score, key; a score computed for the threshold is passed back, not computed again) and
  returns the page.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from omk.search import pg_backend as pg
from omk.search import tsrank
from omk.search.backend import HitRef, Levels, Match, QueryPart
from omk.search.pg_facets import FacetMatrix
from omk.search.pg_postings import (
    TAIL_POSITIONS,
    TAIL_SHARES,
    Head,
    PostingCache,
    Postings,
    Rows,
    Snapshot,
)
from omk.search.records import FACETS

#: The bounds of an operand's share by how often the document holds it after the title and
#: summary (0: not at all; from ``Tail`` on, more than once): exact up to float4 rounding, and
#: at most ``TAIL_ANY`` from ``TAIL_POSITIONS`` positions on (the tail counts no further).
SHARE_LEAST = np.array([0.0, *(TAIL_SHARES[n] for n in range(1, TAIL_POSITIONS + 1))])
SHARE_MOST = np.array([0.0, *(TAIL_SHARES[n] for n in range(1, TAIL_POSITIONS)), pg.TAIL_ANY])

# A candidate's score is computed once: those scored for the threshold come with it (``known``;
# COALESCE evaluates its second argument, and so reads the row's ``terms``, only without).
_RANKED = (
    "SELECT d.practice_id, d.version, d.revision_id, coalesce(c.known, {score}) AS score"
    " FROM unnest(CAST(:nums AS int[]), CAST(:tiers AS int[]), CAST(:known AS float8[]))"
    " AS c(num, tier, known)"
    " JOIN search_document AS d ON d.num = c.num"
    " ORDER BY c.tier DESC, score DESC, d.key LIMIT :limit OFFSET :offset"
)
_THRESHOLD = (
    "SELECT d.num, {score} FROM search_document AS d WHERE d.num = ANY(CAST(:nums AS int[]))"
)


def match(
    cache: PostingCache,
    facets: FacetMatrix,
    conn: Connection,
    parts: Sequence[QueryPart],
    *,
    filters: dict[str, list[str]],
    version: str | None,
    offset: int,
    limit: int,
    count_facets: bool = True,
    levels: Levels = (),
) -> Match:
    """The relevance-ranked answer to ``parts`` (at least one) in ``conn``'s snapshot;
    without ``count_facets`` the facet counts are left empty. ``levels``: narrower versions
    of ``parts`` whose complete documents are ranked first (:mod:`omk.search.levels`), each
    level by its own parts, from the same posting lists."""
    m = _matched(cache, facets, conn, parts, filters, version, count_facets)
    found, rows, nums, tier = m.found, m.rows, m.nums, m.tier
    found.groups = [0] * len(levels)
    if not found.total or limit <= 0:
        return found
    documents = m.snapshot.estimate
    if documents < 10_000:  # as pg_backend._documents: exact while the table is small
        documents = int(np.count_nonzero(rows.latest))
    wanted = offset + limit
    left = np.ones(nums.size, dtype=bool)  # the matches not ranked in a level
    for n, level in enumerate(levels if found.complete else ()):
        room = wanted - len(found.page)
        if n and room <= 0:  # the levels before filled the page
            break
        level_masks = [  # a part the same as the query's (no halves, no related words): its mask
            mask if part == wide else _part(cache, conn, rows, part)
            for part, wide, mask in zip(level, parts, m.part_masks, strict=True)
        ]
        inside = np.logical_and.reduce([mask[nums] for mask in level_masks])
        if n == 0:
            found.first_complete = int(np.count_nonzero(inside))
        members = inside & left
        if members.any():
            level_hits = [int(np.count_nonzero(mask & m.scope)) for mask in level_masks]
            group = _ranked(
                cache,
                conn,
                rows,
                level,
                level_hits,
                documents,
                nums[members],
                tier[members],
                0,
                room,
            )
            found.page += group
            found.groups[n] = len(group)
        left &= ~inside
    if not found.page:
        found.page = _ranked(
            cache, conn, rows, parts, found.part_hits, documents, nums, tier, offset, limit
        )
        return found
    need = wanted - len(found.page)
    if need > 0 and left.any():
        found.page += _ranked(
            cache, conn, rows, parts, found.part_hits, documents, nums[left], tier[left], 0, need
        )
    found.page = found.page[offset:wanted]
    return found


#: The rows of a page "newest first", in the order the numbers come.
_ROWS_OF = (
    "SELECT d.num, d.practice_id, d.version, d.revision_id FROM search_document AS d"
    " WHERE d.num = ANY(CAST(:nums AS int[]))"
)


def newest(
    cache: PostingCache,
    facets: FacetMatrix,
    conn: Connection,
    parts: Sequence[QueryPart],
    *,
    filters: dict[str, list[str]],
    version: str | None,
    offset: int,
    limit: int,
    count_facets: bool = True,
) -> Match:
    """The answer to ``parts`` (none: every document in scope) newest first, as
    ``pg_backend._statement`` orders it: latest period end, then more parts matched, then key
    (score 0). Matched and ordered from the posting lists and the rows' ranks; PostgreSQL only
    reads the page's rows."""
    m = _matched(cache, facets, conn, parts, filters, version, count_facets)
    rows, nums, tier, found = m.rows, m.nums, m.tier, m.found
    wanted = min(offset + limit, int(nums.size))
    if wanted <= offset:
        return found
    # one sort key: recency (< 2^26 distinct days), parts missed (≤ 63), key's place (< 2^31)
    order = (
        (rows.recency[nums].astype(np.int64) << 37)
        | ((len(parts) - tier) << 31)
        | rows.place[nums].astype(np.int64)
    )
    head = np.argpartition(order, wanted - 1)[:wanted] if wanted < nums.size else np.arange(wanted)
    page = nums[head[np.argsort(order[head], kind="stable")]][offset:wanted]
    read = {
        int(num): HitRef(str(p), str(v), int(r), 0.0)
        for num, p, v, r in conn.execute(text(_ROWS_OF), {"nums": _array(page)})
    }
    found.page = [read[int(num)] for num in page]
    return found


@dataclass
class _Matched:
    """What a query matched in one snapshot, before any ordering."""

    snapshot: Snapshot
    rows: Rows
    scope: np.ndarray  # rows in the filters and the version asked for
    part_masks: list[np.ndarray]  # rows matching each part
    nums: np.ndarray  # the matching rows (every row in scope without parts)
    tier: np.ndarray  # parts each of them matches
    found: Match  # totals, part hits and facet counts; no page yet


def _matched(
    cache: PostingCache,
    facets: FacetMatrix,
    conn: Connection,
    parts: Sequence[QueryPart],
    filters: dict[str, list[str]],
    version: str | None,
    count_facets: bool,
) -> _Matched:
    """The rows matching ``parts`` (any of them; without parts every row in scope), their
    tiers, the parts' hit counts and the facet counts (empty without ``count_facets``)."""
    snapshot = cache.snapshot(conn)
    rows = cache.rows(conn, snapshot)
    scope = _scope(cache, conn, rows, filters, version)
    part_masks = [_part(cache, conn, rows, part) for part in parts]
    nums = np.flatnonzero(np.logical_or.reduce(part_masks) & scope if parts else scope)
    flags = np.stack([m[nums] for m in part_masks]) if parts else np.zeros((0, nums.size), bool)
    tier = flags.sum(axis=0, dtype=np.int64)  # parts × matches, summed
    counted: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    if nums.size and count_facets:
        for name, values in facets.count(conn, snapshot.table, nums).items():
            if name in counted:
                counted[name] = values
    complete = int(np.count_nonzero(tier == len(parts)))
    part_hits = [int(h) for h in flags.sum(axis=1)]
    found = Match(int(nums.size), complete, len(parts), [], counted, part_hits)
    return _Matched(snapshot, rows, scope, part_masks, nums, tier, found)


def _ranked(
    cache: PostingCache,
    conn: Connection,
    rows: Rows,
    parts: Sequence[QueryPart],
    part_hits: list[int],
    documents: int,
    nums: np.ndarray,
    tier: np.ndarray,
    offset: int,
    limit: int,
) -> list[HitRef]:
    """The page of ``nums`` (with their ``tier``) ranked for ``parts``: the bounds of the
    members of the tiers that can reach it, then PostgreSQL's exact ranking."""
    most = max([documents, *part_hits, 1])
    idf = [math.log(float(most) / float(h + 1)) + 1.0 for h in part_hits]
    tiers = Counter({int(t): int(c) for t, c in enumerate(np.bincount(tier)) if c})
    lowest = _lowest(tiers, offset + limit)
    members = tier >= lowest
    lb, ub = _bounds(cache, conn, rows, parts, idf, nums[members])
    return _page(conn, parts, idf, nums[members], tier[members], lb, ub, lowest, offset, limit)


def _scope(
    cache: PostingCache,
    conn: Connection,
    rows: Rows,
    filters: dict[str, list[str]],
    version: str | None,
) -> np.ndarray:
    if version is None:
        scope = rows.latest.copy()
    else:
        scope = rows.version == rows.versions.get(version, -2)
    for facet, wanted in sorted(filters.items()):
        if wanted:  # values of one facet are alternatives; facets combine
            one = np.zeros(rows.size, dtype=bool)
            for value in wanted:
                one |= cache.postings(conn, "facet", f"{facet}={value}", rows).mask(rows.size)
            scope &= one
    return scope


def _part(cache: PostingCache, conn: Connection, rows: Rows, part: QueryPart) -> np.ndarray:
    """The rows matching one part (its ``tsquery``)."""
    if part.is_phrase:
        return cache.postings(conn, "query", pg.part_query(part), rows).mask(rows.size)
    alternatives = [part.phrase] if part.phrase else [alt for alt in part.alternatives if alt]
    out = np.zeros(rows.size, dtype=bool)
    for alt in alternatives:
        terms = list(dict.fromkeys(alt))
        if len(terms) == 1:
            out |= _term(cache, conn, rows, terms[0]).mask(rows.size)
            continue
        seen = np.zeros(rows.size, dtype=np.int32)
        for term in terms:
            seen += _term(cache, conn, rows, term).mask(rows.size)
        out |= seen == len(terms)
    return out


def _term(cache: PostingCache, conn: Connection, rows: Rows, term: str) -> Postings:
    return cache.postings(conn, "term", pg._lexeme(term), rows)


def _lowest(tiers: Counter[int], wanted: int) -> int:
    """The highest tier from which on the tiers hold ``wanted`` documents (1: never)."""
    seen = 0
    for t in sorted(tiers, reverse=True):
        seen += tiers[t]
        if seen >= wanted:
            return t
    return 1


def _bounds(
    cache: PostingCache,
    conn: Connection,
    rows: Rows,
    parts: Sequence[QueryPart],
    idf: list[float],
    members: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each member's lower and upper bound of its score, per operand of a part where
    ``pg_backend._bounded`` bounds the part: an operand in the document's title or summary
    adds its exact share (from the list's head), one only after them its share from the
    list's tail (exact, or at least that and at most ``TAIL_ANY`` where the tail holds it
    ``TAIL_POSITIONS`` times; ``calc_rank_or``: every weight after the head is 0.3333), or
    its share of one position when the tail lacks it, one it lacks nothing; a phrase or a
    part of one alternative with several terms between 0 and idf (a phrase × (1 +
    ``TITLE_PHRASE_BOOST``)). Divided by the length normalisation and widened by ``MARGIN``
    (float4 sums)."""
    low = np.zeros(members.size, dtype=np.float64)
    high = np.zeros(members.size, dtype=np.float64)
    for n, part in enumerate(parts):
        query, _title = tsrank.rank_queries(part)
        if part.is_phrase or query.conjunctive:
            extra = pg.TITLE_PHRASE_BOOST if part.is_phrase else 0.0
            high += idf[n] * (1.0 + extra)
            continue
        # Per operand the document holds: in its title or summary, its exact share (its own
        # ts_rank over terms, from its list's head); else the share of as many positions as
        # it has after them (the list's tail: at least TAIL_POSITIONS, or fewer, exactly;
        # not in the tail: once); an operand the document lacks adds nothing.
        part_low = np.zeros(members.size, dtype=np.float64)
        part_high = np.zeros(members.size, dtype=np.float64)
        for operand in query.operands:
            found = _term(cache, conn, rows, operand)
            count = found.mask(rows.size)[members].astype(np.int64)  # 1: held at all
            if found.tail is not None:
                count = np.maximum(count, found.tail.counts(members))
            head = _head(found.head, members)
            part_low += np.where(head > 0, head, SHARE_LEAST[count])
            part_high += np.where(head > 0, head, SHARE_MOST[count])
        low += idf[n] * part_low / len(query.operands)
        high += idf[n] * part_high / len(query.operands)
    length = rows.length[members].astype(np.float64)
    nz = np.where(length > 0, np.log(length + 1) / math.log(2.0), 1.0)
    return low / nz * (1 - pg.MARGIN), high / nz * (1 + pg.MARGIN) + 1e-12


def _head(shares: Head | None, members: np.ndarray) -> np.ndarray:
    """Each member's share from the head (0 where it has none)."""
    out = np.zeros(members.size, dtype=np.float64)
    if shares is not None and shares.nums.size:
        at = np.minimum(np.searchsorted(shares.nums, members), shares.nums.size - 1)
        hit = shares.nums[at] == members
        out[hit] = shares.values[at[hit]]
    return out


def _page(
    conn: Connection,
    parts: Sequence[QueryPart],
    idf: list[float],
    members: np.ndarray,
    tier: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    lowest: int,
    offset: int,
    limit: int,
) -> list[HitRef]:
    """The page: the candidates ranked exactly by PostgreSQL."""
    params: dict[str, Any] = {"offset": offset, "limit": limit}
    for n, part in enumerate(parts):
        params[f"q{n}"] = pg.part_query(part)
        params[f"idf{n}"] = idf[n]
        if part.is_phrase:
            params[f"t{n}"] = " <-> ".join(f"{pg._lexeme(t)}:A" for t in part.phrase)
    score = pg.score_sql(parts, "CAST(:idf{n} AS float8)")
    at_lowest = np.flatnonzero(tier == lowest)
    # the page takes ``need`` documents from the lowest tier: the tiers above fill the rest
    need = offset + limit - int(np.count_nonzero(tier > lowest))
    known = np.full(members.size, np.nan)
    theta = 0.0
    if at_lowest.size > need > 0:
        best = at_lowest[np.argpartition(-lb[at_lowest], need - 1)[:need]]
        rows = conn.execute(
            text(_THRESHOLD.format(score=score)), {**params, "nums": _array(members[best])}
        ).all()
        by_num = {int(num): float(value) for num, value in rows}
        known[best] = [by_num[int(num)] for num in members[best]]
        theta = float(known[best].min())
    elif at_lowest.size:  # every member of the lowest tier is on the page
        theta = -math.inf
    chosen = (tier > lowest) | ((tier == lowest) & (ub >= theta))
    params["nums"] = _array(members[chosen])
    params["tiers"] = _array(tier[chosen])
    params["known"] = _array(known[chosen])
    return [
        HitRef(str(p), str(v), int(r), float(s))
        for p, v, r, s in conn.execute(text(_RANKED.format(score=score)), params)
    ]


def _array(values: np.ndarray) -> str:
    """An array parameter as PostgreSQL's text form, cast in the statement (``{1,2}``; NaN
    as NULL): a thousand numbers as one string instead of a thousand Python objects for the
    driver to adapt one by one. ``repr`` of a float reads back as the same float8."""
    if values.dtype.kind == "f":
        items = ["NULL" if math.isnan(v) else repr(v) for v in values.tolist()]
    else:
        items = [str(v) for v in values.tolist()]
    return "{" + ",".join(items) + "}"
