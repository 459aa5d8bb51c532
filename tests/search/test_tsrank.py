"""omk.search.tsrank computes PostgreSQL's ts_rank (weights {D, C, B, A} = {0.3333, 0.3333,
0.5, 1.0}, normalisation 1) in Python, so that Whoosh ranks a tier as the PostgreSQL backend
does. The expected values were computed by PostgreSQL 15:

    SELECT ts_rank('{0.3333, 0.3333, 0.5, 1.0}', '<DOCUMENT>'::tsvector, '<query>'::tsquery, 1)
"""

from __future__ import annotations

import pytest

from omk.search import tsrank
from omk.search.backend import QueryPart

DOCUMENT = "sprachcaf:1A,9C cafe:1A,12C sprach:1A,5B treff:3A,20C,40C,41C mutt:7B,30D"
WEIGHT = {"A": 1.0, "B": 0.5, "C": 0.3333, "D": 0.3333}


def _document() -> tuple[dict[str, tsrank.Positions], int]:
    doc: dict[str, tsrank.Positions] = {}
    for entry in DOCUMENT.split():
        term, _, positions = entry.partition(":")
        doc[term] = [(int(p[:-1]), WEIGHT[p[-1]]) for p in positions.split(",")]
    return doc, sum(len(p) for p in doc.values())


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (QueryPart("Sprachcafé", (("sprachcaf",),)), 0.17797413),
        (QueryPart("x", (("sprachcaf",), ("treff",), ("fehlt",))), 0.12181819),
        (QueryPart("x", (("sprach", "treff"),)), 0.26906452),
        (QueryPart('"Sprache Treff"', (), ("sprach", "treff")), 0.26906452),
        (QueryPart("x", (("fehlt",),)), 0.0),
        (QueryPart("x", (("mutt", "fehlt"),)), 2.7023815e-21),
    ],
)
def test_ts_rank_as_postgresql_computes_it(part: QueryPart, expected: float) -> None:
    doc, length = _document()
    query, _ = tsrank.rank_queries(part)
    assert tsrank.ts_rank(query, doc, length) == pytest.approx(expected, rel=1e-6, abs=1e-25)


def test_positions_over_fields_are_laid_out_as_the_postgresql_backend_does() -> None:
    offsets = tsrank.field_offsets({"title": 3, "summary": 0, "body": 5})
    assert offsets == {"title": 0, "summary": 4, "body": 5, "actors": 11}
    merged = tsrank.merge_fields({"title": [0, 2], "body": [1, 1], "actors": [0]}, offsets)
    assert merged == [(1, 1.0), (3, 1.0), (7, 0.3333), (12, 0.3333)]


def test_a_title_phrase_is_ranked_by_its_words() -> None:
    query, title = tsrank.rank_queries(QueryPart('"a b"', (), ("a", "b")))
    assert title == query and query.conjunctive and query.operands == ("a", "b")
    single, none = tsrank.rank_queries(QueryPart('"a"', (), ("a",)))
    assert none is None and not single.conjunctive
