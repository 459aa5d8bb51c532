"""Pick a municipality or region by name where a form asks for one (inviting an account).

People type "Essen" or "Nordrhein-Westfalen", not 05113000 or 05. A typed key is taken as
it is; a name is looked up in the register: one clear match is taken, otherwise the form
offers the candidates (a ``<datalist>`` and a list), each written "Name (Schlüssel)" so that
choosing one fills in an unambiguous value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from omk.extensions import db
from omk.models.register import Level, Municipality, search_name_of
from omk.services import register

#: At most this many candidates are offered.
LIMIT = 20
_KEYED = re.compile(r"\((\d{2,9})\)\s*$")

#: What each kind of field looks for.
MUNICIPALITY_LEVELS = (Level.GEMEINDE, Level.KREIS)
REGION_LEVELS = (Level.LAND, Level.REGIERUNGSBEZIRK, Level.KREIS)


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


def _key_of(entry: Municipality, *, region: bool) -> str:
    return entry.key if region else (entry.reporting_ags or entry.key)


def candidates(text: str, *, region: bool) -> list[Candidate]:
    """Current entries whose name matches ``text``, best matches first."""
    levels = REGION_LEVELS if region else MUNICIPALITY_LEVELS
    entries = list(
        db.session.scalars(
            select(Municipality)
            .where(
                register.name_matches(text),
                Municipality.level.in_([str(level) for level in levels]),
                Municipality.is_current.is_(True),
            )
            .order_by(register.name_rank(text), Municipality.search_name, Municipality.key)
            .limit(LIMIT)
        )
    )
    names = register.display_names(entries)
    offered: dict[str, Candidate] = {}  # a kreisfreie Stadt is its Gemeinde and its Kreis
    for e in entries:
        key = _key_of(e, region=region)
        offered.setdefault(key, Candidate(key, f"{names[e.key].render()} ({key})"))
    return list(offered.values())


def resolve(text: str, *, region: bool) -> Resolved:
    """The key ``text`` stands for: itself when it is digits, the key in "Name (key)", the
    one entry named exactly so (or the only match); otherwise no key and the candidates."""
    text = " ".join(text.split())
    if not text:
        return Resolved(None, [])
    if text.isascii() and text.isdigit():
        return Resolved(text, [])
    keyed = _KEYED.search(text)
    if keyed:
        return Resolved(keyed.group(1), [])
    found = candidates(text, region=region)
    exact = [
        c
        for c in found
        if search_name_of(c.label.rsplit(" (", 1)[0]).split(",")[0] == search_name_of(text)
    ]
    if len(found) == 1:
        return Resolved(found[0].key, found)
    if len(exact) == 1:
        return Resolved(exact[0].key, found)
    return Resolved(None, found)
