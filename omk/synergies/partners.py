"""Partner organisations across municipalities: one name per organisation, and federations.

Pure functions over plain data (no database, no Flask): :func:`normalise` turns an
organisation's name into a key that ignores case, punctuation, umlaut spelling and legal form
("Caritasverband für das Bistum Essen e.V." and "Caritasverband für das Bistum Essen" share
one key); :func:`federation_of` names the federation a local branch belongs to ("AWO
Kreisverband Essen" and "AWO Bochum": two organisations of the federation ``awo``, never one
organisation); :func:`shared_partners` finds the organisations and federations active in
more than one municipality.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TypedDict

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


def federations_from(specs: Iterable[FederationSpec]) -> tuple[Federation, ...]:
    """The federations of the content list, their patterns folded like names."""
    found = []
    for spec in specs:
        patterns = tuple(tuple(w for w in _NON_WORD.split(_fold(p)) if w) for p in spec["patterns"])
        found.append(Federation(spec["code"], spec["label"], tuple(p for p in patterns if p)))
    return tuple(found)


def _matches(pattern: tuple[str, ...], words: Sequence[str]) -> bool:
    if len(pattern) == 1:
        word = pattern[0]
        if len(word) >= PREFIX_MIN:
            return any(w.startswith(word) for w in words)
        return word in words
    n = len(pattern)
    return any(tuple(words[i : i + n]) == pattern for i in range(len(words) - n + 1))


def federation_of(name: str, federations: Sequence[Federation]) -> Federation | None:
    """The federation an organisation's name says it belongs to (the first listed), if any."""
    words = tokens(name)
    for federation in federations:
        if any(_matches(p, words) for p in federation.patterns):
            return federation
    return None


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
    uses: Iterable[PartnerUse], federations: Sequence[Federation]
) -> list[SharedPartner]:
    """Every pair of municipalities that share an organisation, and, apart, every pair whose
    own, different organisations belong to one federation. Best first (more practices)."""
    by_org: dict[str, list[PartnerUse]] = defaultdict(list)
    for use in uses:
        key = normalise(use.name)
        if key:
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
        found.extend(_federation_pairs(code, labels[code], orgs))
    found.sort(key=lambda s: (s.relation != "organisation", -s.practice_count, s.label, s.a, s.b))
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


def _federation_pairs(
    code: str, label: str, orgs: Mapping[str, Sequence[PartnerUse]]
) -> list[SharedPartner]:
    per_municipality: dict[str, dict[str, list[PartnerUse]]] = defaultdict(dict)
    for key, org_uses in orgs.items():
        for use in org_uses:
            per_municipality[use.municipality_key].setdefault(key, []).append(use)
    found = []
    for a, b in combinations(sorted(per_municipality), 2):
        only_a = set(per_municipality[a]) - set(per_municipality[b])
        only_b = set(per_municipality[b]) - set(per_municipality[a])
        if not only_a or not only_b:
            continue
        side_a = [u for k in sorted(only_a) for u in per_municipality[a][k]]
        side_b = [u for k in sorted(only_b) for u in per_municipality[b][k]]
        found.append(_pair("federation", code, label, side_a, side_b))
    return found
