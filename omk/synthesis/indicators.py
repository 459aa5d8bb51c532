"""Chapter "Kennzahlen im Überblick": the scoreboard of each indicator in the region.

The figures are the comparison module's (:func:`omk.services.compare.compare` on the region as
peer group, one comparison level at a time): medians, quartiles, the number reporting and
missing, the categories of the scoreboard and the median of the previous cycle over the same
municipalities. Values stay unrounded in the document; renderers round them.
"""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from flask_babel import ngettext

from omk import charts
from omk.compare.bases import BASIS_LABELS
from omk.compare.definitions import ComparisonLevel
from omk.compare.peers import GroupKind
from omk.compare.scoreboard import CATEGORY_LABELS
from omk.services import compare as compare_service
from omk.synthesis.base import Builder, Context
from omk.synthesis.document import Cell, Chapter, Table
from omk.synthesis.numbers import decimal


def level_title(level: ComparisonLevel) -> str:
    """The name of a comparison level, as a heading."""
    if level == ComparisonLevel.DISTRICT:
        return str(_("Kreise und kreisfreie Städte"))
    return str(_("Kreisangehörige Gemeinden"))


#: Key messages on changes need at least this many municipalities with a change.
MIN_CHANGES = 5
#: At most this many key messages from the indicators.
MAX_MESSAGES = 5
#: A distribution of more values is drawn as a box plot, not as one dot per municipality.
MAX_DOTS = 80


def label(context: Context, ic: compare_service.IndicatorComparison) -> str:
    """The indicator's label in the document's language."""
    indicator = ic.indicator
    return indicator.label_en if context.locale == "en" and indicator.label_en else indicator.label


def basis_label(ic: compare_service.IndicatorComparison) -> str:
    return _(BASIS_LABELS[ic.basis]) if ic.basis != "none" else ic.indicator.unit


def comparisons(context: Context) -> list[tuple[ComparisonLevel, compare_service.Comparison]]:
    """The region's comparison at each level with members (district level first)."""
    out = []
    for level in (ComparisonLevel.DISTRICT, ComparisonLevel.MUNICIPAL):
        spec = compare_service.GroupSpec(GroupKind.REGION, region=context.region, level=level)
        result = compare_service.compare(None, context.cycle, spec)
        if result.members:
            out.append((level, result))
    return out


def _previous(ic: compare_service.IndicatorComparison) -> float | None:
    """The median of the previous cycle over the same members (the trend's second last)."""
    return ic.trend[-2].median if len(ic.trend) >= 2 else None


def chapter(builder: Builder, context: Context) -> tuple[Chapter, bool]:
    """The chapter and whether any figure in it is synthetic (demo values)."""
    chapter = builder.chapter("indicators", _("Kennzahlen im Überblick"))
    found = comparisons(context)
    synthetic = any(result.synthetic for _level, result in found)
    if not found:
        chapter["paragraphs"].append(
            _("Für diese Runde liegen in der Region noch keine angenommenen Berichte vor.")
        )
        return chapter, synthetic
    chapter["paragraphs"].append(
        _(
            "Die Kennzahlen werden auf eine gemeinsame Basis gebracht (etwa je 1.000 "
            "Einwohner), damit große und kleine Kommunen vergleichbar sind. Verglichen wird "
            "innerhalb einer Ebene: Kreise und kreisfreie Städte untereinander, "
            "kreisangehörige Gemeinden untereinander. Das Scoreboard ordnet jede Kommune nach "
            "Stand und Veränderung gegenüber ihrer Vorrunde ein, wie der Gemeinsame "
            "Beschäftigungsbericht der EU; es ist keine Rangliste."
        )
    )
    main = max(found, key=lambda pair: len(pair[1].members))
    messages: list[tuple[float, str, Table]] = []
    for level, result in found:
        suffix = level_title(level) if len(found) > 1 else ""
        overview, categories = _tables(builder, chapter, context, result, suffix)
        if categories is not None:
            text = ngettext(
                "%(title)s: %(num)s Kommune mit angenommenem Bericht (Tabellen %(first)s "
                "und %(second)s).",
                "%(title)s: %(num)s Kommunen mit angenommenem Bericht (Tabellen %(first)s "
                "und %(second)s).",
                len(result.members),
                title=level_title(level),
                first=overview["number"],
                second=categories["number"],
            )
        else:
            text = ngettext(
                "%(title)s: %(num)s Kommune mit angenommenem Bericht (Tabelle %(first)s); "
                "für das Scoreboard braucht es mindestens %(min)s.",
                "%(title)s: %(num)s Kommunen mit angenommenem Bericht (Tabelle %(first)s); "
                "für das Scoreboard braucht es mindestens %(min)s.",
                len(result.members),
                title=level_title(level),
                first=overview["number"],
                min=compare_service.table().min_members,
            )
        chapter["paragraphs"].append(text)
        messages += _messages(context, result, overview, categories)
        if (level, result) == main:
            _figures(builder, chapter, context, result, overview)
    messages.sort(key=lambda m: -m[0])
    for _weight, text, table in messages[:MAX_MESSAGES]:
        builder.message(chapter, text, table)
    return chapter, synthetic


