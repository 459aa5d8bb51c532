"""Ranking only what must be ranked gives the page that scoring every member gives.

:mod:`omk.search.whoosh_prescore` bounds each member's ``ts_rank`` score from frequencies and
field lengths and scores exactly only the members that can reach the page; the page, its
scores and its order must be those of exact scores for every member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omk.search import bench, whoosh_prescore
from omk.search.service import parse
from omk.search.whoosh_backend import whoosh_query
from omk.search.whoosh_index import (
    WhooshIndex,
    _docs,
    _leaves,
    _TsScorer,
    create_generation,
    make_current,
)


def test_the_top_of_a_tier_is_the_exact_top(tmp_path: Path) -> None:
    vocab = bench.vocabulary()
    generation = create_generation(tmp_path)
    engine = WhooshIndex(tmp_path)
    engine.bulk_load(generation, bench.corpus(vocab, 300), procs=1)
    make_current(tmp_path, generation)
    texts = [q.text for q in bench.queries(vocab, count=40)]
    texts += [str(w) for w in vocab.words[:40:4]]  # frequent words: large tiers
    checked = equal = 0
    with engine.searcher() as s:
        for text in texts:
            parts = parse(text)
            if not parts:
                continue
            found = [_docs(s, whoosh_query(p)) for p in parts]
            members = np.unique(np.concatenate(found))
            if not members.size:
                continue
            scorer = _TsScorer(s, parts, s.doc_count(), [int(f.size) for f in found])
            exact = scorer.scores(members)
            bound, doubtful = whoosh_prescore.bounds_and_doubts(
                _leaves(s), scorer.queries, scorer.idfs, members
            )
            assert np.array_equal(
                bound, whoosh_prescore.bounds(_leaves(s), scorer.queries, scorer.idfs, members)
            )
            if all(not q.conjunctive and t is None for q, t in scorer.queries):
                assert np.all(bound >= exact), text
                # the bound is the exact score, bit for bit, wherever it is not in doubt
                assert np.array_equal(bound[~doubtful], exact[~doubtful]), text
                equal += int(np.count_nonzero(bound == exact))
                checked += members.size
            for need in (1, 5, 20, members.size + 3):
                order = np.lexsort((members, -exact))[:need]
                expected = [(int(members[i]), float(exact[i])) for i in order]
                assert scorer.top(members, need) == expected, (text, need)
    engine.close()
    assert checked > 1000
    assert equal >= 0.99 * checked  # the bound is the score itself almost always


def test_operand_rank_is_ts_rank_of_one_term() -> None:
    from omk.search import tsrank

    positions = [(1, 1.0), (5, 0.5), (9, 0.3333), (10, 0.3333)]
    query = tsrank.RankQuery(("t",), False)
    assert whoosh_prescore.operand_rank((1, 1, 2, 0)) == tsrank.ts_rank(query, {"t": positions}, 0)


def test_postings_leave_out_deleted_documents(tmp_path: Path) -> None:
    from whoosh import query

    from omk.search.whoosh_index import _term_docs

    vocab = bench.vocabulary()
    generation = create_generation(tmp_path)
    engine = WhooshIndex(tmp_path)
    records = next(bench.corpus(vocab, 60))
    engine.bulk_load(generation, [records], procs=1)
    make_current(tmp_path, generation)
    assert engine.apply([r.practice_id for r in records[::3]], [])  # deletes 20 documents
    with engine.searcher() as s:
        assert s.reader().has_deletions()
        for word in [str(w).lower() for w in vocab.words[:30]]:
            for name in ("title", "body"):
                expected = sorted(s.docs_for_query(query.Term(name, word)))
                found = [int(d) for r, off in _leaves(s) for d in _term_docs(r, name, word) + off]
                assert found == expected, word
    engine.close()


def test_exact_top_is_the_top_by_exact_score() -> None:
    """Whatever the bounds over-estimate (few members or many, ties), the page is the one
    a full sort by exact score gives, and members far below the page are never scored."""
    rng = np.random.default_rng(11)
    for case in range(60):
        n = int(rng.integers(1, 400))
        members = np.sort(rng.choice(100_000, size=n, replace=False))
        exact_scores = np.round(rng.random(n), 1 + case % 3)  # rounding makes ties
        bound = exact_scores.copy()
        lower = rng.random(n) < (0.02, 0.3, 0.9)[case % 3]
        bound[lower] += rng.random(int(lower.sum())) * (case % 4)
        scored: list[int] = []

        def exact(
            docs: np.ndarray,
            s: np.ndarray = exact_scores,
            m: np.ndarray = members,
            seen: list[int] = scored,
        ) -> Any:
            seen.extend(docs.tolist())
            return s[np.searchsorted(m, docs)]

        for need in (1, 5, 20, n + 3):
            scored.clear()
            order = np.lexsort((members, -exact_scores))[:need]
            expected = [(int(members[i]), float(exact_scores[i])) for i in order]
            assert whoosh_prescore.exact_top(members, need, bound, exact) == expected
            assert len(scored) == len(set(scored))  # nobody scored twice
        if case % 3 == 0 and n > 200:  # bounds nearly exact: a page of 20 scores few
            scored.clear()
            whoosh_prescore.exact_top(members, 20, bound, exact)
            assert len(scored) < n / 2
