"""Synergy suggestions and the providers that make them, one per kind.

A provider computes the suggestions of its kind for a cycle from published material only;
the synergy page, the API and the judgement store know providers only through
:class:`Provider`. The providers live in :mod:`omk.synergies.similar_provider`,
:mod:`omk.synergies.transfer_provider` and :mod:`omk.synergies.partner_provider`; each is
registered with ``register_provider``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypedDict

from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from omk.extensions import db
from omk.models.reporting import Cycle, Practice

KINDS = ("similar", "transfer", "partner")
STATUSES = ("open", "confirmed", "dismissed")
#: The fields of a practice the suggestions are made from, and so what a judgement remembers:
#: what the similarity reads, what the candidate score reads of the practice itself (results,
#: transferability, sources), and its organisations (the actors, for shared partners).
CONTENT_FIELDS = (
    "title",
    "summary",
    "description",
    "outcomes",
    "transferability",
    "criterion",
    "fields",
    "recommendations",
    "target_groups",
    "sources",
)


def _folded(value: object) -> object:
    """Whitespace folded in text, lists in a fixed order: a value as content, not as typed."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list | tuple):
        return sorted(str(_folded(v)) for v in value)
    return value


def content_version(practice: Practice) -> str:
    """``"<practice id>#<digest>"``: one practice as a suggestion remembers it. The digest
    covers :data:`CONTENT_FIELDS` and the actors (name and type), whitespace folded; so an
    unchanged resubmission, or a practice carried unchanged into another cycle, has the same
    version, and an edit of any of these fields a new one."""
    content = {name: _folded(getattr(practice, name)) for name in CONTENT_FIELDS}
    content["actors"] = sorted([str(_folded(a.name)), a.type] for a in practice.actors)
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{practice.uuid}#{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def revision_version(practice: Practice) -> str:
    """``"<practice id>@<revision id>"``: what fingerprints were made of before 2026-12."""
    return f"{practice.uuid}@{practice.revision_id}"


def versions_of(practices: Iterable[Practice]) -> dict[int, tuple[str, str]]:
    """Each practice's :func:`content_version` and :func:`revision_version`, by its row id:
    once per practice, however many suggestions name it."""
    found: dict[int, tuple[str, str]] = {}
    for practice in practices:
        if practice.id not in found:
            found[practice.id] = (content_version(practice), revision_version(practice))
    return found


#: Why a suggestion is made: a text already in words, or facts that its kind's provider puts
#: in words in the reader's language (:meth:`Provider.explain`), so that one stored list
#: serves every language of the interface. JSON: it is stored with the list.
#: Practices read at a time where only their versions are wanted (:func:`versions_by_id`).
VERSIONS_CHUNK = 2_000


def versions_by_id(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """:func:`versions_of` the practices with these row ids, read a chunk at a time: a
    country's practices never sit in memory together."""
    wanted = sorted(set(ids))
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), VERSIONS_CHUNK):
        found.update(
            versions_of(
                db.session.scalars(
                    select(Practice)
                    .where(Practice.id.in_(wanted[start : start + VERSIONS_CHUNK]))
                    .options(selectinload(Practice.actors))
                ).all()
            )
        )
    return found


Reason = str | list[Any] | dict[str, Any]


class Side(TypedDict):
    """One side of a suggestion, as the API shows it."""

    type: str  # "practice", "municipality" or "organisation"
    id: str
    label: str


@dataclass
class Suggestion:
    """One synergy suggestion: two sides, why, and (once judged) its status."""

    kind: str
    a: Side
    b: Side
    score: float
    reason: Reason
    #: The register keys of the municipalities on both sides: who may judge it.
    municipality_keys: tuple[str, ...]
    #: The practices it was made from, by content (:func:`content_version`).
    versions: tuple[str, ...]
    subject: str = ""  # what else names it (a shared organisation: "organisation:<key>")
    practice_id: str | None = None
    terms: list[str] = field(default_factory=list)
    group: str = ""  # a sub-list on the page (shared organisation / same federation)
    details: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    status: str = "open"
    note: str = ""
    judged_region: str | None = None  # the region of the judgement applied, if any
    was_dismissed: bool = False  # dismissed before, back because its practices changed
    may_judge: bool = False  # set by a view for the user looking at it
    #: The published revisions it was made from (:func:`revision_version`): only to read
    #: judgements stored before fingerprints were made of content.
    revisions: tuple[str, ...] = ()
    #: :attr:`explanation` per language, once worded.
    _worded: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def explanation(self) -> str:
        """Why it is suggested, in words, in the language of the request (or the one forced):
        worded once per language by its kind's provider."""
        if isinstance(self.reason, str):
            return self.reason
        locale = str(get_locale() or "de")
        worded = self._worded.get(locale)
        if worded is None:
            found = provider(self.kind)
            worded = self._worded[locale] = found.explain(self) if found is not None else ""
        return worded

    @property
    def fingerprint(self) -> str:
        """A digest of its practices' content: changes when any of them is edited."""
        return _digest(self.versions)

    @property
    def revision_fingerprint(self) -> str | None:
        """The fingerprint as judgements stored before 2026-12 have it (a digest of the
        revisions), if known."""
        return _digest(self.revisions) if self.revisions else None

    def is_unchanged_since(self, fingerprint: str) -> bool:
        """Whether its practices are as they were when ``fingerprint`` was taken: the same
        content, or (a fingerprint of before 2026-12) the very same revisions."""
        return fingerprint in (self.fingerprint, self.revision_fingerprint)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.kind, self.a["id"], self.b["id"], self.subject)