def _tables(
    builder: Builder,
    chapter: Chapter,
    context: Context,
    result: compare_service.Comparison,
    suffix: str,
) -> tuple[Table, Table | None]:
    """The overview, the scoreboard (None when the group is too small for it) and the trend."""

    def titled(text: str) -> str:
        return f"{text}: {suffix}" if suffix else text

    rows: list[list[Cell]] = []
    for ic in result.indicators:
        previous = _previous(ic)
        s = ic.summary
        change = s.median - previous if s.median is not None and previous is not None else None
        row: list[Cell] = [label(context, ic), basis_label(ic), s.n, s.missing, s.median, s.q1]
        rows.append([*row, s.q3, previous, change])
    overview = builder.table(
        chapter,
        f"t-indicators-{_level_code(result)}",
        titled(_("Kennzahlen: Median und Streuung")),
        [
            _("Kennzahl"),
            _("Basis"),
            _("Werte"),
            _("fehlend"),
            _("Median"),
            _("1. Quartil"),
            _("3. Quartil"),
            _("Median der Vorrunde"),
            _("Veränderung des Medians"),
        ],
        rows,
        signed=[8],
    )
    judged = [ic for ic in result.indicators if ic.direction is not None]
    category_rows: list[list[Cell]] = []
    for ic in judged:
        counted = Counter(r.category for r in ic.rows)
        counts: list[Cell] = [counted.get(code, 0) for code in CATEGORY_LABELS]
        category_rows.append([label(context, ic), *counts, counted.get(None, 0)])
    classified = any(r.category is not None for ic in judged for r in ic.rows)
    categories = None
    if classified:
        categories = builder.table(
            chapter,
            f"t-scoreboard-{_level_code(result)}",
            titled(_("Scoreboard: Kommunen je Kategorie")),
            [_("Kennzahl")]
            + [_(text) for text in CATEGORY_LABELS.values()]
            + [_("ohne Einordnung")],
            category_rows,
        )
    cycles = [t.cycle for t in result.indicators[0].trend] if result.indicators else []
    if len(cycles) > 1:
        builder.table(
            chapter,
            f"t-trend-{_level_code(result)}",
            titled(_("Entwicklung der Mediane über die Berichtsrunden")),
            [_("Kennzahl"), _("Basis"), *cycles],
            [
                [label(context, ic), basis_label(ic), *[t.median for t in ic.trend]]
                for ic in result.indicators
            ],
        )
    return overview, categories


def _level_code(result: compare_service.Comparison) -> str:
    level = result.spec.level
    return level.value if level is not None else "all"


