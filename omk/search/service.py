"""Search as the app uses it: keep the index in step with the database (through the outbox
only), answer queries with hits re-checked against the database, rebuild and verify.

The index only ever learns what the database committed: the outbox consumer ``search``
recomputes the records of every lineage an entry names and replaces them (idempotent, in
order). ``reindex`` builds a new generation beside the live one from the database and swaps
it in; ``verify`` compares both and lists the drift.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.outbox import OutboxEntry, OutboxKind
from omk.search import analysis, embeddings, passages, ranking, records, snippets, spelling
from omk.search.backend import HitRef, Match, QueryPart, SearchBackend
from omk.search.records import FACETS
from omk.services import outbox

log = logging.getLogger("omk.search")

CONSUMER = "search"
PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 500
MAX_QUERY_PARTS = 12
SORTS = ("relevance", "newest")
BACKENDS = ("whoosh", "postgres")


def index_root() -> Path:
    return Path(current_app.config["SEARCH_INDEX"])


def backend_name() -> str:
    """The configured engine: ``whoosh`` (an index folder) or ``postgres`` (a table)."""
    name = str(current_app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"OMK_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return name


def engine() -> SearchBackend:
    """The app's search backend, picked once per app from ``SEARCH_BACKEND`` (one instance
    per process, reused between requests)."""
    engines: dict[str, SearchBackend] = current_app.extensions.setdefault("omk_search", {})
    name = backend_name()
    where = str(index_root()) if name == "whoosh" else "postgres"
    if where not in engines:
        if name == "postgres":
            from omk.search.pg_backend import PostgresBackend

            engines[where] = PostgresBackend(db.engine)
        else:
            from omk.search.whoosh_backend import WhooshBackend

            cache_mb = current_app.config.get("SEARCH_POSTINGS_CACHE_MB")
            engines[where] = WhooshBackend(Path(where), postings_cache_mb=cache_mb)
    return engines[where]


# --- keeping the index in step ------------------------------------------------------------


def lineages_of_entries(entries: Sequence[OutboxEntry]) -> list[str]:
    """The lineages whose published versions these outbox entries changed."""
    ids: set[str] = set()
    municipalities: set[str] = set()
    for entry in entries:
        if entry.kind in (OutboxKind.REPORT_PUBLISHED, OutboxKind.PRACTICE_VALIDATED):
            ids.update(entry.practice_ids or [])
        elif entry.kind == OutboxKind.MUNICIPALITY_CHANGED and entry.municipality_key:
            municipalities.add(entry.municipality_key)
    ids.update(records.lineages_of(municipalities))
    return sorted(ids)


def apply_lineages(practice_ids: Sequence[str]) -> None:
    """Make the index hold exactly the database's published versions of these lineages."""
    if not practice_ids:
        return
    if not engine().apply(practice_ids, records.records(practice_ids)):
        raise outbox.ConsumerBusy()


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: apply a batch of entries (idempotent)."""
    apply_lineages(lineages_of_entries(entries))


def register(app: Any) -> None:
    """Read the analysis data from the app's content folder; make the index a consumer of
    the outbox."""
    analysis.use_data_dir(Path(app.extensions["omk_content"].root) / "search")
    outbox.register_consumer(CONSUMER, apply_entries)
    outbox.register_consumer(passages.CONSUMER, passages.apply_entries)


def sync() -> int:
    """Apply every pending outbox entry to the index (cron: ``omk search sync``)."""
    return outbox.drain(CONSUMER, apply_entries)


@dataclass
class Drift:
    """Differences between the index and the database."""

    missing: list[str] = field(default_factory=list)  # published, not in the index
    stale: list[str] = field(default_factory=list)  # in the index with other content
    extra: list[str] = field(default_factory=list)  # in the index, not published

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def verify() -> Drift:
    """Compare every published version with the index."""
    expected = {r.key: r.stamp for r in records.records(None)}
    indexed = engine().stamps()
    return Drift(
        missing=sorted(k for k in expected if k not in indexed),
        stale=sorted(k for k in expected if k in indexed and indexed[k] != expected[k]),
        extra=sorted(k for k in indexed if k not in expected),
    )


def reindex(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the database beside the live one and swap it in atomically.

    Entries committed while the rebuild reads are applied again afterwards (idempotent), so
    nothing published during a reindex is missed. The index holds no vectors: passage
    vectors are stored in the database (``omk search embed``, ``omk.search.passages``)."""
    start = db.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
    lineages = records.all_lineages()
    done = 0

    def batches() -> Any:
        nonlocal done
        for batch in records.batches(lineages):
            done += len({r.practice_id for r in batch})
            if progress is not None:
                progress(done, len(lineages))
            yield batch

    count = engine().rebuild(batches())
    outbox.reset(CONSUMER, int(start))
    sync()
    return count


