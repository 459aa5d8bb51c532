"""The municipality directory and profiles (register data)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from omk.models.register import URBANISATION_LABELS, Level
from omk.policy import Action, permission
from omk.services import register

bp = Blueprint("municipalities", __name__, url_prefix="/kommunen")


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(int(request.args.get(name, default)), lo), hi)
    except ValueError:
        return default


@bp.get("/")
@permission(Action.PUBLIC)
def index() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:100]
    land = request.args.get("land") or None
    urbanisation = _int_arg("urbanisation", 0, 0, 3) or None
    level = request.args.get("level") or Level.GEMEINDE.value
    if level not in {lv.value for lv in Level}:
        level = Level.GEMEINDE.value
    page = register.search(
        q,
        land=land,
        level=level,
        urbanisation=urbanisation,
        page=_int_arg("page", 1, 1, 10_000),
        per_page=50,
    )
    return render_template(
        "municipalities/index.html",
        result=page,
        q=q,
        land=land,
        level=level,
        urbanisation=urbanisation,
        lands=register.lands(),
        urbanisation_labels=URBANISATION_LABELS,
        levels=list(Level),
    )


@bp.get("/<key>")
@permission(Action.PUBLIC)
def detail(key: str) -> ResponseReturnValue:
    entry = register.get(key)
    canonical = entry.reporting_ags or entry.key
    if key != canonical and key != entry.key:
        return redirect(url_for("municipalities.detail", key=canonical))
    return render_template(
        "municipalities/detail.html",
        m=entry,
        ancestors=register.ancestors(entry),
        children=register.children(entry),
    )