def _messages(
    context: Context,
    result: compare_service.Comparison,
    overview: Table,
    categories: Table | None,
) -> list[tuple[float, str, Table]]:
    """Candidate key messages with a weight (the clearer the finding, the higher)."""
    found: list[tuple[float, str, Table]] = []
    for ic in result.indicators:
        if ic.direction is None:
            continue
        changes = [r.change for r in ic.rows if r.change is not None]
        if len(changes) < MIN_CHANGES:
            continue
        up = sum(1 for c in changes if c > 0)
        down = sum(1 for c in changes if c < 0)
        name = label(context, ic)
        if up >= down:
            text = ngettext(
                "In %(count)s von %(num)s Kommune stieg der Wert der Kennzahl „%(label)s“ "
                "gegenüber der Vorrunde.",
                "In %(count)s von %(num)s Kommunen stieg der Wert der Kennzahl „%(label)s“ "
                "gegenüber der Vorrunde.",
                len(changes),
                count=up,
                label=name,
            )
        else:
            text = ngettext(
                "In %(count)s von %(num)s Kommune sank der Wert der Kennzahl „%(label)s“ "
                "gegenüber der Vorrunde.",
                "In %(count)s von %(num)s Kommunen sank der Wert der Kennzahl „%(label)s“ "
                "gegenüber der Vorrunde.",
                len(changes),
                count=down,
                label=name,
            )
        found.append((max(up, down) / len(changes), text, overview))
        critical = sum(1 for r in ic.rows if r.category == "critical")
        classified = sum(1 for r in ic.rows if r.category is not None)
        if categories is not None and classified and critical / classified >= 0.2:
            text = ngettext(
                "Bei der Kennzahl „%(label)s“ ordnet das Scoreboard %(count)s von %(num)s "
                "eingeordneten Kommune als „kritische Lage“ ein.",
                "Bei der Kennzahl „%(label)s“ ordnet das Scoreboard %(count)s von %(num)s "
                "eingeordneten Kommunen als „kritische Lage“ ein.",
                classified,
                count=critical,
                label=name,
            )
            found.append((critical / classified, text, categories))
    return found


def _figures(
    builder: Builder,
    chapter: Chapter,
    context: Context,
    result: compare_service.Comparison,
    overview: Table,
) -> None:
    """A distribution chart of every judged indicator (the level with the most members)."""
    for ic in result.indicators:
        if ic.direction is None:
            continue
        points = [charts.Point(r.value, False) for r in ic.rows if r.value is not None]
        if not points:
            continue
        name = label(context, ic)
        title = _("Verteilung: %(label)s", label=name)
        median = decimal(ic.summary.median) if ic.summary.median is not None else "–"
        if len(points) > MAX_DOTS:
            desc = _(
                "Kastengrafik der %(n)s Werte: der Kasten reicht vom ersten bis zum dritten "
                "Quartil, der Strich darin ist der Median (%(median)s), Ausreißer sind Punkte. "
                "Die Zahlen stehen in Tabelle %(table)s.",
                n=ic.summary.n,
                median=median,
                table=overview["number"],
            )
            svg = charts.box(
                [p.value for p in points],
                title=title,
                desc=desc,
                axis_label=basis_label(ic),
                labels=(_("Quartile und Spannweite"), _("Median"), _("Ausreißer")),
            )
        else:
            desc = _(
                "%(n)s Werte als Punkte, der Median (%(median)s) als senkrechte Linie. "
                "Die Zahlen stehen in Tabelle %(table)s.",
                n=ic.summary.n,
                median=median,
                table=overview["number"],
            )
            svg = charts.strip(
                points,
                ic.summary.median,
                title=title,
                desc=desc,
                axis_label=basis_label(ic),
                labels=(_("Kommunen"), _("ausgewählt"), _("Median")),
            )
        builder.figure(chapter, f"f-{ic.indicator.code}", title, desc, svg, overview)