def status() -> dict[str, Any]:
    """Index health and outbox lag (for /healthz)."""
    lag = outbox.lag(CONSUMER)
    return {
        "documents": engine().doc_count(),
        "outbox_pending": lag.pending,
        "outbox_oldest": lag.oldest_at.isoformat() if lag.oldest_at else None,
    }


# --- queries -----------------------------------------------------------------------------------

_PHRASE = re.compile(r'"([^"]+)"')

#: One unit of a query: a word (with its alternatives) or a quoted phrase.
Part = QueryPart


def parse(text: str, *, related: bool = False, halves: bool = True) -> list[Part]:
    """A query's parts: quoted phrases, and words or synonym phrases with their alternatives.

    A phrase in the title counts most (each backend boosts it): a practice's exact title in
    quotes finds that practice first. ``related``: words also get their related words of the
    thesaurus (``analysis.query_terms``); without ``halves`` a compound is not matched by its
    two halves ("Sprachcafé" only as itself or a synonym, not as "Sprache" and "Café"); the
    parts stay the same, one per word."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    parts: list[Part] = []
    for phrase in _PHRASE.findall(text):
        words = tuple(analysis.terms(phrase, "query"))
        if words:
            parts.append(
                Part(phrase, alternatives=(words,) if len(words) == 1 else (), phrase=words)
            )
    rest = _PHRASE.sub(" ", text)
    for part in analysis.expand_query(rest, related=related, halves=halves):
        alternatives = tuple(alt for alt in part.alternatives if alt)
        if alternatives:
            parts.append(Part(part.text, alternatives=alternatives))
    return parts[:MAX_QUERY_PARTS]


@dataclass
class Hit:
    """One result: the lineage's version shown, with what a result list needs."""

    practice_id: str
    cycle: str
    revision_id: int
    score: float
    title: str = ""
    summary: str = ""
    ags: str = ""
    municipality_key: str = ""
    name: str = ""
    criterion: str = ""
    cycles: list[str] = field(default_factory=list)
    snippet: snippets.Snippet = field(default_factory=list)
    published_at: datetime | None = None


@dataclass
class Results:
    """A page of results with totals, facet counts and a suggestion."""

    query: str
    total: int
    complete: int  # results containing every word
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    partial: bool  # some results match only some of the words
    unmatched: list[str]  # query words that match nothing
    corrected_from: str | None = None  # the query as typed, when results are for a suggestion
    corrected_partial: bool = False  # ... though the query as typed matched some words
    # When a word also matches through the halves of a compound or related words (the
    # thesaurus): the results containing every word as typed or a synonym of synonyms.txt
    # (ranked first); ``complete`` then counts those with every word through any alternative.
    complete_as_typed: int | None = None
    #: a query word has synonyms of synonyms.txt (which count as the word itself)
    has_synonyms: bool = False
    #: the query has words, but only ones nobody searches by ("die der und"): nothing is
    #: searched (an empty query would list every practice)
    only_common_words: bool = False
    #: results that contain none of the query's words but were found by meaning (counted in
    #: ``total``; they follow the results with every word)
    by_meaning: int = 0


