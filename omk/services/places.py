"""Pick a municipality or region by name, wherever a field asks for one: the comparison's
name field, the region filters, the peer-review invitation and the account form.

People type "Essen", "Kreis Coesfeld" or "Nordrhein-Westfalen", not 05113000, 05558 or 05.
This is the one resolver behind all of those fields:

- a name as the register shows it ("Coesfeld (Kreis)", "Essen, Stadt"), as a page in another
  language shows it ("Coesfeld (district)"), or with its kind before or after it in any order
  of the words ("Kreis Coesfeld", "Coesfeld, Kreis"), names that entry;
- a bare place name names the one entry whose place name it is once qualifiers such as
  ", Stadt" are ignored ("Essen" → "Essen, Stadt"; "Köln" → the kreisfreie Stadt, not the
  "Regierungsbezirk Köln"); a Land and the city state within it are one region ("Hamburg");
- otherwise the candidates, best first: exact names, then the place name itself, then names
  starting with what was typed, then names with a word starting with it, then the rest; each
  thing named once (a kreisfreie Stadt is its Gemeinde and its Kreis).

Keys (digits) are the caller's business: each field checks them its own way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import lazyload

from omk.compare import names
from omk.extensions import db
from omk.models.register import Level, Municipality
from omk.services import register

#: At most this many candidates are offered by the account form.
LIMIT = 20
#: At most this many register entries are read for one name.
SEARCHED = 100
_KEYED = re.compile(r"\((\d{2,9})\)\s*$")

#: What each kind of field looks for.
MUNICIPALITY_LEVELS = (Level.GEMEINDE, Level.KREIS)
REGION_LEVELS = (Level.LAND, Level.REGIERUNGSBEZIRK, Level.KREIS)

#: The Länder's common abbreviations (ISO 3166-2:DE codes, and "NRW"), read as the Land's
#: register name in a field that takes a Land: people type "NRW" far more often than
#: "Nordrhein-Westfalen".
LAND_ABBREVIATIONS = {
    "bw": "Baden-Württemberg",
    "by": "Bayern",
    "be": "Berlin",
    "bb": "Brandenburg",
    "hb": "Bremen",
    "hh": "Hamburg",
    "he": "Hessen",
    "mv": "Mecklenburg-Vorpommern",
    "ni": "Niedersachsen",
    "nw": "Nordrhein-Westfalen",
    "nrw": "Nordrhein-Westfalen",
    "rp": "Rheinland-Pfalz",
    "sl": "Saarland",
    "sn": "Sachsen",
    "st": "Sachsen-Anhalt",
    "sh": "Schleswig-Holstein",
    "th": "Thüringen",
}

#: Words that say what kind of entry a name is ("Kreis Coesfeld"), not which one.
KIND_WORDS = frozenset(
    {
        "kreis",
        "landkreis",
        "stadt",
        "gemeinde",
        "markt",
        "stadtkreis",
        "regionalverband",
        "regierungsbezirk",
        "land",
    }
)


@dataclass(frozen=True)
class Match:
    """One register entry a typed name may stand for."""

    key: str  # what the field stands for (see ``key_of`` of :func:`find`)
    entry: Municipality
    name: names.DisplayName
    is_exact: bool  # the name typed is this entry's name (see the module's rules)
    is_whole: bool  # the place name typed is this entry's place name


@dataclass(frozen=True)
class Found:
    """What a typed name stands for: the one match it names (None when it names none or
    several), and every candidate, best first."""

    match: Match | None
    candidates: list[Match]


def tokens(text: str) -> frozenset[str]:
    """The words of a name, case-folded, commas and brackets ignored."""
    return frozenset(re.sub(r"[,()]", " ", text).casefold().split())


def place_of(text: str) -> str:
    """The place name in what was typed: "Kreis Coesfeld" → "Coesfeld", "Essen, Stadt" →
    "Essen"."""
    first = re.split(r"[,(]", text, maxsplit=1)[0].strip()
    words = first.split()
    while len(words) > 1 and words[0].casefold() in KIND_WORDS:
        words = words[1:]
    return " ".join(words)


def kind_words(entry: Municipality) -> tuple[str, ...]:
    """The words that say what ``entry`` is, lower case: "landkreis" (and "kreis", as
    people call every Kreis), "stadt" for a kreisfreie Stadt, "land" …"""
    if entry.level == Level.KREIS and not entry.is_kreisfrei:
        return tuple(
            dict.fromkeys(
                [names.KREIS_KINDS.get(entry.type_code or "", "Kreis").casefold(), "kreis"]
            )
        )
    if entry.level in (Level.KREIS, Level.GEMEINDE):
        return ("stadt",) if entry.is_kreisfrei else ("gemeinde",)
    return (names.LEVEL_KINDS.get(entry.level, entry.level).casefold(),)


def reporting_key(entry: Municipality) -> str | None:
    """The key an entry reports under (a Kreis: key + "000"); the default ``key_of``."""
    return entry.reporting_ags


def region_key(entry: Municipality) -> str | None:
    """The key prefix of a region."""
    return entry.key


def find(
    text: str,
    levels: tuple[Level, ...] = MUNICIPALITY_LEVELS,
    *,
    key_of: Callable[[Municipality], str | None] = reporting_key,
    take_partial: bool = True,
) -> Found:
    """The current entries of ``levels`` that ``text`` names (see the module's rules),
    identified by ``key_of`` (entries it gives None are left out). ``take_partial``: a text
    that only one entry's name contains ("hersfeld-rotenb") names that entry; without it only
    a whole name does (a peer review mails whom it names)."""
    text = " ".join(text.split())
    if Level.LAND in levels:
        text = LAND_ABBREVIATIONS.get(text.casefold(), text)
    place = place_of(text)
    if len(place) < 2:
        return Found(None, [])
    candidates = _candidates(text, place, levels, key_of)
    exact = [c for c in candidates if c.is_exact]
    if len(exact) == 1:
        return Found(exact[0], candidates)
    whole = _outermost([c for c in candidates if c.is_whole]) if not exact else []
    if len(whole) == 1:
        return Found(whole[0], candidates)
    if take_partial and len(candidates) == 1:
        return Found(candidates[0], candidates)
    return Found(None, candidates)


def _candidates(
    text: str, place: str, levels: tuple[Level, ...], key_of: Callable[[Municipality], str | None]
) -> list[Match]:
    query = (
        register.search_query(place)
        .where(Municipality.level.in_([str(level) for level in levels]))
        .options(lazyload(Municipality.parent))
        .order_by(register.name_rank(place), Municipality.search_name, Municipality.key)
        .limit(SEARCHED)
    )
    entries = list(db.session.scalars(query))
    display = register.display_names(entries)
    renderings = _in_every_language(display)
    wanted = tokens(text)
    folded_place = place.casefold()
    found: dict[str, Match] = {}
    for entry in entries:
        key = key_of(entry)
        if key is None or (key in found and entry.level != Level.GEMEINDE):
            continue  # a kreisfreie Stadt once, as its Gemeinde
        shown = display[entry.key]
        forms = renderings.get(entry.key, {tokens(shown.render())}) | {
            tokens(shown.name) | {w} for w in kind_words(entry)
        }
        if not shown.qualifiers:
            forms.add(tokens(shown.name))
        found[key] = Match(
            key,
            entry,
            shown,
            is_exact=wanted in forms,
            is_whole=names.split_name(shown.name)[0].casefold() == folded_place,
        )
    # exact names first, then the database's order (place name, prefix, word, inside)
    return sorted(found.values(), key=lambda m: not m.is_exact)


def _in_every_language(display: dict[str, names.DisplayName]) -> dict[str, set[frozenset[str]]]:
    """The words of each qualified name as the register has it and as every language of the
    interface shows it ("Ravensburg (Landkreis)", "Ravensburg (district)"): a name copied
    from an English page, or from a link an English reader shared, names the same entry."""
    qualified = {key: name for key, name in display.items() if name.qualifiers}
    found = {key: {tokens(name.render())} for key, name in qualified.items()}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for key, name in qualified.items():
                found[key].add(tokens(register.shown(name)))
    return found


def _outermost(matches: list[Match]) -> list[Match]:
    """Whole-name matches that are one territory under several keys ("Hamburg": the Land
    02 and its only Kreis 02000) count as the outer one; a Kreis and a town in it
    ("Ravensburg") stay two."""
    if len(matches) > 1:
        outer = min(matches, key=lambda m: len(m.key))
        same = outer.key + "000"
        if all(m is outer or m.key.startswith(same) for m in matches):
            return [outer]
    return matches


# --- the account form: "Name (Schlüssel)" ---------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One register entry offered for a typed name."""

    key: str  # what the field stands for: a reporting key or a region prefix
    label: str  # "Essen, Stadt (05113000)"


@dataclass(frozen=True)
class Resolved:
    """What a typed value stands for: a key, or the candidates to choose from."""

    key: str | None
    candidates: list[Candidate]


def candidates(text: str, *, region: bool) -> list[Candidate]:
    """Current entries whose name matches ``text``, best matches first."""
    return _offered(_find(text, region=region).candidates)


def _find(text: str, *, region: bool) -> Found:
    if region:
        return find(text, REGION_LEVELS, key_of=region_key)
    return find(text, MUNICIPALITY_LEVELS)


def _offered(matches: list[Match]) -> list[Candidate]:
    return [Candidate(m.key, f"{register.shown(m.name)} ({m.key})") for m in matches[:LIMIT]]


def resolve(text: str, *, region: bool) -> Resolved:
    """The key ``text`` stands for: itself when it is digits, the key in "Name (key)", the
    entry the name names (see the module's rules); otherwise no key and the candidates."""
    text = " ".join(text.split())
    if not text:
        return Resolved(None, [])
    if text.isascii() and text.isdigit():
        return Resolved(text, [])
    keyed = _KEYED.search(text)
    if keyed:
        return Resolved(keyed.group(1), [])
    found = _find(text, region=region)
    return Resolved(found.match.key if found.match else None, _offered(found.candidates))
