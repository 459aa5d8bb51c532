"""Synergy suggestions and the providers that make them, one per kind.

A provider computes the suggestions of its kind for a cycle from published material only;
the synergy page, the API and the judgement store know providers only through
:class:`Provider`. The providers live in :mod:`omk.synergies.similar_provider`,
:mod:`omk.synergies.transfer_provider` and :mod:`omk.synergies.partner_provider`; each is
registered with ``register_provider``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from omk.models.reporting import Cycle

KINDS = ("similar", "transfer", "partner")
STATUSES = ("open", "confirmed", "dismissed")


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
    explanation: str
    #: The register keys of the municipalities on both sides: who may judge it.
    municipality_keys: tuple[str, ...]
    #: The published versions it was made from ("<practice id>@<revision id>" …).
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

    @property
    def fingerprint(self) -> str:
        """A digest of the practices' versions: changes when any of them changes."""
        return hashlib.sha256("\n".join(sorted(self.versions)).encode()).hexdigest()

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.kind, self.a["id"], self.b["id"], self.subject)


class Provider(Protocol):
    """Computes the suggestions of one kind."""

    kind: str
    #: The German label of the kind (a message id, translated when shown).
    label: str

    def suggestions(self, cycle: Cycle, region: str) -> list[Suggestion]:
        """The suggestions of the cycle with at least one side in ``region`` (an AGS
        prefix, '' for all), best first, from published material only."""
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
    found = provider(kind)
    if found is None:
        return None
    for s in found.suggestions(cycle, ""):
        if s.identity == (kind, a_id, b_id, subject):
            return s
    return None


def in_region(keys: Iterable[str], region: str) -> bool:
    """Whether at least one side lies in the region ('' is all)."""
    return any(key.startswith(region) for key in keys)


def ranked(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Best first; dismissed suggestions last."""
    return sorted(
        suggestions,
        key=lambda s: (s.status == "dismissed", -s.score, s.a["label"], s.b["label"]),
    )