def search(
    text: str,
    *,
    filters: dict[str, list[str]] | None = None,
    cycle: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    _corrected: bool = False,
) -> Results:
    """Search published practices. ``filters`` maps facet names (FACETS keys) to values;
    ``cycle`` shows that cycle's version of each practice instead of the newest."""
    parts = parse(text, related=True)
    if _only_common_words(text, parts):
        return Results(
            query=text,
            total=0,
            complete=0,
            page=page,
            per_page=per_page,
            hits=[],
            facets={},
            suggestion=None,
            partial=False,
            unmatched=[],
            only_common_words=True,
        )
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    if cycle:
        filters = {k: v for k, v in filters.items() if k != "cycles"}
    sort = sort if sort in SORTS else "relevance"
    offset = (page - 1) * per_page
    # Hybrid ranking (omk.search.ranking): the lexical head of the ranking is reordered by
    # meaning; the backend ranks that deep, the page is cut from the fused order.
    hybrid = bool(parts) and sort == "relevance" and embeddings.embeddings_available()
    # Ranked first: every word as typed (or a synonym), then every word with a compound's
    # halves (``relevance_levels``); "newest first" orders every match by date instead.
    typed = parse(text, halves=False)
    levels = relevance_levels(text, parts, typed) if sort == "relevance" else [parts]
    ranked_apart = levels != [parts]
    match = engine().match(
        parts,
        filters=filters,
        version=cycle or None,
        sort=sort,
        offset=0 if hybrid else offset,
        limit=max(ranking.DEPTH, offset + per_page) if hybrid else per_page,
        levels=levels if ranked_apart else (),
    )
    # The fusion keeps only the levels' groups apart: a related word is weaker evidence
    # than a word as typed, so practices that have every word only through related words
    # are fused with the partial matches by meaning (on all four tuning splits mean nDCG@10
    # 0.769 → 0.772, none down by more than 0.004; "Leute hocken nur im Heim" no longer
    # lists "Privatleute … Sitz … Lehrstuhl" first).
    groups: list[int] = match.groups if ranked_apart else [match.complete]
    as_typed = match.first_complete if ranked_apart else None
    corrections = _corrections(parts, match.part_hits)
    suggestion = _suggestion(text, corrections)
    if suggestion and not _corrected and _correctable(parts, match, corrections):
        # A misspelling: show what the suggestion finds, and say so (the page offers the
        # query as typed). With some results already, only for words that are no German
        # word and only when the suggestion matches every word somewhere.
        corrected = search(
            suggestion,
            filters=filters,
            cycle=cycle,
            sort=sort,
            page=page,
            per_page=per_page,
            _corrected=True,
        )
        if corrected.complete if match.total else corrected.total:
            corrected.corrected_from = text
            corrected.corrected_partial = match.total > 0
            return corrected
    lexical_total = match.total  # found by meaning alone are added to it below
    if hybrid:
        ranked = match.page
        head = ranked[: ranking.DEPTH]
        # Practices found by meaning alone join only when every lexical match is in the head
        # (so none is counted twice), the query has no quoted phrase (asked literally) and
        # it has a meaning: a word the index or the lexicon knows ("xyzqwv" has none, yet
        # e5 puts some practice at cosine 0.82 to it).
        literal = (
            any(p.is_phrase for p in parts)
            or match.total > len(head)
            or not (any(match.part_hits) or any(_known_word(p.text) for p in parts))
        )
        fused = ranking.rerank(
            text,
            head,
            [(h.practice_id, h.revision_id) for h in head],
            groups,
            add=None if literal else lambda offered: _dense_only(offered, filters, cycle, match),
        )
        match.page = (fused.items + ranked[ranking.DEPTH :])[offset : offset + per_page]
    terms = set().union(*(p.terms for p in parts)) if parts else set()
    hits = _checked_hits(match.page, terms)
    unmatched = [p.text for p, n in zip(parts, match.part_hits, strict=True) if n == 0]
    return Results(
        query=text,
        total=match.total,
        complete=match.complete,
        page=page,
        per_page=per_page,
        hits=hits,
        facets=match.facets,
        suggestion=suggestion,
        partial=bool(parts) and match.complete < match.total,
        unmatched=unmatched,
        complete_as_typed=as_typed,
        has_synonyms=any(len(p.alternatives) > 1 for p in typed),
        by_meaning=match.total - lexical_total,
    )


