"""Both search backends match alike: the hand-checked German query/document table run through
each backend's matching, and (on PostgreSQL) Whoosh and PostgreSQL compared on the evaluation
set: the same hit sets per tier, totals, part counts and facet counts for every query.

Records are given to the backends directly (no reports, no hit check against the database):
this tests matching and counting, which is all a backend does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from omk.search import analysis, service
from omk.search.backend import Match, QueryPart, SearchBackend
from omk.search.levels import by_matches
from omk.search.records import PracticeRecord
from tests.search.eval_sets import load_practices, load_queries
from tests.search.evaluate import FACET_FIELDS
from tests.search.test_analysis import CASES

pytestmark = pytest.mark.search_backends


def record(
    code: str,
    title: str,
    *,
    summary: str = "",
    description: str = "",
    cycle: str = "2025",
    **facets: Any,
) -> PracticeRecord:
    return PracticeRecord(
        practice_id=code,
        cycle=cycle,
        is_latest=True,
        report_id=0,
        revision_id=int(code.lstrip("dc") or 0),
        ags="05113000",
        municipality_key="05113000",
        name="Essen",
        title=title,
        summary=summary,
        description=description,
        outcomes=facets.pop("outcomes", ""),
        transferability=facets.pop("transferability", ""),
        actors=facets.pop("actors", ""),
        period_end=f"{cycle}-12-31",
        accepted_at="",
        cycles=[cycle],
        **facets,
    )


def strict_parts(query: str) -> list[QueryPart]:
    """Every query term required as it is (the table's STRICT cases)."""
    return [QueryPart(t, alternatives=((t,),)) for t in analysis.terms(query, "query")]


def complete_hits(backend: SearchBackend, parts: Sequence[QueryPart]) -> set[str]:
    found = backend.match(parts, filters={}, version=None, sort="relevance", offset=0, limit=1000)
    return {ref.practice_id for ref in found.page[: found.complete]}


def test_the_match_table_on_the_backend(app: Flask, search_backend: str) -> None:
    """Every case of the table (tests/search/test_analysis.py) matches on the backend as it
    does in the analysis: the document is among the hits with every query part."""
    backend = service.engine()
    assert backend.name == search_backend
    documents = sorted({document for _, document, _, _ in CASES})
    codes = {document: f"c{n:03d}" for n, document in enumerate(documents, start=1)}
    records = [record(codes[d], d) for d in documents]
    assert backend.apply([r.practice_id for r in records], records)
    wrong = []
    for query, document, expected, use_synonyms in CASES:
        parts = service.parse(query) if use_synonyms else strict_parts(query)
        # A query of stop words only has no parts and matches nothing (as in the analysis).
        hit = bool(parts) and codes[document] in complete_hits(backend, parts)
        if hit != expected:
            wrong.append((query, document, expected))
    assert not wrong


def _eval_records() -> list[PracticeRecord]:
    out = []
    for code, p in load_practices().items():
        out.append(
            record(
                code,
                p["title"],
                summary=p["summary"],
                description=p["description"],
                outcomes=p.get("outcomes") or "",
                transferability=p.get("transferability") or "",
                actors="\n".join(a["name"] for a in p.get("actors", [])),
                criterion=[p["criterion"]],
                fields=list(p.get("fields") or []),
                recommendations=list(p.get("recommendations") or []),
                land=[p["ags"][:2]],
                kreis=[p["ags"][:5]],
                actor_types=sorted({a["type"] for a in p.get("actors", [])}),
                target_groups=list(p.get("target_groups") or []),
                status=[p["status"]] if p.get("status") else [],
            )
        )
    return out


#: Share of the evaluation queries whose first page of ten is in the same order on both.
ORDER_AGREEMENT = 0.9


def test_backends_agree_on_the_evaluation_set(
    make_app: Any, search_backend: str, tmp_path: Path
) -> None:
    if search_backend != "postgres":
        pytest.skip("compares Whoosh with PostgreSQL: runs on PostgreSQL")
    app = make_app()
    records = _eval_records()
    found: dict[str, dict[str, Match]] = {}
    with app.app_context():
        for name in ("whoosh", "postgres"):
            app.config["SEARCH_BACKEND"] = name
            backend = service.engine()
            assert backend.rebuild([records]) == len(records)
            found[name] = {}
            for q in load_queries():
                filters = {FACET_FIELDS[k]: [v] for k, v in q.facets.items()}
                for sort in ("relevance", "newest"):
                    found[name][f"{q.id} {sort}"] = backend.match(
                        service.parse(q.text),
                        filters=filters,
                        version=None,
                        sort=sort,
                        offset=0,
                        limit=1000,
                    )
    differences = []
    for key, whoosh in found["whoosh"].items():
        pg = found["postgres"][key]
        same = (
            whoosh.total,
            whoosh.complete,
            whoosh.part_hits,
            whoosh.facets,
            {r.practice_id for r in whoosh.page},
        ) == (pg.total, pg.complete, pg.part_hits, pg.facets, {r.practice_id for r in pg.page})
        if key.endswith("relevance"):  # every part first: the same set on top
            same = same and {r.practice_id for r in whoosh.page[: whoosh.complete]} == {
                r.practice_id for r in pg.page[: pg.complete]
            }
        if not same:
            differences.append(key)
    assert not differences
    # Whoosh ranks a tier with PostgreSQL's formula (omk.search.tsrank); only its field
    # lengths (kept to about 3 %) and distances across fields differ: the first page agrees.
    relevance = [key for key in found["whoosh"] if key.endswith("relevance")]
    ordered = [
        key
        for key in relevance
        if [r.practice_id for r in found["whoosh"][key].page[:10]]
        == [r.practice_id for r in found["postgres"][key].page[:10]]
    ]
    print(f"first page in the same order: {len(ordered)} of {len(relevance)}")
    assert len(ordered) >= ORDER_AGREEMENT * len(relevance)


def test_a_match_without_facet_counts_finds_and_ranks_the_same(
    app: Flask, search_backend: str
) -> None:
    """The search's narrower levels only order the page and ask for no facet counts: the
    same hits, totals and order, the counts left out."""
    backend = service.engine()
    records = _eval_records()
    assert backend.apply([r.practice_id for r in records], records)
    for query in ("Sprachcafé", "Wohnung für Geflüchtete", "Ehrenamt Patenschaft"):
        parts = service.parse(query, related=True)
        asked = {"filters": {}, "version": None, "sort": "relevance", "offset": 0, "limit": 50}
        counted = backend.match(parts, **asked)
        bare = backend.match(parts, facets=False, **asked)
        assert counted.facets and not any(bare.facets.values()), query
        assert (bare.total, bare.complete, bare.part_hits) == (
            counted.total,
            counted.complete,
            counted.part_hits,
        )
        assert [h.practice_id for h in bare.page] == [h.practice_id for h in counted.page]


def test_levels_in_one_match_rank_as_one_match_per_level(app: Flask, search_backend: str) -> None:
    """The search page ranks the practices with every word as typed first, then those with a
    compound's halves, then the rest (omk.search.levels). The backend does that in one match
    from the posting lists it read; the result is the one of a match per level, for every
    evaluation query with levels, any page size and offset: the same page in the same order,
    the same groups, totals and facet counts."""
    backend = service.engine()
    records = _eval_records()
    assert backend.apply([r.practice_id for r in records], records)
    asked = {"filters": {}, "version": None, "sort": "relevance"}

    def run(parts: Sequence[QueryPart], counted: bool, first: int) -> Match:
        return backend.match(parts, offset=0, limit=first, facets=counted, **asked)

    compared = 0
    for q in load_queries():
        wide = service.parse(q.text, related=True)
        ranked_apart = service.relevance_levels(q.text, wide)
        if ranked_apart == [wide]:
            continue
        for offset, limit in ((0, 100), (0, 3), (2, 5), (0, 12)):
            one = backend.match(wide, offset=offset, limit=limit, levels=ranked_apart, **asked)
            apart = by_matches(run, wide, ranked_apart, offset + limit)
            key = (q.text, offset, limit)
            assert [h.practice_id for h in one.page] == [
                h.practice_id for h in apart.page[offset:]
            ], key
            assert (one.groups, one.first_complete) == (apart.groups, apart.first_complete), key
            assert (one.total, one.complete, one.part_hits, one.facets) == (
                apart.total,
                apart.complete,
                apart.part_hits,
                apart.facets,
            ), key
            compared += 1
    assert compared >= 20  # the set has queries with compounds and related words
