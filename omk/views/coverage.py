"""Coverage ("was, wo, wie, von wem"): the matrix of municipalities × recommendations (fields
of action, criteria) of a cycle and region, its gaps, a map and a CSV download."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from omk import downloads
from omk.compare import coverage as rules
from omk.content import Content
from omk.errors import NotFound
from omk.models.reporting import Cycle
from omk.policy import Action, actor, permission
from omk.services import coverage, cycles, register
from omk.views.helpers import region_arg, region_filter

bp = Blueprint("coverage", __name__, url_prefix="/abdeckung")

#: Map size in SVG user units.
MAP_WIDTH = 560.0
MAP_HEIGHT = 640.0
#: Up to this many places the map names them beside their dots (more would overlap).
MAP_LABEL_LIMIT = 40


def _content() -> Content:
    content: Content = current_app.extensions["omk_content"]
    return content


def _dimension(raw: str | None) -> rules.Dimension:
    try:
        return rules.Dimension(raw or rules.Dimension.RECOMMENDATIONS.value)
    except ValueError:
        return rules.Dimension.RECOMMENDATIONS


def _label(content: Content, dimension: rules.Dimension, code: str) -> str:
    return content.taxonomy.label(dimension.value, code, str(get_locale() or "de"))


def column_title(content: Content, dimension: rules.Dimension, code: str) -> str:
    """A column spelled out: "A1 Integration ganzheitlich denken"; a criterion or field of
    action by its label only (its code is a word, not a number)."""
    label = _label(content, dimension, code)
    return f"{code} {label}" if dimension == rules.Dimension.RECOMMENDATIONS else label


def _selection() -> tuple[Cycle, rules.Dimension] | None:
    """The cycle and dimension from the query (defaults: the newest cycle, recommendations);
    None when there is no cycle at all."""
    all_cycles = cycles.all_cycles()
    if not all_cycles:
        return None
    code = request.args.get("cycle", "").strip()
    cycle = next((c for c in all_cycles if c.code == code), None)
    if code and cycle is None:
        raise NotFound(f"Die Berichtsrunde {code!r} gibt es nicht.")
    cycle = cycle or max(all_cycles, key=lambda c: (c.period_end, c.code))
    return cycle, _dimension(request.args.get("dimension"))


@dataclass(frozen=True)
class MapPoint:
    """A member on the map."""

    key: str
    name: str
    x: float
    y: float
    count: int  # practices serving the shown code (0: none)


#: A map label's size as drawn (11 px type): width per character and height, in px.
LABEL_CHAR = 6.2
LABEL_HEIGHT = 13.0


@dataclass(frozen=True)
class MapLabel:
    """Where a point's name goes: its text anchor's x and y, and which side it is on."""

    x: float
    y: float
    anchor: str  # "start" (right of the point) or "end" (left of it)


def placed_labels(points: list[MapPoint], width: float, height: float) -> dict[str, MapLabel]:
    """A label for each point whose name fits beside it (right, else left) without covering
    another label or point, places that practise first: names printed over each other
    ("CoesfeWarendorf") help nobody, and the table beside the map names every place."""
    boxes: list[tuple[float, float, float, float]] = []
    dots = [(p.x, p.y, 7.0 if p.count else 5.0) for p in points]

    def free(box: tuple[float, float, float, float], own: MapPoint) -> bool:
        left, top, right, bottom = box
        if left < 2 or right > width - 2 or top < 2 or bottom > height - 2:
            return False
        if any(left < r and x0 < right and top < b and y0 < bottom for x0, y0, r, b in boxes):
            return False
        return not any(
            (x, y) != (own.x, own.y)
            and left - radius < x < right + radius
            and top - radius < y < bottom + radius
            for x, y, radius in dots
        )

    placed: dict[str, MapLabel] = {}
    for point in sorted(points, key=lambda p: (-p.count, p.name)):
        size = LABEL_CHAR * len(point.name)
        top, bottom = point.y - LABEL_HEIGHT / 2, point.y + LABEL_HEIGHT / 2
        for anchor, left in (("start", point.x + 10), ("end", point.x - 10 - size)):
            box = (left, top, left + size, bottom)
            if free(box, point):
                boxes.append(box)
                x = point.x + 10 if anchor == "start" else point.x - 10
                placed[point.key] = MapLabel(round(x, 1), round(point.y + 4, 1), anchor)
                break
    return placed


@bp.get("/")
@permission(Action.COMPARE_READ)
def index() -> ResponseReturnValue:
    content = _content()
    selection = _selection()
    if selection is None:
        return render_template("coverage/index.html", result=None, all_cycles=[])
    cycle, dimension = selection
    # the region by name (default: the user's); a name that named none or several keeps the
    # form, with a message at the field and the regions it may mean, and shows no matrix
    chosen = region_filter(coverage.default_region(actor(), cycle), max_digits=5)
    page = {
        "all_cycles": cycles.all_cycles(),
        "cycle_code": cycle.code,
        "dimension": dimension,
        "dimensions": rules.DIMENSION_LABELS,
        "region_filter": chosen,
    }
    if chosen.key is None:
        return render_template("coverage/index.html", result=None, **page), 422
    result = coverage.coverage(actor(), content, cycle.code, chosen.key, dimension)
    columns = result.matrix.columns
    shown = request.args.get("show", "")
    if shown not in columns:
        shown = columns[0] if columns else ""
    counts = rules.practised_where(result.matrix, shown) if shown else {}
    projected, width, height = rules.project(result.positions, MAP_WIDTH, MAP_HEIGHT)
    points = sorted(
        (MapPoint(p.key, result.name(p.key), p.x, p.y, counts.get(p.key, 0)) for p in projected),
        key=lambda p: (p.count > 0, p.y),  # practising places drawn last, on top
    )
    return render_template(
        "coverage/index.html",
        result=result,
        **page,
        titles={c: column_title(content, dimension, c) for c in columns},
        labels={c: _label(content, dimension, c) for c in columns},
        actor_label=lambda code: content.taxonomy.label(
            "actor_types", code, str(get_locale() or "de")
        ),
        shown=shown,
        points=points,
        map_labels=placed_labels(points, width, height) if len(points) <= MAP_LABEL_LIMIT else {},
        map_width=width,
        map_height=height,
        region_name=_regions(chosen.key),
        min_peers=rules.MIN_PEERS,
    )


def _regions(region: str) -> str:
    """The chosen region as people name it ("" for all of Germany)."""
    if not region:
        return str(_("Deutschland"))
    try:
        entry = register.get(region)
    except NotFound:
        return region
    return register.shown(register.display_name(entry))


@bp.get("/csv")
@permission(Action.COMPARE_READ)
def csv() -> ResponseReturnValue:
    """The matrix as CSV: one row per municipality, per column the number of practices, then
    the gaps (codes)."""
    content = _content()
    selection = _selection()
    if selection is None:
        raise NotFound("Es gibt noch keine Berichtsrunde.")
    cycle, dimension = selection
    region = region_arg(coverage.default_region(actor(), cycle))
    result = coverage.coverage(actor(), content, cycle.code, region, dimension)
    columns = result.matrix.columns
    header = [
        _("AGS"),
        _("Kommune"),
        *(column_title(content, dimension, c) for c in columns),
        _("Lücken"),
    ]
    rows: list[list[downloads.CsvCell]] = []
    for key in result.matrix.rows:
        cells = result.matrix.cells[key]
        rows.append(
            [
                result.ags(key),
                result.name(key),
                *(len(cells[c].practices) if c in cells else 0 for c in columns),
                ", ".join(result.matrix.gaps[key]),
            ]
        )
    name = f"Abdeckung_{result.cycle.code}_{region or 'DE'}_{dimension.value}.csv"
    return downloads.attachment(downloads.csv_bytes(header, rows), name, "text/csv; charset=utf-8")
