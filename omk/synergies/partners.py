"""Partner organisations across municipalities: one name per organisation, and federations.

Pure functions over plain data (no database, no Flask): :func:`normalise` turns an
organisation's name into a key that ignores case, punctuation, umlaut spelling and legal form
("Caritasverband für das Bistum Essen e.V." and "Caritasverband für das Bistum Essen" share
one key); :func:`federation_of` names the federation a local branch belongs to ("AWO
Kreisverband Essen" and "AWO Bochum": two organisations of the federation ``awo``, never one
organisation); :func:`classify` tells a name that identifies one organisation from one that
names only a federation, a body every place has, or no organisation at all ("DRK", "Jobcenter",
"Unternehmen der Region"); :func:`shared_partners` finds the organisations and federations
active in more than one municipality.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import combinations
from typing import TypedDict

import numpy as np

from omk.compare.peers import great_circle_km

#: Legal forms written with dots and spaces, folded into one token before punctuation goes.
_DOTTED_FORMS = (
    (re.compile(r"\be\s*\.\s*v\b\.?"), " ev "),
    (re.compile(r"\bg\s*\.?\s*gmbh\b"), " ggmbh "),
    (re.compile(r"\bk\s*\.\s*d\s*\.\s*o(?:e)?\s*\.\s*r\b\.?"), " kdoer "),
    (re.compile(r"\ba\s*\.\s*o(?:e)?\s*\.\s*r\b\.?"), " aoer "),
    (re.compile(r"\be\s*\.\s*g\b\.?"), " eg "),
    (re.compile(r"\bmbh\s*und\s*co\s*\.?\s*kg\b"), " mbh "),
)
#: Legal forms that are never part of an organisation's own name: dropped wherever they are.
_LEGAL_ANYWHERE = frozenset({"ev", "ggmbh", "gmbh", "mbh", "kdoer", "aoer", "gug"})
#: Legal forms spelled out (token sequences), dropped wherever they are.
_LEGAL_PHRASES = (
    ("eingetragener", "verein"),
    ("eingetragene", "genossenschaft"),
    ("gemeinnuetzige", "gmbh"),
    ("gemeinnuetzige", "gesellschaft", "mbh"),
    ("gesellschaft", "mit", "beschraenkter", "haftung"),
    ("koerperschaft", "des", "oeffentlichen", "rechts"),
    ("anstalt", "des", "oeffentlichen", "rechts"),
    ("ug", "haftungsbeschraenkt"),
    ("und", "co", "kg"),
)
#: Short legal forms that could be words of a name elsewhere: dropped only at the end.
_LEGAL_AT_END = frozenset({"ag", "eg", "kg", "gbr", "ug", "se", "ohg", "gag", "ev"})
#: Leading articles ("Der Paritätische …").
_ARTICLES = frozenset({"der", "die", "das"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
#: A one-word pattern this long or longer also matches compounds it begins.
PREFIX_MIN = 6
#: Branches of one federation are paired with their nearest other branches only: a federation
#: present almost everywhere (Jobcenter, Volkshochschulen) would otherwise pair every
#: municipality with every other (153 of the 192 partner pairs of the demo's 2025 cycle were
#: Jobcenters, burying the rarer federations), and the branches that can meet are the close ones.
FEDERATION_NEAREST = 3
#: ... and only within this distance: two Jobcenters 300 km apart share nothing the federation
#: itself does not offer (a browser walk of the demo found every partner pair of a region to be
#: Jobcenters 150–311 km apart). 100 km reaches the neighbouring Kreise and the region's cities,
#: where branches meet in joint trainings and projects.
FEDERATION_MAX_KM = 100.0
_EARTH_RADIUS_KM = 6371.0  # as compare.peers.great_circle_km


def _fold(text: str) -> str:
    """Case, compatibility forms, umlauts (ä = ae), accents and ``&`` (= und) folded."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("&", " und ")


def tokens(name: str) -> list[str]:
    """The words of a name, folded, with legal forms and a leading article removed."""
    text = _fold(name)
    for pattern, replacement in _DOTTED_FORMS:
        text = pattern.sub(replacement, text)
    words = [w for w in _NON_WORD.split(text) if w]
    words = _drop_phrases(words)
    words = [w for w in words if w not in _LEGAL_ANYWHERE]
    while words and words[-1] in _LEGAL_AT_END:
        words.pop()
    while len(words) > 1 and words[0] in _ARTICLES:
        words.pop(0)
    return words