def relevance_levels(
    text: str, wide: list[Part] | None = None, typed: list[Part] | None = None
) -> list[list[Part]]:
    """The parts of a relevance query ranked apart, strongest first: every word as typed (or
    a synonym), then with a compound's halves, when they differ. ``wide`` (the query with
    every alternative, related words too: what is matched) is ``[wide]`` when nothing is
    ranked apart; otherwise the backend ranks each level's practices above the next
    (:mod:`omk.search.levels`), in one match (the search benchmark times it as the page
    runs it)."""
    wide = parse(text, related=True) if wide is None else wide
    typed = parse(text, halves=False) if typed is None else typed
    own = parse(text)
    levels = [typed] if own == typed else [typed, own]
    return [wide] if levels == [wide] else levels


#: The shortest start of a word that, found in the lexicon, makes the word a known one.
KNOWN_START = 5


def _known_word(text: str) -> bool:
    """Whether a query word is German as the search knows it: in the lexicon, a compound of
    words it knows ("Flüchtlingsfahrradwerkstatt"), or a word that starts with one of at
    least :data:`KNOWN_START` letters (a misspelt compound: "Kompetenzfeststelung")."""
    if analysis.zipf_of(text) > 0 or len(analysis.split_compound(text)) > 1:
        return True
    return any(
        analysis.zipf_of(text[:end]) > 0 for end in range(len(text) - 1, KNOWN_START - 1, -1)
    )


def _dense_only(
    offered: list[ranking.Key],
    filters: dict[str, list[str]],
    cycle: str | None,
    match: Match,
) -> list[tuple[ranking.Key, HitRef]]:
    """Of the practices offered by meaning alone, those published in the version shown (the
    newest, or the cycle's) that pass the filters, as (key, hit); each accepted one is added
    to the match's total and facet counts, so the counts stay exact for the results shown.
    Read from the database (``records``), like every hit's re-check, whatever the backend."""
    wanted = {practice_id for practice_id, _ in offered}
    shown: dict[str, records.PracticeRecord] = {}
    for record in records.records(sorted(wanted)):
        version = (record.cycle == cycle) if cycle else record.is_latest
        passes = all(set(getattr(record, name)) & set(values) for name, values in filters.items())
        if version and passes:
            shown[record.practice_id] = record
    accepted: list[tuple[ranking.Key, HitRef]] = []
    for practice_id, _ in offered:
        found = shown.get(practice_id)
        if found is None or len(accepted) >= ranking.DENSE_TOP:
            continue
        hit = HitRef(practice_id, found.cycle, found.revision_id, 0.0)
        accepted.append(((practice_id, found.revision_id), hit))
        match.total += 1
        for name in FACETS:
            counts = match.facets.setdefault(name, {})
            for value in getattr(found, name):
                counts[value] = counts.get(value, 0) + 1
    return accepted


def _only_common_words(text: str, parts: Sequence[Part]) -> bool:
    """Whether a query has words but only ones nobody searches by ("die der und"): it
    searches nothing (an empty query would list every practice)."""
    return not parts and re.search(r"\w", text) is not None


def matching_versions(
    text: str,
    *,
    filters: dict[str, list[str]] | None = None,
    cycle: str | None = None,
    limit: int = 1000,
) -> list[tuple[str, int]]:
    """(practice id, revision id) of up to ``limit`` results, newest first, unchecked: for
    counting what is new for a saved search (callers check publication themselves)."""
    parts = parse(text, related=True)
    if _only_common_words(text, parts):
        return []  # nothing searched (as ``search``)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    match = engine().match(
        parts,
        filters=filters,
        version=cycle or None,
        sort="newest",
        offset=0,
        limit=limit,
    )
    return [(ref.practice_id, ref.revision_id) for ref in match.page]


