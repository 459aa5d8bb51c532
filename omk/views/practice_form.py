"""The practice form of a report: what a submitted form describes (not yet validated), what
to show in it again, and where an error path points in it. Used by ``omk.views.reports``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from omk import exchange, forms, numbers
from omk.document_types import PracticeDocument, practice_of
from omk.views.helpers import bounded_int

PRACTICE_TEXT_FIELDS = (
    "title",
    "summary",
    "description",
    "site",
    "funding",
    "outcomes",
    "transferability",
    "contact",
)
ACTOR_ROWS_EXTRA = 3
NUMBER_FIELDS = ("budget_eur", "staff_fte")


def practice_from_form(
    form: Any, practice_id: str
) -> tuple[PracticeDocument, dict[str, list[str]], dict[str, Any]]:
    """The practice a form describes (not validated: the save validates the whole document),
    the problems found, and what was typed (to show again)."""
    errors: dict[str, list[str]] = {}
    typed: dict[str, Any] = {}
    p: dict[str, Any] = {"id": practice_id}
    for name in PRACTICE_TEXT_FIELDS:
        typed[name] = form.get(name, "")
        p[name] = typed[name].strip() if name in ("title", "summary") else typed[name]
    p["criterion"] = typed["criterion"] = form.get("criterion", "")
    for name in ("fields", "recommendations", "target_groups"):
        p[name] = typed[name] = form.getlist(name)
    p["status"] = typed["status"] = form.get("status") or None
    for name in ("started", "ended"):
        typed[name] = form.get(name, "")
        value, problem = numbers.month(typed[name])
        if problem:
            errors.setdefault(name, []).append(_(problem))
        p[name] = value
    for name in NUMBER_FIELDS:
        typed[name] = form.get(name, "")
        try:
            p[name] = numbers.parse_number(typed[name])
        except ValueError:
            errors.setdefault(name, []).append(_("Bitte eine Zahl eingeben, z. B. 1.500 oder 0,5."))
            p[name] = None
    typed["sources"] = form.get("sources", "")
    p["sources"] = forms.lines(typed["sources"])
    actors, typed_actors = [], []
    rows = bounded_int(
        form.get("actor_rows"),
        name="actor_rows",
        upper=exchange.MAX_ACTORS + ACTOR_ROWS_EXTRA,
        default=0,
    )
    for n in range(rows):
        name = form.get(f"actor-{n}-name", "").strip()
        kind = form.get(f"actor-{n}-type", "sonstige")
        lead = form.get("actor_lead") == str(n)
        typed_actors.append({"name": name, "type": kind, "lead": lead})
        if name:
            actors.append({"name": name, "type": kind, "lead": lead})
    p["actors"] = actors
    typed["actors"] = typed_actors
    typed["adopted_from_practice"] = form.get("adopted_from_practice", "").strip()
    adopted_practice = practice_id_in(typed["adopted_from_practice"])
    adopted_municipality = form.get("adopted_from_municipality", "").strip()
    # Picked by title (server-side lookup): "<practice id>|<municipality key>"; the key is
    # checked on submit (omk.synergies.learning.check_adopted_from), never trusted.
    picked, _sep, picked_key = form.get("origin_pick", "").partition("|")
    if picked.strip():
        adopted_practice, adopted_municipality = picked.strip(), picked_key.strip()
    if form.get("origin_clear"):
        adopted_practice = adopted_municipality = ""
    typed["adopted_from_practice"], typed["adopted_from_municipality"] = (
        adopted_practice,
        adopted_municipality,
    )
    p["adopted_from"] = (
        {"practice": adopted_practice, "municipality": adopted_municipality}
        if adopted_practice
        else None
    )
    typed["moves"] = form.getlist("moves")
    return practice_of(p), errors, typed


def typed_from_practice(p: Mapping[str, Any], moves: list[str]) -> dict[str, Any]:
    typed = {name: p.get(name) or "" for name in PRACTICE_TEXT_FIELDS}
    typed.update(
        criterion=p.get("criterion") or "",
        fields=p.get("fields") or [],
        recommendations=p.get("recommendations") or [],
        target_groups=p.get("target_groups") or [],
        status=p.get("status") or "",
        started=numbers.month_field(p.get("started")),
        ended=numbers.month_field(p.get("ended")),
        budget_eur=numbers.format_field(p.get("budget_eur"), money=True),
        staff_fte=numbers.format_field(p.get("staff_fte")),
        sources="\n".join(p.get("sources") or []),
        actors=list(p.get("actors") or []),
        adopted_from_practice=(p.get("adopted_from") or {}).get("practice", ""),
        adopted_from_municipality=(p.get("adopted_from") or {}).get("municipality", ""),
        moves=moves,
    )
    return typed


_PRACTICE_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def practice_id_in(text: str) -> str:
    """The practice id in what was typed: the address of a practice's page (as copied from
    the browser) or the id itself; the text as it is when it holds no id (validation says)."""
    found = _PRACTICE_ID.findall(text)
    return found[-1].lower() if found else text


def field_of(path: str, ref: str) -> str:
    """The form field an error path points at (``practices[<id>].actors[0].name`` → actors)."""
    rest = path[len(ref) :].lstrip(".") if path.startswith(ref) else path
    return re.split(r"[.\[]", rest, maxsplit=1)[0] or "title"