def _drop_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in _LEGAL_PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def normalise(name: str) -> str:
    """The key under which two spellings of one organisation's name meet ('' for no name)."""
    return " ".join(tokens(name))


@dataclass(frozen=True)
class Federation:
    """A federation whose local branches are organisations of their own."""

    code: str
    label: str
    patterns: tuple[tuple[str, ...], ...]  # each a folded token sequence


class FederationSpec(TypedDict):
    """One entry of ``content/synergies/federations.yaml``."""

    code: str
    label: str
    patterns: list[str]


def _patterns(texts: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Entries of a content list as folded token sequences, empty ones left out."""
    found = (tuple(w for w in _NON_WORD.split(_fold(t)) if w) for t in texts)
    return tuple(p for p in found if p)


def federations_from(specs: Iterable[FederationSpec]) -> tuple[Federation, ...]:
    """The federations of the content list, their patterns folded like names."""
    return tuple(
        Federation(spec["code"], spec["label"], _patterns(spec["patterns"])) for spec in specs
    )


class NameListsSpec(TypedDict):
    """``content/synergies/partner_names.yaml``."""

    filler: list[str]
    local_bodies: list[str]
    generic: list[str]


@dataclass(frozen=True)
class NameLists:
    """Words and names that do not tell one organisation from another (folded)."""

    filler: frozenset[str] = frozenset()
    local_bodies: tuple[tuple[str, ...], ...] = ()
    generic: tuple[tuple[str, ...], ...] = ()


def name_lists_from(spec: NameListsSpec) -> NameLists:
    """The lists of the content file, folded like names."""
    return NameLists(
        filler=frozenset(w for p in _patterns(spec["filler"]) for w in p),
        local_bodies=_patterns(spec["local_bodies"]),
        generic=_patterns(spec["generic"]),
    )


def federation_of(name: str, federations: Sequence[Federation]) -> Federation | None:
    """The federation an organisation's name says it belongs to (the first listed), if any:
    a pattern's words in a row, a one-word pattern of :data:`PREFIX_MIN` letters or more also
    at the start of a word ("caritas" in "caritasverband")."""
    words = tokens(name)
    for federation in federations:
        if _covered(words, _prepared(federation.patterns), "prefix"):
            return federation
    return None


class NameKind(StrEnum):
    """What a partner's name tells about its identity."""

    ORGANISATION = "organisation"  # one organisation: the same name elsewhere is the same one
    BRANCH = "branch"  # only a federation's name: a local branch, which one is unknown
    LOCAL = "local"  # only the name of a body every place has ("Jobcenter"): each its own
    GENERIC = "generic"  # no organisation at all ("Unternehmen der Region")


@dataclass(frozen=True)
class _Prepared:
    """Patterns of one list, prepared for :func:`_covered`."""

    words: frozenset[str]  # one-word patterns
    long: tuple[str, ...]  # those of PREFIX_MIN letters or more: also inside a compound
    phrases: tuple[tuple[str, ...], ...]  # patterns of several words


@lru_cache(maxsize=512)
def _prepared(patterns: tuple[tuple[str, ...], ...]) -> _Prepared:
    single = [p[0] for p in patterns if len(p) == 1]
    return _Prepared(
        frozenset(single),
        tuple(w for w in single if len(w) >= PREFIX_MIN),
        tuple(p for p in patterns if len(p) > 1),
    )


def _covered(words: Sequence[str], patterns: _Prepared, compound: str) -> set[int]:
    """The positions of ``words`` the patterns match; a one-word pattern of
    :data:`PREFIX_MIN` letters or more also matches a word that begins (``compound``
    "prefix") or ends ("suffix") with it."""
    found = {
        i
        for i, w in enumerate(words)
        if w in patterns.words
        or (
            patterns.long
            and (w.startswith(patterns.long) if compound == "prefix" else w.endswith(patterns.long))
        )
    }
    for phrase in patterns.phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == phrase:
                found.update(range(i, i + n))
    return found


def classify(name: str, federations: Sequence[Federation], lists: NameLists) -> NameKind:
    """Whether a name identifies one organisation across municipalities: only when a word is
    left after the federations' patterns (and compounds they begin), the local bodies and
    generic phrases (and compounds they end) and the filler words are taken away. Otherwise
    the name is a federation's branch, a local body, or generic, in this order."""
    words = tokens(name)
    if not words:
        return NameKind.GENERIC
    every_federation = _prepared(tuple(p for f in federations for p in f.patterns))
    federation = _covered(words, every_federation, "prefix")
    local = _covered(words, _prepared(lists.local_bodies), "suffix")
    generic = _covered(words, _prepared(lists.generic), "suffix")
    filler = {i for i, w in enumerate(words) if w in lists.filler}
    if len(federation | local | generic | filler) < len(words):
        return NameKind.ORGANISATION
    if federation:
        return NameKind.BRANCH
    return NameKind.LOCAL if local else NameKind.GENERIC


# --- shared partners over practices ---------------------------------------------------------


@dataclass(frozen=True)
class PartnerUse:
    """An organisation named as lead or partner of one published practice."""

    name: str
    municipality_key: str
    practice_id: str
    practice_title: str
    version: str  # the practice's content, as judgements remember it (for fingerprints)
    revision: str = ""  # its published revision (for fingerprints stored before 2026-12)


@dataclass
class SharedPartner:
    """An organisation (``relation == "organisation"``) or a federation (``"federation"``)
    present in two municipalities, with the practices where it appears on each side."""

    relation: str
    key: str  # the normalised name, or the federation's code
    label: str
    a: str  # municipality key (a < b)
    b: str
    km: float | None = None  # the distance between the two municipalities, where known
    names_a: list[str] = field(default_factory=list)  # the names as written on each side
    names_b: list[str] = field(default_factory=list)
    practices_a: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    practices_b: list[tuple[str, str]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)

    @property
    def practice_count(self) -> int:
        return len(self.practices_a) + len(self.practices_b)


def shared_partners(
    uses: Iterable[PartnerUse],
    federations: Sequence[Federation],
    lists: NameLists = NameLists(),
    positions: Mapping[str, tuple[float, float]] | None = None,
) -> list[SharedPartner]:
    """Every pair of municipalities that share an organisation, and, apart, the pairs whose
    own, different organisations belong to one federation. Best first (more practices).

    With ``positions`` (register key → latitude, longitude) each pair knows its distance, and
    a municipality's branch of a federation is paired with the branches of its
    :data:`FEDERATION_NEAREST` nearest municipalities within :data:`FEDERATION_MAX_KM` (and those
    that have it among theirs); a municipality without a position keeps every pair.

    Only a name that identifies an organisation (:func:`classify`) is shared across
    municipalities: a federation's bare name is a branch of its own in each municipality (so
    among the federation's branches), a local body's or a generic name is never shared."""
    by_org: dict[str, list[PartnerUse]] = defaultdict(list)
    kinds: dict[str, NameKind] = {}  # by key: a name's kind follows from its words alone
    for use in uses:
        key = normalise(use.name)
        if not key:
            continue
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = classify(use.name, federations, lists)
        if kind == NameKind.BRANCH:
            key = f"{key}@{use.municipality_key}"  # which branch is unknown: this place's own
        elif kind != NameKind.ORGANISATION:
            continue
        by_org[key].append(use)
    found: list[SharedPartner] = []
    by_federation: dict[str, dict[str, list[PartnerUse]]] = defaultdict(dict)
    labels: dict[str, str] = {}
    for key, org_uses in by_org.items():
        federation = federation_of(org_uses[0].name, federations)
        found.extend(_pairs("organisation", key, _label(org_uses), org_uses))
        if federation is not None:
            labels[federation.code] = federation.label
            by_federation[federation.code][key] = org_uses
    for code, orgs in by_federation.items():
        # Two municipalities whose branches differ: a municipality that works with the same
        # branch as the other is already a shared organisation.
        found.extend(_federation_pairs(code, labels[code], orgs, positions or {}))
    for pair in found:
        if positions and pair.a in positions and pair.b in positions:
            pair.km = great_circle_km(positions[pair.a], positions[pair.b])
    found.sort(
        key=lambda s: (
            s.relation != "organisation",
            -s.practice_count,
            s.km if s.km is not None else float("inf"),
            s.label,
            s.a,
            s.b,
        )
    )
    return found


def _label(uses: Sequence[PartnerUse]) -> str:
    """The most frequent spelling (then the longest, then alphabetical) names the group."""
    counts: dict[str, int] = defaultdict(int)
    for use in uses:
        counts[use.name.strip()] += 1
    return sorted(counts, key=lambda n: (-counts[n], -len(n), n))[0]


def _group_by_municipality(uses: Iterable[PartnerUse]) -> dict[str, list[PartnerUse]]:
    grouped: dict[str, list[PartnerUse]] = defaultdict(list)
    for use in uses:
        grouped[use.municipality_key].append(use)
    return grouped


def _pair(
    relation: str, key: str, label: str, a: list[PartnerUse], b: list[PartnerUse]
) -> SharedPartner:
    def practices(side: list[PartnerUse]) -> list[tuple[str, str]]:
        return sorted({(u.practice_id, u.practice_title) for u in side}, key=lambda p: p[1])

    return SharedPartner(
        relation=relation,
        key=key,
        label=label,
        a=a[0].municipality_key,
        b=b[0].municipality_key,
        names_a=sorted({u.name.strip() for u in a}),
        names_b=sorted({u.name.strip() for u in b}),
        practices_a=practices(a),
        practices_b=practices(b),
        versions=sorted({u.version for u in (*a, *b)}),
        revisions=sorted({u.revision for u in (*a, *b) if u.revision}),
    )


def _pairs(relation: str, key: str, label: str, uses: Sequence[PartnerUse]) -> list[SharedPartner]:
    grouped = _group_by_municipality(uses)
    return [
        _pair(relation, key, label, grouped[a], grouped[b])
        for a, b in combinations(sorted(grouped), 2)
    ]


def _nearest(
    keys: Sequence[str], positions: Mapping[str, tuple[float, float]]
) -> set[tuple[str, str]]:
    """The pairs (a < b) of ``keys`` where one is among the other's
    :data:`FEDERATION_NEAREST` nearest (great-circle distance; ties by key) and at most
    :data:`FEDERATION_MAX_KM` away; every pair of a key without a position. Blocked numpy: a
    federation in 1,000 municipalities takes milliseconds, not seconds, on every page view."""
    kept: set[tuple[str, str]] = set()
    placed = sorted(k for k in keys if k in positions)
    for a in keys:
        if a not in positions:
            kept.update((min(a, b), max(a, b)) for b in keys if b != a)
    if len(placed) < 2:
        return kept
    radians = np.radians(np.array([positions[k] for k in placed], dtype=np.float64))
    lat, lon = radians[:, 0], radians[:, 1]
    k = min(FEDERATION_NEAREST, len(placed) - 1)
    for start in range(0, len(placed), _BLOCK):
        rows = slice(start, min(start + _BLOCK, len(placed)))
        h = (
            np.sin((lat[None, :] - lat[rows, None]) / 2) ** 2
            + np.cos(lat[rows, None])
            * np.cos(lat[None, :])
            * np.sin((lon[None, :] - lon[rows, None]) / 2) ** 2
        )
        distance = np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        own = np.arange(rows.start, rows.stop)
        distance[own - start, own] = np.inf  # never one's own nearest
        # stable sort: equal distances in key order, as ``placed`` is sorted
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        # haversine: the distance is 2 R arcsin(sqrt(h))
        close = distance * 2 * _EARTH_RADIUS_KM <= FEDERATION_MAX_KM
        for i, row in zip(own.tolist(), nearest.tolist(), strict=True):
            a = placed[i]
            near = (j for j in row if close[i - start, j])
            kept.update((min(a, placed[j]), max(a, placed[j])) for j in near)
    return kept


_BLOCK = 256  # rows of the distance matrix at a time (256 × n float64)


def _federation_pairs(
    code: str,
    label: str,
    orgs: Mapping[str, Sequence[PartnerUse]],
    positions: Mapping[str, tuple[float, float]],
) -> list[SharedPartner]:
    per_municipality: dict[str, dict[str, list[PartnerUse]]] = defaultdict(dict)
    for key, org_uses in orgs.items():
        for use in org_uses:
            per_municipality[use.municipality_key].setdefault(key, []).append(use)
    keys = sorted(per_municipality)
    near = _nearest(keys, positions) if positions else None
    found = []
    for a, b in combinations(keys, 2):
        if near is not None and (a, b) not in near:
            continue
        only_a = set(per_municipality[a]) - set(per_municipality[b])
        only_b = set(per_municipality[b]) - set(per_municipality[a])
        if not only_a or not only_b:
            continue
        side_a = [u for k in sorted(only_a) for u in per_municipality[a][k]]
        side_b = [u for k in sorted(only_b) for u in per_municipality[b][k]]
        found.append(_pair("federation", code, label, side_a, side_b))
    return found
