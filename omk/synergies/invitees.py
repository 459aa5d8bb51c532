"""Whom a peer review invites: suggested peers, and names or keys resolved to register keys.

A reviewer does not know register keys. The form suggests municipalities (those of the
practice's stored similar practices, then the municipalities most like the host by
population and density that published in the practice's cycle) and takes names as the
register shows them ("Münster, Stadt", "Kreis Coesfeld", "Coesfeld (Kreis)") or keys;
names are read by the resolver every name field shares (omk.services.places), here without
taking a fragment of a name.
:func:`omk.synergies.peer_review.open_review` stays key-based; this module only finds keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from omk.compare import names
from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.messages import Message, msg
from omk.models.register import Level, Municipality
from omk.services import places, practices, register, similarity
from omk.services.compare import groups

MAX_SUGGESTED = 10
MAX_FROM_SIMILAR = 6  # the rest of the list: structurally similar municipalities
MAX_TYPED = 2000  # characters of the free entry that are read
MAX_ENTRIES = 40  # entries of the free entry that are resolved
MAX_CANDIDATES = 8  # candidates listed when a name fits several


@dataclass(frozen=True)
class Suggestion:
    """A municipality the form offers as a peer: its key, name shown and why: the titles of
    its practices similar to this one, and the cycle it published in when it is like the
    host by population and density ("" otherwise)."""

    key: str
    name: str
    similar_titles: tuple[str, ...] = ()
    alike_in: str = ""


@dataclass
class Resolution:
    """What the free entry names: register keys in the order typed, and what went wrong."""

    keys: list[str] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


def invitable_key(entry: Municipality) -> str | None:
    """The key under which ``entry`` is invited, the key its reports carry (DOMAIN.md): a
    Gemeinde and a kreisfreie Stadt their 8-digit AGS, a Kreis its 5-digit key; None for
    the levels that do not report."""
    if entry.level == Level.GEMEINDE:
        return entry.key
    if entry.level == Level.KREIS:
        return entry.key + "000" if entry.is_kreisfrei else entry.key
    return None


def suggestions(user: Any, practice_id: str, limit: int = MAX_SUGGESTED) -> list[Suggestion]:
    """Peers that make sense for a peer review of the practice, best first: the
    municipalities of its similar practices, then those most like the host (population and
    density) that published in the practice's cycle. Never the host itself."""
    lineage = practices.get_published(user, practice_id)
    report = lineage.latest.report
    host = report.municipality_key
    titles: dict[str, list[str]] = {}  # by key, in the order suggested
    found = similarity.similar(lineage.practice_id, per_page=50, gettext=lambda s: s)
    for item in found["items"]:
        key = item["municipality_key"]
        if key == host or (key not in titles and len(titles) >= MAX_FROM_SIMILAR):
            continue
        titles.setdefault(key, []).append(item["title"])
    alike: set[str] = set()
    focus = db.session.get(Municipality, host)
    if focus is not None and focus.comparison_level is not None:
        spec = groups.GroupSpec(
            kind=GroupKind.SIMILAR, focus=host, k=limit, level=focus.comparison_level
        )
        for member in groups.members_of(report.cycle, spec):
            if member.key != host:
                titles.setdefault(member.key, [])
                alike.add(member.key)
    order = list(titles)[:limit]
    entries = {m.key: m for m in _entries(order)}
    display = register.display_names(entries.values())
    return [
        Suggestion(
            key,
            register.shown(display[key]),
            tuple(titles[key]),
            report.cycle.code if key in alike else "",
        )
        for key in order
        if key in entries and invitable_key(entries[key]) == key
    ]


def _entries(keys: list[str]) -> list[Municipality]:
    if not keys:
        return []
    return list(
        db.session.scalars(
            select(Municipality)
            .options(lazyload(Municipality.parent))
            .where(Municipality.key.in_(keys))
        )
    )


# --- the free entry ----------------------------------------------------------------------


def split_entries(text: str) -> list[list[str]]:
    """The lines of the free entry (line breaks and semicolons), each as its comma-separated
    parts; commas inside parentheses ("Augsburg (Landkreis, Bayern)") do not separate."""
    lines = []
    for line in re.split(r"[\n\r;]+", text):
        parts: list[str] = []
        for part in re.split(r",(?![^()]*\))", line):
            words = part.split()
            if len(words) > 1 and all(w.isascii() and w.isdigit() for w in words):
                parts += words  # keys separated by spaces: "05334002 05315000"
            elif words:
                parts.append(" ".join(words))
        if parts:
            lines.append(parts)
    return lines


