"""Rendered parts of pages that show only published material, kept until it changes.

A 50-row table of register entries or published reports costs more to load and render than
the rest of its page. What such a table shows changes only when a report is published
(every publication writes the outbox) or the register is imported (recorded as a
RegisterImport), so it is cached per process under a stamp of both: the newest outbox entry
and the newest import. Another process publishing moves the stamp, which every request reads
(one indexed query), so no worker shows an old table. Only parts that are the same for every
visitor who may see them are cached: never anything that depends on who asks.

The cache belongs to the app (``app.extensions``), holds at most :data:`SIZE` parts (least
recently used first out) and is keyed by the part's name, its parameters, the language and
the stamp.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from functools import cache
from threading import Lock
from typing import Any, TypeVar

from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import ScalarSelect, select

from omk.models.outbox import OutboxEntry
from omk.services import register

#: Parts kept per process (a name search's parameters are whatever people type).
SIZE = 512

T = TypeVar("T")
Stamp = tuple[int | None, datetime | None, int | None, datetime | None]


class _Parts:
    def __init__(self) -> None:
        self.lock = Lock()
        self.parts: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()


def stamp() -> Stamp:
    """The newest outbox entry and register import (id and time: ids restart when a test
    empties the tables, times do not repeat), read once per request."""
    if "omk_fragment_stamp" not in g:
        latest, (outbox_id, outbox_at) = register.latest_import_with(*_newest_outbox_entry())
        g.omk_fragment_stamp = (
            outbox_id,
            outbox_at,
            latest.id if latest else None,
            latest.imported_at if latest else None,
        )
    result: Stamp = g.omk_fragment_stamp
    return result


@cache
def _newest_outbox_entry() -> tuple[ScalarSelect[int], ScalarSelect[datetime]]:
    """Id and time of the newest outbox entry as scalar subqueries, built once."""
    newest = select(OutboxEntry).order_by(OutboxEntry.id.desc()).limit(1)
    return (
        newest.with_only_columns(OutboxEntry.id).scalar_subquery(),
        newest.with_only_columns(OutboxEntry.created_at).scalar_subquery(),
    )


def remembered(
    name: str,
    key: tuple[Hashable, ...],
    compute: Callable[[], T],
    keep: Callable[[T], bool] | None = None,
) -> T:
    """What ``compute`` returns for ``name`` and ``key``, computed once per stamp and
    language (the value must not be changed by whoever receives it); with ``keep``, only
    values it accepts are kept."""
    parts: _Parts = current_app.extensions.setdefault("omk_fragments", _Parts())
    full = (name, key, str(get_locale()), stamp())
    with parts.lock:
        if full in parts.parts:
            parts.parts.move_to_end(full)
            found: T = parts.parts[full]
            return found
    value = compute()
    if keep is not None and not keep(value):
        return value
    with parts.lock:
        parts.parts[full] = value
        while len(parts.parts) > SIZE:
            parts.parts.popitem(last=False)
    return value


def cached(name: str, key: tuple[Hashable, ...], render: Callable[[], Markup]) -> Markup:
    """The part ``name`` for ``key`` (rendered HTML, see :func:`rendered`), rendered by
    ``render`` when not kept for the current stamp and language."""
    return remembered(name, key, render)


def constant(name: str, render: Callable[[], Markup], key: tuple[Hashable, ...] = ()) -> Markup:
    """A part that depends on nothing but content/ (read once at start), the language and
    ``key``."""
    parts: _Parts = current_app.extensions.setdefault("omk_fragments", _Parts())
    full = (name, key, str(get_locale()), request.script_root)
    with parts.lock:
        found: Markup | None = parts.parts.get(full)
    if found is None:
        found = render()
        with parts.lock:
            parts.parts[full] = found
    return found


def rendered(template_name: str, /, **context: Any) -> Markup:
    """A partial template rendered for inclusion with ``{{ … }}`` in a page."""
    return Markup(render_template(template_name, **context))  # noqa: S704 - autoescaped template output


#: What the main navigation asks the policy (base.html shows a link per permission).
_NAV_ACTIONS = (
    "practice.read",
    "compare.read",
    "synergy.read",
    "synthesis.read",
    "cycle.manage",
    "users.manage",
)


def main_nav() -> Markup:
    """The main navigation (``{{ main_nav() }}`` in base.html): the same for everyone with the
    same permissions on the same page, so rendered once per permissions, page and language."""
    from flask_login import current_user

    from omk.policy import Action, can

    user = current_user._get_current_object()
    allowed = tuple(can(user, Action(a)) for a in _NAV_ACTIONS)
    key = (bool(user.is_authenticated), allowed, request.endpoint)
    return constant("nav", lambda: rendered("_nav.html"), key)


def page_footer() -> Markup:
    """The footer (``{{ page_footer() }}``): static but for the register's reference date."""
    from omk import _RegisterAttribution

    attribution = str(_RegisterAttribution())
    return constant("footer", lambda: rendered("_footer.html"), (attribution,))


def install(app: Flask) -> None:
    """Make ``main_nav()`` and ``page_footer()`` available to every template."""
    app.jinja_env.globals["main_nav"] = main_nav
    app.jinja_env.globals["page_footer"] = page_footer