def _checked_hits(page: list[HitRef], terms: set[str]) -> list[Hit]:
    """The page's hits, each re-checked against the database: a hit that is no longer
    published is dropped, logged as drift and its lineage queued for resync."""
    from omk.models.reporting import Cycle, Practice, Report

    candidates = [Hit(ref.practice_id, ref.version, ref.revision_id, ref.score) for ref in page]
    published = records.published_pairs((h.practice_id, h.revision_id) for h in candidates)
    stale = [h for h in candidates if (h.practice_id, h.revision_id) not in published]
    if stale:
        log.warning("search drift: %d hits no longer published: %s", len(stale), stale)
        _resync_later([h.practice_id for h in stale])
    hits = [h for h in candidates if (h.practice_id, h.revision_id) in published]
    if not hits:
        return []
    rows = db.session.execute(
        select(Practice, Report)
        .join(Report, Practice.report_id == Report.id)
        .where(Practice.revision_id.in_([h.revision_id for h in hits]))
        .where(Practice.uuid.in_([h.practice_id for h in hits]))
    ).all()
    by_key = {(p.uuid, p.revision_id): (p, r) for p, r in rows}
    cycles: dict[str, list[str]] = {h.practice_id: [] for h in hits}
    for uuid, code in db.session.execute(
        select(Practice.uuid, Cycle.code)
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .join(Cycle, Report.cycle_id == Cycle.id)
        .where(Practice.uuid.in_(list(cycles)))
        .order_by(Cycle.period_end)
    ):
        cycles[uuid].append(code)
    from flask_babel import gettext

    from omk.services import register

    shown = register.display_names({r.municipality for _, r in by_key.values()})
    for hit in hits:
        practice, report = by_key[(hit.practice_id, hit.revision_id)]
        hit.title, hit.summary = practice.title, practice.summary
        hit.ags = report.municipality.reporting_ags or report.municipality_key
        hit.municipality_key = report.municipality_key
        hit.name = shown[report.municipality_key].render(gettext)
        hit.criterion = practice.criterion
        hit.published_at = report.accepted_at
        hit.cycles = cycles[hit.practice_id]
        hit.snippet = snippets.snippet(
            [practice.summary, practice.description, practice.outcomes or ""], terms
        )
    return hits


def _resync_later(practice_ids: list[str]) -> None:
    def resync() -> None:
        try:
            apply_lineages(practice_ids)
        except Exception:
            log.exception("search resync of %s failed; omk search sync repairs it", practice_ids)

    if has_request_context():

        @after_this_request
        def _after(response: Any) -> Any:
            resync()
            return response

    else:
        resync()


def _corrections(parts: list[Part], part_hits: list[int]) -> dict[str, str]:
    """Each query word that matches nothing → the index's word for it (``spelling``)."""
    found: dict[str, str] = {}
    backend = engine()
    for part, hits in zip(parts, part_hits, strict=True):
        word = part.text.strip()
        if hits or part.is_phrase or " " in word or len(word) < 4:
            continue
        corrected = spelling.correction(word, backend.suggest)
        if corrected:
            found[word] = corrected
    return found


def _suggestion(text: str, corrections: dict[str, str]) -> str | None:
    """'Meinten Sie …?': the query with its corrected words."""
    suggestion = text
    for word, folded in corrections.items():
        # the index keeps folded lower-case words: shown with umlauts and ß as German writes
        # them ("fluchtlinge" → "flüchtlinge"), and a capitalised noun stays capitalised
        corrected = analysis.surface(folded)
        if word[:1].isupper() and corrected[:1].islower():
            corrected = corrected[:1].upper() + corrected[1:]
        suggestion = re.sub(re.escape(word), corrected, suggestion, count=1)
    return suggestion if corrections else None


def _correctable(parts: list[Part], match: Match, corrections: dict[str, str]) -> bool:
    """Whether to show the suggestion's results instead: when nothing matched, or when each
    word that matched nothing is a typo by :func:`spelling.confident` (no word the practices
    just lack)."""
    if match.total == 0:
        return True
    missing = [p.text.strip() for p, n in zip(parts, match.part_hits, strict=True) if n == 0]
    return all(w in corrections and spelling.confident(w, corrections[w]) for w in missing)