def resolve(text: str) -> Resolution:
    """The register keys the free entry names. Keys are taken as they are (a Kreis also by
    its reporting key, ``05558000``); names as the register shows them. A name that fits
    several entries or none, and an unknown key, give a message each."""
    result = Resolution()
    if len(text) > MAX_TYPED:
        result.errors.append(msg("Bitte höchstens %(n)s Zeichen eingeben.", n=MAX_TYPED))
        return result
    entries = split_entries(text)
    if sum(len(parts) for parts in entries) > MAX_ENTRIES:
        # (names with a comma count twice here: the limit is generous for them)
        result.errors.append(
            msg(
                "Bitte höchstens %(n)s Kommunen auf einmal einladen; laden Sie weitere später ein.",
                n=MAX_ENTRIES,
            )
        )
        return result
    count = 0
    for parts in entries:
        i = 0
        while i < len(parts) and count < MAX_ENTRIES:
            count += 1
            # "Coesfeld, Kreis" is one name: try the longest run of parts that names one entry
            for j in range(min(len(parts), i + 3), i + 1, -1):
                joined = ", ".join(parts[i:j])
                if any(p.isdigit() for p in parts[i:j]):
                    continue
                entry = _exact(joined)
                if entry is not None:
                    result.keys.append(entry)
                    i = j
                    break
            else:
                key, error = _resolve_one(parts[i])
                if key:
                    result.keys.append(key)
                if error is not None:
                    result.errors.append(error)
                i += 1
    result.keys = list(dict.fromkeys(result.keys))
    return result


def _resolve_one(text: str) -> tuple[str | None, Message | None]:
    if text.isascii() and text.isdigit():
        return _resolve_key(text)
    # Only a whole name counts: a part of one ("Köl", "lheim") would invite, and mail, a
    # municipality nobody named.
    found = _find(text)
    if found.match is not None:
        return found.match.key, None
    whole = [c for c in found.candidates if c.is_whole]
    if not whole and not found.candidates:
        return None, msg("„%(name)s“ gibt es im Gemeindeverzeichnis nicht.", name=text)
    listed = "; ".join(_described(c.entry) for c in (whole or found.candidates)[:MAX_CANDIDATES])
    if len(whole or found.candidates) > MAX_CANDIDATES:
        listed += "; …"
    if not whole:
        return None, msg(
            "„%(name)s“ ist kein vollständiger Name aus dem Gemeindeverzeichnis. Meinten Sie: "
            "%(candidates)s? Bitte geben Sie den ganzen Namen oder den Schlüssel an.",
            name=text,
            candidates=listed,
        )
    return None, msg(
        "„%(name)s“ passt auf mehrere Kommunen: %(candidates)s. Bitte geben Sie den Namen "
        "genauer an oder den Schlüssel.",
        name=text,
        candidates=listed,
    )


def _resolve_key(key: str) -> tuple[str | None, Message | None]:
    entry = db.session.get(Municipality, key) if len(key) <= 9 else None
    if entry is None and len(key) == 8 and key.endswith("000"):
        kreis = db.session.get(Municipality, key[:5])  # a Kreis reports under key + "000"
        if kreis is not None and kreis.level == Level.KREIS:
            entry = kreis
    if entry is None or not entry.is_current:
        return None, msg("Unbekannter Schlüssel: %(key)s", key=key)
    invited = invitable_key(entry)
    if invited is None:
        return None, msg(
            "%(key)s ist der Schlüssel von %(name)s. Eingeladen werden Gemeinden und Kreise.",
            key=key,
            name=register.shown(register.display_name(entry)),
        )
    return invited, None


def _find(text: str) -> places.Found:
    """The Gemeinden and Kreise ``text`` names (omk.services.places), by invited key; never a
    part of a name."""
    return places.find(text, places.MUNICIPALITY_LEVELS, key_of=invitable_key, take_partial=False)


def _exact(text: str) -> str | None:
    """The key of the one entry ``text`` names exactly: its name shown ("Coesfeld
    (Kreis)"), or its name with its kind ("Kreis Coesfeld", "Coesfeld, Kreis"), in any
    order of the words; None when there is none or several."""
    found = _find(text)
    return found.match.key if found.match is not None and found.match.is_exact else None


def _described(entry: Municipality) -> str:
    """ "Coesfeld, Stadt (Kreis Coesfeld, Nordrhein-Westfalen; 05558012)": a candidate as a
    message lists it, with its Kreis and Land."""
    chain = register.ancestors(entry)
    where = ", ".join(
        f"{names.KREIS_KINDS.get(a.type_code or '', 'Kreis')} {a.name}"
        if a.level == Level.KREIS
        else a.name
        for a in reversed(chain)
        if a.level in (Level.KREIS, Level.LAND)
    )
    display = register.display_name(entry)
    name = str(display)
    if entry.level == Level.KREIS and not display.qualifiers:  # "Landkreis Hersfeld-Rotenburg"
        name = f"{names.KREIS_KINDS.get(entry.type_code or '', 'Kreis')} {name}"
    parts = [name, where, invitable_key(entry) or entry.key]
    return " – ".join(p for p in parts if p)
