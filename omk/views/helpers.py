"""Small helpers shared by the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as translate
from wtforms import Form

from omk.compare.bases import BASIS_LABELS
from omk.content import Indicator
from omk.errors import ValidationFailed
from omk.messages import Message, msg


def bounded_int(raw: str | None, *, name: str, upper: int, lower: int = 0, default: int) -> int:
    """A number from a request (form or query), parsed strictly and bounded *before* anything
    loops or allocates with it: plain decimal digits only, ``lower`` to ``upper``; missing or
    empty gives ``default``. Anything else is refused (ValidationFailed, a 4xx), never a 500
    and never a huge loop."""
    from omk.errors import FieldError

    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(upper))):
        raise ValidationFailed(
            [FieldError(name, f"Erwartet wird eine ganze Zahl von {lower} bis {upper}.")]
        )
    value = int(raw)
    if not lower <= value <= upper:
        raise ValidationFailed(
            [FieldError(name, f"Erwartet wird eine ganze Zahl von {lower} bis {upper}.")]
        )
    return value


def safe_next(target: str | None, default_endpoint: str = "main.index") -> str:
    """A local path to go to after login or a language switch; anything else gives the default.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks, and control chars.
    """
    fallback = url_for(default_endpoint)
    if not target:
        return fallback
    target = target.strip()
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def apply_errors(form: Form, exc: ValidationFailed, mapping: dict[str, str] | None = None) -> None:
    """Attach a service's field errors to the form fields (unknown fields: the first field)."""
    mapping = mapping or {}
    for error in exc.errors:
        name = mapping.get(error.field, error.field)
        field = getattr(form, name, None)
        if field is None:
            field = next(iter(form))
        field.errors = [*list(field.errors), error.message]


def client_address() -> str:
    """The client's address (behind a reverse proxy, set OMK_PROXY_COUNT)."""
    return request.remote_addr or "-"


def wait_in_words(seconds: int) -> str:
    """A wait in words ("1 Sekunde", "15 Minuten"); minutes rounded up, never shorter."""
    if seconds < 60:
        return str(ngettext("%(num)d Sekunde", "%(num)d Sekunden", seconds))
    minutes = -(-seconds // 60)
    return str(ngettext("%(num)d Minute", "%(num)d Minuten", minutes))


#: At most this many regions are offered when a name fits several.
REGION_OFFERED = 8


@dataclass
class RegionFilter:
    """A filter form's region field as the page shows it: the region chosen, or the name
    typed with a message at the field and the regions it may mean (links to the same page)."""

    key: str | None  # the key prefix, "" for all of Germany; None: the name named no region
    shown: str  # what the field shows: the region's name, or what was typed
    names: list[tuple[str, str]]  # (key, name shown) for the field's <datalist>
    error: Message | None = None
    offered: list[tuple[str, str]] = field(default_factory=list)  # (link, name shown)


def region_filter(default: str = "", *, max_digits: int = 9) -> RegionFilter:
    """The region of a filter form's ``region`` field: a Land, Regierungsbezirk or Kreis
    chosen by name (the field's ``<datalist>``, "Kreis Coesfeld", a kreisfreie Stadt as
    "Köln"; see omk.services.places) or a key prefix for those who know keys; ``default``
    when the field was not sent, "" (all of Germany) when it was left empty. A name that
    fits no region or several gives no key but a German message and the candidates."""
    from omk.services import compare as compare_service
    from omk.services import register

    typed = request.args.get("region")
    if typed is None:
        return RegionFilter(default, *region_choices(default))
    typed = " ".join(typed.split())[:100]
    if not typed:
        return RegionFilter("", *region_choices(""))
    if typed.isascii() and typed.isdigit():
        if len(typed) <= max_digits:
            return RegionFilter(typed, *region_choices(typed))
        found = None
    else:
        found = compare_service.find_region(typed)
        if found.match is not None:
            return RegionFilter(found.match.key, *region_choices(found.match.key))
    if found is None or not found.candidates:
        error = msg(
            "„%(name)s“ passt auf keine Region. Bitte geben Sie ein Land, einen "
            "Regierungsbezirk oder einen Kreis an, zum Beispiel „Nordrhein-Westfalen“, "
            "„Regierungsbezirk Köln“ oder „Kreis Coesfeld“.",
            name=typed,
        )
        return RegionFilter(None, typed, region_names(), error)
    args: dict[str, Any] = {
        k: v for k, v in request.args.to_dict(flat=False).items() if k != "page"
    }
    endpoint = request.endpoint or ""
    offered = [
        (url_for(endpoint, **{**args, "region": m.key}), register.shown(m.name))
        for m in found.candidates[:REGION_OFFERED]
    ]
    error = msg("„%(name)s“ passt auf mehrere Regionen. Meinten Sie:", name=typed)
    return RegionFilter(None, typed, region_names(), error, offered)


def region_arg(default: str = "", *, max_digits: int = 9) -> str:
    """The region of a filter form's ``region`` field (see :func:`region_filter`); a name
    that fits no region or several is refused with a German message."""
    chosen = region_filter(default, max_digits=max_digits)
    if chosen.key is None:
        raise ValidationFailed(
            [],
            msg(
                "„%(name)s“ passt auf keine oder auf mehrere Regionen. Bitte wählen Sie einen "
                "Namen aus der Liste, zum Beispiel „Regierungsbezirk Köln“.",
                name=chosen.shown,
            ),
        )
    return chosen.key


def region_choices(key: str) -> tuple[str, list[tuple[str, str]]]:
    """What a region field shows: the chosen region's name ("" for all of Germany; the key
    itself for a prefix that names no region) and the (key, name) list its ``<datalist>``
    offers."""
    names = region_names()
    return (dict(names).get(key, key) if key else ""), names


def region_names() -> list[tuple[str, str]]:
    """(key, name shown) of every Land, Regierungsbezirk and Kreis, loaded once per register
    import (the list must not be changed by whoever receives it)."""
    from omk.services import compare as compare_service
    from omk.views import fragments

    return fragments.remembered("region-names", (), compare_service.region_names)


def indicator_label(indicator: Indicator) -> str:
    """An indicator's name in the reader's language (German where no English is given)."""
    english = str(get_locale() or "de").startswith("en") and indicator.label_en
    return indicator.label_en if english else indicator.label


def unit_label(indicator: Indicator) -> str:
    """An indicator's unit in the reader's language ("%" and "EUR" as they are)."""
    unit = indicator.unit
    return unit if unit in ("%", "EUR") else str(translate(unit))


def measured_in(indicator: Indicator) -> str:
    """What a compared value counts: the unit, on the indicator's basis ("Personen je 1.000
    Einwohner"; "%" as it is)."""
    unit = unit_label(indicator)
    if indicator.normalise == "none":
        return unit
    return f"{unit} {translate(BASIS_LABELS[indicator.normalise])}"
