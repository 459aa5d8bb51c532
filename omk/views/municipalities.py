"""The municipality directory and profiles (register data)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from omk.errors import ValidationFailed
from omk.models.register import URBANISATION_LABELS, Level
from omk.policy import Action, actor, permission
from omk.services import profile, register
from omk.views import fragments
from omk.views.helpers import bounded_int

bp = Blueprint("municipalities", __name__, url_prefix="/kommunen")

#: Labels of the register's levels (filter and profile), translated when rendered.
LEVEL_LABELS = {
    Level.LAND.value: _l("Land"),
    Level.REGIERUNGSBEZIRK.value: _l("Regierungsbezirk"),
    Level.REGION.value: _l("Region"),
    Level.KREIS.value: _l("Kreis"),
    Level.GEMEINDEVERBAND.value: _l("Gemeindeverband"),
    Level.GEMEINDE.value: _l("Gemeinde"),
}
#: The level filter's value for "every level".
ALL_LEVELS = "alle"
PER_PAGE = 50


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """A paging number of the directory: anything but a plain number in range reads as the
    default (links people share should not break on a typo)."""
    try:
        return bounded_int(request.args.get(name), name=name, lower=lo, upper=hi, default=default)
    except ValidationFailed:
        return default


@bp.get("/")
@permission(Action.PUBLIC)
def index() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:100]
    land = request.args.get("land", "").strip()
    if not (len(land) == 2 and land.isascii() and land.isdigit()):
        land = ""
    urbanisation: int | None = _int_arg("urbanisation", 0, 0, 99)
    if urbanisation not in URBANISATION_LABELS:
        urbanisation = None
    level = request.args.get("level") or Level.GEMEINDE.value
    if level != ALL_LEVELS and level not in LEVEL_LABELS:
        level = Level.GEMEINDE.value
    page_number = _int_arg("page", 1, 1, 10_000)

    def results() -> Markup:
        page = register.search(
            q,
            land=land or None,
            level=None if level == ALL_LEVELS else level,
            urbanisation=urbanisation,
            page=page_number,
            per_page=PER_PAGE,
        )
        return fragments.rendered(
            "municipalities/_results.html",
            result=page,
            names=register.display_names(page.items),
            q=q,
            land=land,
            level=level,
            urbanisation=urbanisation,
            level_labels=LEVEL_LABELS,
            all_levels=ALL_LEVELS,
        )

    key = (q, land, level, urbanisation, page_number)
    return render_template(
        "municipalities/index.html",
        results=fragments.cached("municipalities.index", key, results),
        q=q,
        land=land,
        level=level,
        urbanisation=urbanisation,
        lands=register.lands(),
        urbanisation_labels=URBANISATION_LABELS,
        level_labels=LEVEL_LABELS,
        all_levels=ALL_LEVELS,
    )


@bp.get("/<key>")
@permission(Action.PUBLIC)
def detail(key: str) -> ResponseReturnValue:
    entry = register.get(key)
    # One address per entry: a Kreis lives under its reporting key (Kreis + 000); for a
    # kreisfreie Stadt that is the city itself (DOMAIN.md).
    canonical = entry.reporting_ags or entry.key
    if key != canonical:
        return redirect(url_for("municipalities.detail", key=canonical))
    parts: dict[str, Markup] = {}

    def render(name: str) -> Markup:
        if not parts:  # register data only: the same for everyone until the next import
            ancestors = register.ancestors(entry)
            gemeinden = register.gemeinden_of(entry)
            children = register.children_besides(entry, gemeinden)
            context = {
                "m": entry,
                "level_label": LEVEL_LABELS.get(entry.level, entry.level),
                "level_labels": LEVEL_LABELS,
                "ancestors": ancestors,
                "children": children,
                "gemeinden": gemeinden,
                "names": register.display_names([entry, *ancestors, *children, *gemeinden]),
            }
            for part in ("head", "tail"):
                parts[part] = fragments.rendered(f"municipalities/_detail_{part}.html", **context)
        return parts[name]

    return render_template(
        "municipalities/detail.html",
        m=entry,
        register_head=fragments.cached("municipalities.head", (key,), lambda: render("head")),
        register_tail=fragments.cached("municipalities.tail", (key,), lambda: render("tail")),
        activity=profile.activity(actor(), entry),
    )
