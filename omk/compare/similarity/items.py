"""The data similar practices are computed over and returned as (no logic beyond explanations)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Message ids of the explanation parts (German; translated by the caller's gettext).
SAME_CRITERION = "gleiches Kriterium"
SAME_TARGET_GROUP = "gleiche Zielgruppe"
SHARED_TERMS = "gemeinsame Begriffe: %(terms)s"
SIMILAR_MEANING = "ähnlicher Inhalt"

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Item:
    """One practice (its latest published version) as similarity sees it."""

    id: str
    lineage_id: str
    municipality_key: str
    title: str
    summary: str = ""
    description: str = ""
    outcomes: str = ""
    criterion: str = ""
    fields: tuple[str, ...] = ()  # fields of action (Handlungsfelder)
    target_groups: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    place: str = ""  # the municipality's name: its words are not evidence of similarity
    vector: Any = None  # optional dense vector (1-d numpy array, L2-normalised)


@dataclass(frozen=True)
class Neighbour:
    """A similar practice of another municipality."""

    id: str
    lineage_id: str
    municipality_key: str
    score: float
    lexical: float  # cosine of the German TF-IDF vectors
    dense: float | None  # cosine of the embeddings, when both have one
    terms: tuple[str, ...]  # distinctive shared words, strongest first
    same_criterion: bool
    shared_target_groups: tuple[str, ...]

    def reasons(self) -> list[tuple[str, dict[str, str]]]:
        """The explanation's parts as (message id, parameters)."""
        parts: list[tuple[str, dict[str, str]]] = []
        if self.shared_target_groups:
            parts.append((SAME_TARGET_GROUP, {}))
        if self.same_criterion:
            parts.append((SAME_CRITERION, {}))
        if self.terms:
            parts.append((SHARED_TERMS, {"terms": ", ".join(self.terms)}))
        elif self.dense is not None:
            parts.append((SIMILAR_MEANING, {}))
        return parts

    def explanation(self, gettext: Gettext | None = None) -> str:
        """Why, in words: "gleiche Zielgruppe, gleiches Kriterium, gemeinsame Begriffe: …"."""
        translate = gettext or (lambda message: message)
        return ", ".join(translate(message) % params for message, params in self.reasons())


@dataclass(frozen=True)
class PairScore:
    """A scored pair of practices of different municipalities (``a`` < ``b`` by position)."""

    a: str
    b: str
    score: float
    lexical: float
    dense: float | None
