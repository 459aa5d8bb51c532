"""People's words for facet values: taxonomy labels, Land and Kreis names, size classes."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from omk.compare.definitions import SIZE_CLASS_BY_CODE
from omk.content import Content
from omk.extensions import db
from omk.models.register import URBANISATION_LABELS, Municipality
from omk.models.reporting import Cycle
from omk.search.records import VALIDATED

#: Facet (record field) → taxonomy list holding its labels.
_TAXONOMY = {
    "criterion": "criteria",
    "fields": "fields",
    "recommendations": "recommendations",
    "actor_types": "actor_types",
    "target_groups": "target_groups",
    "status": "practice_statuses",
}

#: Facet names as people read them (the search page's filter headings).
FACET_TITLES = {
    "criterion": "Kriterium",
    "fields": "Handlungsfeld",
    "recommendations": "Handlungsempfehlung",
    "land": "Land",
    "kreis": "Kreis",
    "urbanisation": "Besiedlung",
    "size_class": "Größe der Kommune",
    "cycles": "Berichtsrunde",
    "actor_types": "Akteure",
    "target_groups": "Zielgruppe",
    "status": "Stand",
    "validated": "Gute Praxis",
}


def _content() -> Content:
    content: Content = current_app.extensions["omk_content"]
    return content


def _locale() -> str:
    return str(get_locale() or "de")


def labels(facet: str, values: Iterable[str]) -> dict[str, str]:
    """The label of every value of one facet (the value itself where none is known)."""
    values = list(values)
    locale = _locale()
    if facet in _TAXONOMY:
        taxonomy = _content().taxonomy
        out = {v: taxonomy.label(_TAXONOMY[facet], v, locale) for v in values}
        if facet == "recommendations":
            out = {v: f"{v} {label}" if label != v else v for v, label in out.items()}
        return out
    if facet in ("land", "kreis"):
        from omk.services import register

        entries = db.session.scalars(select(Municipality).where(Municipality.key.in_(values)))
        names = {k: n.render(_) for k, n in register.display_names(entries).items()}
        return {v: names.get(v, v) for v in values}
    if facet == "urbanisation":
        return {
            v: _(URBANISATION_LABELS[int(v)])
            if v.isdigit() and int(v) in URBANISATION_LABELS
            else v
            for v in values
        }
    if facet == "size_class":
        return {v: _(SIZE_CLASS_BY_CODE[v].label) if v in SIZE_CLASS_BY_CODE else v for v in values}
    if facet == "validated":
        return {v: _("als gute Praxis validiert") if v == VALIDATED else v for v in values}
    if facet == "cycles":
        titles = dict(
            db.session.execute(select(Cycle.code, Cycle.title).where(Cycle.code.in_(values))).all()
        )
        return {v: titles.get(v) or v for v in values}
    return {v: v for v in values}
