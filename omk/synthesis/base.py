"""What the chapters of a synthesis report share: numbering, the context, names."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from omk.errors import ValidationFailed
from omk.models.reporting import Cycle
from omk.services import coverage as coverage_service
from omk.services import register
from omk.synthesis.document import Cell, Chapter, Figure, KeyMessage, Table

Progress = Callable[[str], None]


class Builder:
    """Numbers tables and figures in the order they are added and names their CSV files."""

    def __init__(self) -> None:
        self.tables = 0
        self.figures = 0

    def chapter(self, chapter_id: str, title: str) -> Chapter:
        return Chapter(
            id=chapter_id, title=title, paragraphs=[], tables=[], figures=[], messages=[]
        )

    def table(
        self,
        chapter: Chapter,
        table_id: str,
        title: str,
        columns: list[str],
        rows: list[list[Cell]],
        *,
        signed: list[int] | None = None,
    ) -> Table:
        """A numbered table; ``signed`` names the columns of changes (printed with a sign)."""
        self.tables += 1
        slug = _slug(title)
        table = Table(
            id=table_id,
            number=self.tables,
            title=title,
            columns=columns,
            rows=rows,
            csv_name=f"{_('tabelle')}_{self.tables:02d}_{slug}.csv",
        )
        if signed:
            table["signed"] = list(signed)
        chapter["tables"].append(table)
        return table

    def figure(
        self, chapter: Chapter, figure_id: str, title: str, description: str, svg: str, table: Table
    ) -> Figure:
        self.figures += 1
        figure = Figure(
            id=figure_id,
            number=self.figures,
            title=title,
            description=description,
            svg=svg,
            table_id=table["id"],
        )
        chapter["figures"].append(figure)
        return figure

    @staticmethod
    def message(chapter: Chapter, text: str, table: Table) -> KeyMessage:
        message = KeyMessage(text=text, table_id=table["id"])
        chapter["messages"].append(message)
        return message


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue", "ß": "ss"})


def _slug(title: str, limit: int = 40) -> str:
    """A file-name part of a title: lower-case ASCII words joined by underscores."""
    folded = title.translate(_FOLD).lower()
    slug = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    return slug[:limit].rstrip("_") or "tabelle"


def locale() -> str:
    """The current language ("de" or "en")."""
    current = get_locale()
    return current.language if current is not None else "de"


def region_name(region: str) -> str:
    """The display name of a region: its register entry's name, "Deutschland" for ''."""
    if not region:
        return str(_("Deutschland"))
    try:
        entry = register.get(region)
    except Exception:
        return region
    return str(register.display_name(entry))


def check_region(region: str) -> None:
    if not coverage_service.valid_region(region):
        raise ValidationFailed(
            [], _("Die Region ist ein Schlüssel mit 2, 3 oder 5 Ziffern (Land, Bezirk, Kreis).")
        )


class Context:
    """What every chapter needs: the cycle, the region, whether names are shown."""

    def __init__(self, *, cycle: Cycle, region: str, names: bool, locale: str) -> None:
        self.cycle = cycle
        self.region = region
        self.names = names
        self.locale = locale
        self.seconds = 0.0
        self.extra: dict[str, Any] = {}