def copied(s: Suggestion, **changes: Any) -> Suggestion:
    """A copy of ``s`` with ``changes`` that leave its sides and reason as they are (a
    judgement, who may judge): it shares the explanation already worded."""
    new = replace(s, **changes)
    new._worded = s._worded
    return new


def _digest(versions: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(versions)).encode()).hexdigest()


class Provider(Protocol):
    """Computes the suggestions of one kind."""

    kind: str
    #: The German label of the kind (a message id, translated when shown).
    label: str

    def suggestions(self, cycle: Cycle, region: str) -> list[Suggestion]:
        """The suggestions of the cycle with at least one side in ``region`` (an AGS
        prefix, '' for all), best first, from published material only; their reasons are
        facts in no language (:data:`Reason`)."""
        ...

    def explain(self, suggestion: Suggestion) -> str:
        """A suggestion's reason in words, in the current language."""
        ...


_PROVIDERS: dict[str, Provider] = {}


def register_provider(provider: Provider) -> None:
    """Make a kind's provider known to the page, the API and the judgement store."""
    if provider.kind not in KINDS:
        raise ValueError(f"unknown kind of synergy: {provider.kind}")
    _PROVIDERS[provider.kind] = provider


def _ensure_defaults() -> None:
    if "similar" not in _PROVIDERS:
        from omk.synergies.similar_provider import SimilarProvider

        register_provider(SimilarProvider())
    if "transfer" not in _PROVIDERS:
        from omk.synergies.transfer_provider import TransferProvider

        register_provider(TransferProvider())
    if "partner" not in _PROVIDERS:
        from omk.synergies.partner_provider import PartnerProvider

        register_provider(PartnerProvider())


def providers() -> list[Provider]:
    """The registered providers, in the order of :data:`KINDS`."""
    _ensure_defaults()
    return [_PROVIDERS[k] for k in KINDS if k in _PROVIDERS]


def provider(kind: str) -> Provider | None:
    """The provider of a kind, if one is registered."""
    _ensure_defaults()
    return _PROVIDERS.get(kind)


def find(cycle: Cycle, kind: str, a_id: str, b_id: str, subject: str) -> Suggestion | None:
    """The current suggestion with this identity, if the provider still makes it."""
    from omk.synergies import cache

    found = provider(kind)
    if found is None:
        return None
    return cache.find(found, cycle, (kind, a_id, b_id, subject))


def in_region(keys: Iterable[str], region: str) -> bool:
    """Whether at least one side lies in the region ('' is all)."""
    return any(key.startswith(region) for key in keys)


def best_first(s: Suggestion) -> tuple[float, str, str]:
    """The order within a kind: by score, then by the sides' labels (a stored list: as
    computed, in the interface's first language; so its order is the same in every language)."""
    return (-s.score, s.a["label"], s.b["label"])


def interleaved(by_kind: Mapping[str, Sequence[Suggestion]]) -> list[Suggestion]:
    """What :func:`ranked` makes of suggestions given per kind, each list already in the order
    of :func:`best_first` with its dismissed ones last (:func:`interleave`, as a list)."""
    return list(interleave(by_kind))


def interleave(by_kind: Mapping[str, Sequence[Suggestion]]) -> Iterator[Suggestion]:
    """The order of :func:`ranked` for suggestions given per kind, each list already in the
    order of :func:`best_first` with its dismissed ones last: the kinds take turns, without
    sorting again, one at a time (a page of all of Germany's hundreds of thousands reads only
    as far as the page)."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    kinds = sorted(by_kind, key=lambda k: order.get(k, len(order)))
    lists = []
    for k in kinds:
        items = by_kind[k]
        n = len(items)
        while n and items[n - 1].status == "dismissed":
            n -= 1
        lists.append((k, items, n))
    for rank in range(max((n for *_, n in lists), default=0)):
        for _k, items, n in lists:
            if rank < n:
                yield items[rank]
    dismissed = [
        (rank, order.get(k, len(order)), items[rank])
        for k, items, n in lists
        for rank in range(n, len(items))
    ]
    dismissed.sort(key=lambda t: t[:2])
    yield from (s for *_, s in dismissed)


def ranked(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Best first; dismissed suggestions last. Scores are comparable within a kind only
    (similar pairs: a blend of standardised similarities; transfers and partners: 0 to 1),
    so several kinds take turns: the best of each kind, then the second best of each …"""
    by_kind: dict[str, list[Suggestion]] = {}
    for s in sorted(suggestions, key=lambda s: (s.status == "dismissed", *best_first(s))):
        by_kind.setdefault(s.kind, []).append(s)
    return interleaved(by_kind)
