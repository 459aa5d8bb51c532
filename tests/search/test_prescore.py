"""Ranking only what must be ranked gives the page that scoring every member gives.

:mod:`omk.search.whoosh_prescore` bounds each member's ``ts_rank`` score from frequencies and
field lengths and scores exactly only the members that can reach the page; the page, its
scores and its order must be those of exact scores for every member."""

from __future__ import annotations

from pathlib import Path

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
            bound = whoosh_prescore.bounds(_leaves(s), scorer.queries, scorer.idfs, members)
            if all(not q.conjunctive and t is None for q, t in scorer.queries):
                assert np.all(bound >= exact), text
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
