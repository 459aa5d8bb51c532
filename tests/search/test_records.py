"""Published practices are read for any number of lineages (``IN`` lists in pieces).

A register import that renames every municipality, or a consumer catching up on every lineage,
asks for more ids than a statement may carry (PostgreSQL: 65,535 parameters, SQLite: 32,766).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omk.chunks import chunks, sorted_chunks
from omk.models import User
from omk.search import records
from omk.services import reports
from omk.synergies import published
from tests import factories

ESSEN = "05113000"
MANY = 70_000  # more than either database takes as parameters of one statement


def test_chunks_cover_every_item_once() -> None:
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []
    assert list(sorted_chunks(["b", "a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError):
        list(chunks([1], 0))


def test_records_of_more_lineages_than_a_statement_takes(
    make_user: Callable[..., User],
) -> None:
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    reviewer = make_user("reviewer", scope="05")
    report, _ = reports.import_document(
        reporter, factories.document(ESSEN, practices=[factories.practice("Sprachcafé am Markt")])
    )
    reports.submit(reporter, report)
    reports.accept(reviewer, report)
    (lineage,) = records.all_lineages()
    unknown = [f"00000000-0000-4000-8000-{n:012d}" for n in range(MANY)]

    found = records.records([*unknown, lineage])
    assert [(r.practice_id, r.title) for r in found] == [(lineage, "Sprachcafé am Markt")]

    keys = [f"{n:08d}" for n in range(MANY)] + [ESSEN]
    assert records.lineages_of(keys) == [lineage]

    revision = found[0].revision_id
    pairs = [(u, n + 1_000_000) for n, u in enumerate(unknown)] + [(lineage, revision)]
    assert records.published_pairs(pairs) == {(lineage, revision)}

    # the synergies read published practices by id the same way
    assert [v.practice_id for v in published.versions(practice_ids=[*unknown, lineage])] == [
        lineage
    ]
    assert published.cycles_of([*unknown, lineage]) == {lineage: ["2025"]}
    assert published.adopters_of([*unknown, lineage]) == {}
