"""Posting lists read with numpy (``whoosh_postings``) equal Whoosh's own matchers; the
cache keeps its bound; facet counts from the combined columns equal a count by hand. The
warm-up's prefill of the cache (``whoosh_prefill``): the most frequent terms first, within
its share of the bound, the same lists and query results as decoding them on demand, and in
the background for the segments of a later commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.analysis import Filter, RegexTokenizer

from omk.search import bench, whoosh_postings, whoosh_prefill
from omk.search.records import FACETS
from omk.search.service import parse
from omk.search.whoosh_backend import whoosh_query
from omk.search.whoosh_index import WhooshIndex, _leaves, create_generation, make_current
from omk.search.whoosh_postings import PostingsCache

TEXT_FIELDS = ("title", "summary", "body", "actors")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshIndex]:
    root = tmp_path_factory.mktemp("postings")
    generation = create_generation(root)
    engine = WhooshIndex(root)
    records = [r for batch in bench.corpus(bench.vocabulary(), 400) for r in batch]
    engine.bulk_load(generation, [records[:300]], procs=1)
    make_current(root, generation)
    engine.apply([], records[300:])  # a second segment
    engine.apply([records[5].practice_id, records[310].practice_id], [])  # deletions in both
    engine.records = {r.practice_id: r for r in records}  # type: ignore[attr-defined]
    yield engine
    engine.close()


def _with_matcher(leaf: Any, name: str, term: str) -> tuple[list[int], list[float], list[Any]]:
    m = leaf.postings(name, term)
    ids, weights, positions = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        positions.append(list(m.value_as("positions")))
        m.next()
    return ids, weights, positions


def test_postings_equal_whooshs_matcher(engine: WhooshIndex) -> None:
    cache = PostingsCache()
    checked = blocks = 0
    with engine.searcher() as s:
        leaves = _leaves(s)
        assert len(leaves) == 2 and all(leaf.has_deletions() for leaf, _ in leaves)
        for leaf, _ in leaves:
            for name in TEXT_FIELDS:
                decode = leaf.schema[name].format.decoder("positions")
                for raw in list(leaf.lexicon(name))[::7]:
                    term = raw.decode("utf-8")
                    ids, weights, positions = _with_matcher(leaf, name, term)  # live only
                    got_ids, got_weights = cache.get(leaf, name, term)
                    assert got_ids.tolist() == ids, (name, term)
                    assert got_weights.tolist() == weights, (name, term)
                    found = cache.raw(leaf, name, term)
                    assert found is not None and found.doubled is not None
                    assert found.doubled.size == 0  # the corpus never repeats a position
                    blocks += len(found.blocks)
                    at = whoosh_postings.positions(found, ids, decode)
                    assert [at[d] for d in ids] == positions, (name, term)
                    checked += 1
        assert cache.get(leaves[0][0], "body", "no-such-term")[0].size == 0
    assert checked > 500 and blocks > checked  # lists of several blocks among them


class _Twice(Filter):
    """Every token twice at its position (as a compound part equal to its word would be)."""

    def __call__(self, tokens: Any) -> Any:
        for token in tokens:
            if token.text.startswith("twice"):
                yield token.copy()
            yield token


def test_repeated_positions_are_found(tmp_path: Path) -> None:
    schema = fields.Schema(text=fields.TEXT(analyzer=RegexTokenizer() | _Twice(), phrase=True))
    ix = whoosh_index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    texts = [f"w{n} twice{n % 3} x{n % 5} twice{n % 3}" for n in range(300)]
    texts += ["twice0 alone", "x1", "twice1"]  # position 0, a list of one
    for text in texts:
        writer.add_document(text=text)
    writer.commit()
    cache = PostingsCache()
    with ix.searcher() as s:
        leaf = s.reader()
        for term in ("twice0", "twice1", "twice2", "x1", "w7"):
            found = cache.raw(leaf, "text", term)
            assert found is not None and found.doubled is not None
            ids, _, positions = _with_matcher(leaf, "text", term)
            repeated = [d for d, at in zip(ids, positions, strict=True) if len(set(at)) < len(at)]
            assert found.doubled.tolist() == repeated, term
            assert (term.startswith("twice") and len(repeated) > 90) or not repeated
    ix.close()


def test_the_cache_keeps_its_bound(engine: WhooshIndex) -> None:
    with engine.searcher() as s:
        leaf = _leaves(s)[0][0]
        terms = [raw.decode("utf-8") for raw in list(leaf.lexicon("body"))[:200]]
        one = PostingsCache()
        sizes = [one.raw(leaf, "body", t).nbytes for t in terms]  # type: ignore[union-attr]
        small = PostingsCache(max_bytes=sum(sizes) // 4)
        for term in terms:
            small.get(leaf, "body", term)
            assert small.bytes <= small.max_bytes
        assert 0 < len(small._lists) < len(terms)
        assert list(small._lists)[-1][2] == terms[-1]  # the most recent stays
        small.keep_segments([])
        assert small.bytes == 0 and not small._lists
        off = PostingsCache(max_bytes=0)  # SEARCH_POSTINGS_CACHE_MB=0: nothing kept
        assert off.get(leaf, "body", terms[0])[0].size and not off._lists


def test_facet_counts_from_columns_equal_a_count_by_hand(engine: WhooshIndex) -> None:
    rng = np.random.default_rng(7)
    with engine.searcher() as s:
        columns = engine.facets.columns(s)
        records = engine.records  # type: ignore[attr-defined]
        indexed = {
            d: records[s.stored_fields(d)["practice_id"]]
            for d in np.flatnonzero(columns.alive).tolist()
        }
        assert len(indexed) == 398
        for share in (0.02, 0.1, 0.5, 0.9):  # below and above SPARSE_SHARE
            matched = (rng.random(columns.size) < share) & columns.alive
            counts = engine._count(columns, matched)
            expected: dict[str, dict[str, int]] = {name: {} for name in FACETS}
            for d in np.flatnonzero(matched).tolist():
                for name in FACETS:
                    for value in getattr(indexed[d], name):
                        expected[name][value] = expected[name].get(value, 0) + 1
            assert counts == expected, share


def test_the_most_frequent_terms_first_within_the_budget(engine: WhooshIndex) -> None:
    with engine.searcher() as s:
        readers = [r for r, _ in _leaves(s)]
        assert whoosh_prefill.shareable(readers)  # compound segments, memory-mapped
        ranked = whoosh_prefill.candidates(readers, TEXT_FIELDS)
        frequencies = [c[0] for c in ranked]
        assert frequencies == sorted(frequencies, reverse=True) and len(ranked) > 1000
        assert {c[2] for c in ranked} == set(TEXT_FIELDS)
        cache = PostingsCache(1 << 30)
        budget = 200_000
        found = whoosh_prefill.prefill(readers, cache, TEXT_FIELDS, budget)
        assert 0 < found["bytes"] == cache.bytes <= budget
        assert found["lists"] == len(cache._lists) and not found["stopped"]
        # the most frequent list is in, and the least recently used last (evicted last)
        _, number, field, tbytes = ranked[0]
        top = (whoosh_postings.segment_key(readers[number]), field, tbytes.decode("utf-8"))
        assert next(reversed(cache._lists)) == top
        # each prefilled list equals the one read on demand, file handle set on first use
        for (segment, field, text), held in list(cache._lists.items())[:50]:
            reader = next(r for r in readers if whoosh_postings.segment_key(r) == segment)
            assert held is not None
            assert held.postfile is None or held.inline is not None
            fresh = whoosh_postings.read(reader, field, text)
            assert fresh is not None
            assert np.array_equal(held.ids, fresh.ids)
            assert np.array_equal(held.weights, fresh.weights)
            assert held.blocks == fresh.blocks
            got = cache.raw(reader, field, text)
            assert got is held and (got.postfile is not None or got.inline is not None)
            docs = fresh.ids[:3].tolist()
            decode = reader.schema[field].format.decoder("positions")
            assert whoosh_postings.positions(got, docs, decode) == whoosh_postings.positions(
                fresh, docs, decode
            )


def test_nothing_is_evicted_for_it_and_it_stops_when_told(engine: WhooshIndex) -> None:
    with engine.searcher() as s:
        readers = [r for r, _ in _leaves(s)]
        cache = PostingsCache(50_000)
        found = whoosh_prefill.prefill(readers, cache, TEXT_FIELDS, 10**9)
        assert cache.bytes <= 50_000 and found["lists"] > 0
        stopped = whoosh_prefill.prefill(readers, PostingsCache(), TEXT_FIELDS, 10**9, lambda: True)
        assert stopped["stopped"] and stopped["lists"] == 0


def _results(engine: WhooshIndex, text: str) -> tuple[int, list[tuple[int, float]], object]:
    parts = parse(text)
    found = engine.match(
        [whoosh_query(p) for p in parts],
        filters={},
        version=None,
        sort="relevance",
        offset=0,
        limit=20,
        ranking=parts,
    )
    return found.total, found.page, found.facets


def test_the_same_results_prefilled_or_not(engine: WhooshIndex) -> None:
    queries = [q.text for q in bench.queries(bench.vocabulary(), 20)]
    engine.clear_postings()
    cold = [_results(engine, q) for q in queries]
    engine.clear_postings()
    filled = engine.prefill_postings()
    assert filled["lists"] > 0 and engine.postings.bytes > 0
    assert [_results(engine, q) for q in queries] == cold
    engine.clear_postings()


def test_a_warmed_index_prefills_new_segments_in_the_background(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("prefill-bg")
    records = [r for batch in bench.corpus(bench.vocabulary(), 120) for r in batch]
    generation = create_generation(root)
    WhooshIndex(root).bulk_load(generation, [records[:100]], procs=1)
    make_current(root, generation)
    engine = WhooshIndex(root)
    engine.prefill_on_change = True
    try:
        with engine.searcher():
            pass
        assert engine.prefill_thread is not None
        engine.prefill_thread.join(30)
        first = set(engine.postings._lists)
        assert first
        engine.apply([], records[100:])  # a commit: a new segment
        with engine.searcher() as s:
            segments = [whoosh_postings.segment_key(r) for r, _ in _leaves(s)]
        engine.prefill_thread.join(30)
        assert len(segments) == 2
        assert {key[0] for key in engine.postings._lists} == set(segments)
    finally:
        engine.close()
