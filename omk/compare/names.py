"""Names shown to people: the register's name with its Destatis abbreviations spelled out, and
the level, Land or Kreis added where two entries would otherwise read the same.

"Abenberg, St" reads "Abenberg, Stadt"; the Landkreis and the kreisfreie Stadt both named
"Augsburg" read "Augsburg (Landkreis)" and "Augsburg (kreisfreie Stadt)". The abbreviations
are data (content/register/abbreviations.yaml). Qualifiers that are kinds ("Landkreis") are
German message ids; Land and Kreis names are proper names. Pure: no database, no Flask.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

Position = Literal["suffix", "prefix", "parenthesis"]

#: The kind of an entry as a qualifier (message ids), by register level; Kreise and
#: kreisfreie Städte by type code (see :func:`kind_of`).
LEVEL_KINDS = {
    "land": "Land",
    "regierungsbezirk": "Regierungsbezirk",
    "region": "Region",
    "kreis": "Kreis",
    "gemeindeverband": "Gemeindeverband",
    "gemeinde": "Gemeinde",
}
KREIS_KINDS = {"43": "Kreis", "44": "Landkreis", "45": "Regionalverband"}
KREISFREI = "kreisfreie Stadt"
STADTKREIS = "Stadtkreis"  # Baden-Württemberg's name for a kreisfreie Stadt (42, 62)


@dataclass(frozen=True)
class Abbreviation:
    """One abbreviation of the register and what it stands for."""

    short: str
    long: str
    position: Position


@functools.lru_cache(maxsize=8)
def load_abbreviations(path: Path) -> tuple[Abbreviation, ...]:
    """The abbreviations listed in ``path`` (content/register/abbreviations.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result = []
    for i, item in enumerate(data.get("abbreviations") or []):
        short, long, position = item.get("short"), item.get("long"), item.get("position")
        if not (isinstance(short, str) and short and isinstance(long, str) and long):
            raise ValueError(f"{path}: abbreviations.{i}: short and long are required")
        if position not in ("suffix", "prefix", "parenthesis"):
            raise ValueError(f"{path}: abbreviations.{i}.position: {position!r} unknown")
        result.append(Abbreviation(short, long, position))
    return tuple(result)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def split_name(name: str) -> tuple[str, list[str]]:
    """The place name and its designations: "Gelnhausen, Barbarossast., Krst." →
    ("Gelnhausen", ["Barbarossast.", "Krst."]). A comma without a space counts too."""
    first, *rest = [_squeeze(part) for part in name.split(",")]
    return first, [part for part in rest if part]


def spell_out(name: str, abbreviations: Sequence[Abbreviation]) -> str:
    """The register name with every listed abbreviation spelled out, whitespace tidied."""
    suffix = {a.short: a.long for a in abbreviations if a.position == "suffix"}
    first, designations = split_name(name)
    for a in abbreviations:
        if a.position == "prefix" and first.startswith(a.short + " "):
            first = a.long + first[len(a.short) :]
        elif a.position == "parenthesis":
            first = first.replace(f"({a.short})", f"({a.long})")
    return ", ".join([first, *(suffix.get(d, d) for d in designations)])


def kind_of(level: str, type_code: str | None, is_kreisfrei: bool) -> str:
    """What an entry is, as a qualifier: "Landkreis", "kreisfreie Stadt", "Gemeinde" …"""
    if is_kreisfrei and level in ("kreis", "gemeinde"):
        return STADTKREIS if type_code in ("42", "62") else KREISFREI
    if level == "kreis":
        return KREIS_KINDS.get(type_code or "", LEVEL_KINDS["kreis"])
    return LEVEL_KINDS.get(level, level)


@dataclass(frozen=True)
class NameEntry:
    """What naming an entry needs: its identity (the reporting key, so a kreisfreie Stadt's
    Kreis and Gemeinde rows are one), its spelled-out name, kind, Land name and Kreis."""

    key: str
    name: str
    kind: str
    land: str | None = None
    kreis: str | None = None  # e.g. "Landkreis Oder-Spree"; None for a Kreis or above


@dataclass(frozen=True)
class DisplayName:
    """A name as shown: the spelled-out register name and the qualifiers that tell it apart."""

    name: str
    qualifiers: tuple[str, ...] = ()

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        """``Augsburg (Landkreis)``; ``translate`` translates the qualifiers that are kinds."""
        if not self.qualifiers:
            return self.name
        kinds = {*LEVEL_KINDS.values(), *KREIS_KINDS.values(), KREISFREI, STADTKREIS}
        parts = [_kind(q, translate) if q in kinds else q for q in self.qualifiers]
        return f"{self.name} ({', '.join(parts)})"

    def __str__(self) -> str:
        return self.render()


def _kind(kind: str, translate: Callable[[str], str]) -> str:
    """A kind as a qualifier: translated, and in another language in lower case, as a common
    noun is there ("Warendorf (district)"); the same words capitalised are also labels
    ("Kreis" → "District" as a filter title), and German keeps its nouns capitalised."""
    translated = translate(kind)
    if translated == kind:
        return kind
    return translated[:1].lower() + translated[1:]


#: The qualifiers tried in order, for a whole group of same-named entries at once: the first
#: under which every entry of the group reads differently is used for all of them.
SCHEMES: tuple[tuple[str, ...], ...] = (
    ("kind",),
    ("land",),
    ("kind", "land"),
    ("kreis",),
    ("kind", "land", "kreis"),
)


def _qualifiers(entry: NameEntry, scheme: Iterable[str]) -> tuple[str, ...]:
    values = {"kind": entry.kind, "land": entry.land, "kreis": entry.kreis, "key": entry.key}
    return tuple(v for v in (values[part] for part in scheme) if v)


def disambiguate(entries: Iterable[NameEntry]) -> dict[str, DisplayName]:
    """Display names for ``entries`` (by key): bare where the name is unique among them,
    qualified where two entries would read the same (case ignored), and a bare name by its
    kind where another entry bears the same place name with a designation ("München
    (Landkreis)" beside "München, Landeshauptstadt")."""
    groups: dict[str, dict[str, NameEntry]] = defaultdict(dict)
    for entry in entries:
        groups[entry.name.casefold()].setdefault(entry.key, entry)
    # place names shared by differently named entries: the Landkreis "München" beside
    # "München, Landeshauptstadt" is qualified, since people read a bare name as the city
    places = Counter(
        split_name(e.name)[0].casefold() for group in groups.values() for e in group.values()
    )
    result: dict[str, DisplayName] = {}
    for group in groups.values():
        members = list(group.values())
        if len(members) == 1:
            only = members[0]
            place, designations = split_name(only.name)
            shared = not designations and places[place.casefold()] > 1
            result[only.key] = DisplayName(
                only.name, _qualifiers(only, ("kind",)) if shared else ()
            )
            continue
        for scheme in (*SCHEMES, ("kind", "land", "kreis", "key")):
            named = {e.key: DisplayName(e.name, _qualifiers(e, scheme)) for e in members}
            rendered = [str(n).casefold() for n in named.values()]
            if len(set(rendered)) == len(rendered):
                result.update(named)
                break
    return result


_CAPS_PREFIX = re.compile(r"^([A-ZÄÖÜ]{2,4}) ")


def unknown_abbreviations(names: Iterable[str], abbreviations: Sequence[Abbreviation]) -> set[str]:
    """What in ``names`` looks like a Destatis abbreviation and is not listed: a one-word
    designation ending in a dot or of at most four letters ("GKSt", "Krst."), one beginning
    with "gemfr", or a leading capitals-only word ("GVV …"). A newer register extract that
    brings new ones fails the test built on this until the data file lists them."""
    listed = {a.short for a in abbreviations}
    spelled = {a.long for a in abbreviations}
    found = set()
    for name in names:
        first, designations = split_name(name)
        for d in designations:
            if d in listed or d in spelled:
                continue
            one_word = " " not in d
            if (one_word and (d.endswith(".") or len(d) <= 4)) or d.startswith("gemfr"):
                found.add(d)
        prefix = _CAPS_PREFIX.match(first)
        if prefix and prefix.group(1) not in listed:
            found.add(prefix.group(1))
    return found


def sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order of names as German lists them (DIN 5007-1): umlauts and accents as
    their base letters, ß as ss, case ignored ("Ötisheim" beside "Oberursel", not after
    "Zwickau"); the name itself breaks ties."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss"))
    return ("".join(c for c in folded if not unicodedata.combining(c)), name)
