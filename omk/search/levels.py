"""Levels of a relevance query: the practices with every word as typed ranked above those
with a word only through a compound's halves, and those above the rest.

A query is matched with every alternative of its words (``wide``: a compound's halves, the
thesaurus' related words); its results, totals and facet counts are those of ``wide``. Their
order: the documents matching every part of ``levels[0]`` (every word as typed or a synonym
of synonyms.txt) first, ranked by ``levels[0]``'s parts; then those of ``levels[1]`` (every
word when a compound's halves count: "Sprache" and "Café" for "Sprachcafé") not listed yet,
ranked by its parts; then the rest of ``wide`` in its own order (tiers, then score).

:func:`by_matches` computes that order with one match per level; the Whoosh backend and
PostgreSQL's cached path compute the same order in one match (``levels=``): every level's
membership from the posting lists already read, a level ranked only when the page still has
room for it. The tests hold them equal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from omk.search.backend import HitRef, Levels, Match, QueryPart

#: One match of the backend: (parts, whether to count facets, how many) → the match of the
#: first ones, relevance-ranked.
Run = Callable[[Sequence[QueryPart], bool, int], Match]


def by_matches(run: Run, wide: Sequence[QueryPart], levels: Levels, limit: int) -> Match:
    """The match of ``wide`` (its first ``limit`` documents) ordered by ``levels``, with one
    match per level through ``run``. The narrower levels only order the page: their facet
    counts are never shown, and once a level's documents fill the page (each level's are
    among the next one's) the levels after it cannot reach it and are not matched."""
    match = run(wide, True, limit)
    match.groups = [0] * len(levels)
    if not match.complete:  # no document has every word: none has it as typed either
        return match
    strict: list[Match] = []
    for level in levels:
        strict.append(match if list(level) == list(wide) else run(level, False, limit))
        if strict[-1].complete >= limit:
            break
    page: list[HitRef] = []
    seen: set[tuple[str, int]] = set()
    for n, found in enumerate(strict):
        room = limit - len(page)
        group = [h for h in found.page[: found.complete] if _key(h) not in seen][:room]
        seen |= {_key(h) for h in group}
        page += group
        match.groups[n] = len(group)
    rest = [h for h in match.page if _key(h) not in seen]
    match.page = (page + rest)[:limit]  # the levels' documents fit: ``room``
    match.first_complete = strict[0].complete
    return match


def _key(hit: HitRef) -> tuple[str, int]:
    return (hit.practice_id, hit.revision_id)
