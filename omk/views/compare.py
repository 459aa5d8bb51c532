"""The comparison page, its CSV download and its charts (published figures only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from omk import charts, numbers
from omk.compare import scoreboard
from omk.compare.bases import BASIS_LABELS
from omk.compare.definitions import SIZE_CLASSES, ComparisonLevel
from omk.compare.peers import GROUP_LABELS, K_DEFAULT, K_MAX, GroupKind
from omk.downloads import attachment
from omk.errors import NotFound, ValidationFailed
from omk.models.register import URBANISATION_LABELS
from omk.policy import Action, actor, authorize, permission
from omk.services import compare as service
from omk.services.compare import invalid
from omk.views.helpers import bounded_int, indicator_label, unit_label

bp = Blueprint("compare", __name__, url_prefix="/vergleich")

LEVEL_CHOICES = {
    "district": _l("Kreisebene (Landkreise und kreisfreie Städte)"),
    "municipal": _l("Gemeindeebene (kreisangehörige Gemeinden)"),
    "all": _l("alle Ebenen"),
}
#: Indicators with charts on one page (each chart is an image request of its own).
MAX_CHARTED = 3
MAX_NAMES = 20

FLAG_LABELS = {
    "outlier_high": _l("Ausreißer nach oben"),
    "outlier_low": _l("Ausreißer nach unten"),
    "missing": _l("fehlt"),
    "no_denominator": _l("keine Bezugsgröße"),
    "too_few_peers": _l("zu wenige Vergleichswerte"),
}
STATUS_LABELS = {
    "none": _l("nichts eingereicht"),
    "submitted": _l("eingereicht, noch nicht angenommen"),
    "returned": _l("zurückgegeben"),
}


@dataclass
class Params:
    """The comparison as the query string names it."""

    cycle: str
    indicators: list[str]
    group: GroupKind
    of: str
    region: str
    size: str
    urbanisation: int
    ags: list[str]
    k: int
    level: str
    q: str

    def query(self, **changes: Any) -> dict[str, Any]:
        """The query string of this comparison (for links, charts and the CSV)."""
        out: dict[str, Any] = {
            "cycle": self.cycle,
            "indicator": self.indicators,
            "group": self.group.value,
            "of": self.of or None,
            "region": self.region or None,
            "size": self.size or None,
            "urbanisation": self.urbanisation or None,
            "ags": self.ags,
            "k": self.k if self.k != K_DEFAULT else None,
            "level": self.level,
        }
        out.update(changes)
        return {k: v for k, v in out.items() if v not in (None, "", [])}


def _digits(raw: str, lengths: tuple[int, ...]) -> str:
    raw = raw.strip()
    return raw if raw.isascii() and raw.isdigit() and len(raw) in lengths else ""


def _params() -> Params:
    args = request.args
    try:
        group = GroupKind(args.get("group", GroupKind.REGION.value))
    except ValueError:
        group = GroupKind.REGION
    catalogue = service.content().indicators
    indicators = [c for c in args.getlist("indicator") if c in catalogue][:20]
    level = args.get("level", "")
    if level not in LEVEL_CHOICES:
        level = ""
    size = args.get("size", "")
    if size not in {c.code for c in SIZE_CLASSES}:
        size = ""
    urbanisation = bounded_int(args.get("urbanisation"), name="urbanisation", upper=3, default=0)
    ags = list(dict.fromkeys(a for a in (_digits(x, (5, 8)) for x in args.getlist("ags")) if a))
    of = _digits(args.get("of", ""), (5, 8))
    region = _digits(args.get("region", ""), (2, 3, 5))
    # The buttons beside the name lookup's matches (the form is submitted as a whole).
    if added := _digits(args.get("add", ""), (5, 8)):
        ags = list(dict.fromkeys([*ags, added]))
        group = GroupKind.NAMES
    if dropped := args.get("drop", ""):
        ags = [a for a in ags if a != dropped]
    if picked := _digits(args.get("pick_of", ""), (5, 8)):
        of = picked
        if group in (GroupKind.NAMES, GroupKind.REGION):
            group = GroupKind.SIMILAR
    if args.get("drop_of"):
        of = ""
    if picked_region := _digits(args.get("pick_region", ""), (5,)):
        region, group = picked_region, GroupKind.REGION
    q = args.get("q", "").strip()[:100]
    if picked or picked_region:
        q = ""  # the one match wanted was chosen from the list ("zur Auswahl" may add more)
    # The buttons beside the name field (its <datalist> offers the lookup's names): the name
    # is resolved on the server; when it names no single entry, the matches are listed.
    action = args.get("name_action", "")
    if action in ("of", "add", "region") and q and (found := service.resolve_name(q)):
        chosen = found[0]
        if action == "of":
            of, q = chosen, ""
            if group in (GroupKind.NAMES, GroupKind.REGION):
                group = GroupKind.SIMILAR
        elif action == "add":
            ags, group, q = list(dict.fromkeys([*ags, chosen])), GroupKind.NAMES, ""
        elif chosen.endswith("000") and len(chosen) == 8:  # a Kreis: as the region
            region, group, q = chosen[:5], GroupKind.REGION, ""
    return Params(
        cycle=args.get("cycle", "")[:20],
        indicators=indicators,
        group=group,
        of=of,
        region=region,
        size=size,
        urbanisation=urbanisation,
        ags=ags[:MAX_NAMES],
        k=bounded_int(args.get("k"), name="k", lower=1, upper=K_MAX, default=K_DEFAULT),
        level=level,
        q=q,
    )


def _spec(p: Params) -> service.GroupSpec | None:
    """The peer group of the parameters; None while something needed is missing."""
    focus = service.resolve_key(p.of).key if p.of else None
    default_level: ComparisonLevel | None = ComparisonLevel.MUNICIPAL
    if focus is not None:
        default_level = service.resolve_key(p.of).comparison_level
    elif p.group == GroupKind.REGION and p.region and len(p.region) < 5:
        default_level = ComparisonLevel.DISTRICT
    level = None if p.level == "all" else ComparisonLevel(p.level) if p.level else default_level
    if p.group == GroupKind.NAMES:
        if not p.ags:
            return None
        keys = tuple(service.resolve_key(a).key for a in p.ags)
        return service.GroupSpec(GroupKind.NAMES, keys=keys, level=None)
    if p.group == GroupKind.REGION:
        if not p.region:
            return None
        return service.GroupSpec(GroupKind.REGION, region=p.region, focus=focus, level=level)
    if p.group == GroupKind.SIZE:
        if not (p.size or focus):
            return None
        return service.GroupSpec(GroupKind.SIZE, size=p.size or None, focus=focus, level=level)
    if p.group == GroupKind.URBANISATION:
        if not (p.urbanisation or focus):
            return None
        return service.GroupSpec(
            GroupKind.URBANISATION, urbanisation=p.urbanisation or None, focus=focus, level=level
        )
    if focus is None:
        return None
    return service.GroupSpec(GroupKind.SIMILAR, focus=focus, k=p.k, level=level)


def _comparison(p: Params, *, with_trend: bool = True) -> service.Comparison | None:
    if not p.cycle:
        raise invalid("cycle", _("Bitte wählen Sie eine Berichtsrunde."))
    cycle = service.get_cycle(p.cycle)
    spec = _spec(p)
    if spec is None:
        return None
    return service.compare(actor(), cycle, spec, p.indicators or None, with_trend=with_trend)


def _cycles() -> list[Any]:
    from sqlalchemy import select

    from omk.extensions import db
    from omk.models.reporting import Cycle

    return list(db.session.scalars(select(Cycle).order_by(Cycle.period_end.desc(), Cycle.code)))


def _own_region(user: Any) -> str:
    """The region a first visit compares: a reviewer's own, a reporter's Land, else none."""
    scope = str(getattr(user, "scope", None) or "")
    if _digits(scope, (2, 3, 5)):
        return scope
    key = str(getattr(user, "municipality_key", None) or "")
    return key[:2] if _digits(key[:2], (2,)) else ""


@bp.get("/")
@permission(Action.COMPARE_READ)
def index() -> ResponseReturnValue:
    authorize(Action.COMPARE_READ)
    p = _params()
    cycles = _cycles()
    if not p.cycle:
        latest = service.latest_cycle_with_published()
        p.cycle = latest.code if latest else (cycles[0].code if cycles else "")
    catalogue = service.content().indicators
    if not p.indicators:
        p.indicators = [next(iter(catalogue))] if catalogue else []
    if not request.args.get("group") and not request.args.get("region"):
        p.region = _own_region(actor())  # a first visit: the user's own region, if any
    matches = service.name_lookup(p.q) if p.q else []
    result = None
    error = None
    if p.cycle:
        try:
            result = _comparison(p)
        except (ValidationFailed, NotFound) as exc:
            error = str(exc)
    chosen = service.names_of(p.ags)
    focus_name = service.names_of([p.of])[0][1] if p.of else ""
    return render_template(
        "compare/index.html",
        p=p,
        cycles=cycles,
        catalogue=catalogue,
        result=result,
        error=error,
        matches=matches,
        chosen=chosen,
        focus_name=focus_name,
        group_labels=GROUP_LABELS,
        group_kinds=list(GroupKind),
        level_choices=LEVEL_CHOICES,
        size_classes=SIZE_CLASSES,
        urbanisation_labels=URBANISATION_LABELS,
        band_labels=scoreboard.BAND_LABELS,
        category_labels=scoreboard.CATEGORY_LABELS,
        basis_labels=BASIS_LABELS,
        flag_labels=FLAG_LABELS,
        status_labels=STATUS_LABELS,
        regions=service.region_choices(p.region),
        max_charted=MAX_CHARTED,
        k_max=K_MAX,
    )


@bp.get("/namen")
@permission(Action.COMPARE_READ)
def names() -> ResponseReturnValue:
    """The name lookup behind the name field's <datalist>: ``{"items": [{"ags", "name"}]}``
    (at most 20, names containing ``q``; fewer than two characters: none)."""
    authorize(Action.COMPARE_READ)
    q = request.args.get("q", "").strip()[:100]
    items = [{"ags": ags, "name": name} for ags, name in service.name_lookup(q)]
    return jsonify({"items": items})


# --- CSV ------------------------------------------------------------------------------------

#: First characters that make a spreadsheet take text for a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell a spreadsheet never evaluates: a leading ``'`` before ``= + - @``, tab, CR."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def number_cell(value: float | None) -> str:
    """A number as German Excel reads it: decimal comma, no thousands separator."""
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(round(float(value), 6)).replace(".", ",")


def comparison_csv(result: service.Comparison) -> bytes:
    """The comparison's tables as one CSV: UTF-8 with BOM, ``;``, decimal comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Kennzahl"), _("Bezugsgröße"), "AGS", _("Kommune"), _("Rohwert"), _("Wert"),
            _("Vorrunde"), _("Wert der Vorrunde"), _("Veränderung"), _("Niveau"),
            _("Kategorie"), _("Hinweise"), _("Median"), _("1. Quartil"), _("3. Quartil"),
            _("Mittelwert"), _("Standardabweichung"), _("Anzahl"), _("fehlend"),
        ]
    )  # fmt: skip
    for ic in result.indicators:
        s = ic.summary
        for r in ic.rows:
            writer.writerow(
                [
                    text_cell(ic.indicator.code),
                    text_cell(_(BASIS_LABELS.get(ic.basis, ic.basis))),
                    text_cell(r.member.ags),
                    text_cell(r.member.name),
                    number_cell(r.raw),
                    number_cell(r.value),
                    text_cell(r.previous_cycle or ""),
                    number_cell(r.previous_value),
                    number_cell(r.change),
                    text_cell(_(scoreboard.BAND_LABELS[r.level_band]) if r.level_band else ""),
                    text_cell(_(scoreboard.CATEGORY_LABELS[r.category]) if r.category else ""),
                    text_cell(", ".join(str(FLAG_LABELS[f]) for f in r.flags)),
                    number_cell(s.median),
                    number_cell(s.q1),
                    number_cell(s.q3),
                    number_cell(s.mean),
                    number_cell(s.sd),
                    number_cell(s.n),
                    number_cell(s.missing),
                ]
            )
    if result.not_reported is not None:
        writer.writerow([])
        writer.writerow(
            [_("Nicht berichtet (nur für Prüfstellen)"), "AGS", _("Kommune"), _("Stand")]
        )
        for n in result.not_reported:
            writer.writerow(
                [
                    "",
                    text_cell(n.member.ags),
                    text_cell(n.member.name),
                    str(STATUS_LABELS[n.status]),
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@bp.get("/vergleich.csv")
@permission(Action.COMPARE_READ)
def download_csv() -> ResponseReturnValue:
    authorize(Action.COMPARE_READ)
    p = _params()
    result = _comparison(p, with_trend=False)
    if result is None:
        raise invalid("group", _("Bitte wählen Sie eine Vergleichsgruppe."))
    name = f"Vergleich_{p.cycle}.csv"
    return attachment(comparison_csv(result), name, "text/csv; charset=utf-8")


# --- charts -----------------------------------------------------------------------------------


def _axis_number(value: float) -> str:
    """An axis tick in the reader's notation (31,0 in German, 31.0 in English)."""
    return numbers.format_decimal(value, "#,##0.0")


def _svg(svg: str) -> Response:
    return Response(svg, mimetype="image/svg+xml")  # the app's CSP applies, as everywhere


@bp.get("/verteilung.svg")
@permission(Action.COMPARE_READ)
def distribution_chart() -> ResponseReturnValue:
    authorize(Action.COMPARE_READ)
    p = _params()
    result = _comparison(p, with_trend=False)
    if result is None or not result.indicators:
        raise invalid("group", _("Bitte wählen Sie eine Vergleichsgruppe."))
    ic = result.indicators[0]
    chosen = set(result.highlighted)
    points = [charts.Point(r.value, r.member.key in chosen) for r in ic.rows if r.value is not None]
    label = indicator_label(ic.indicator)
    title = _("Verteilung: %(label)s", label=label)
    desc = _(
        "%(n)s Werte der Vergleichsgruppe als Punkte, ausgewählte Kommunen hervorgehoben, "
        "Median als senkrechte Linie. Die Zahlen stehen in der Tabelle daneben.",
        n=ic.summary.n,
    )
    svg = charts.strip(
        points,
        ic.summary.median,
        title=title,
        desc=desc,
        axis_label=_(BASIS_LABELS.get(ic.basis, ""))
        if ic.basis != "none"
        else unit_label(ic.indicator),
        labels=(_("Kommunen"), _("ausgewählt"), _("Median")),
        number=_axis_number,
    )
    return _svg(svg)


@bp.get("/verlauf.svg")
@permission(Action.COMPARE_READ)
def trend_chart() -> ResponseReturnValue:
    authorize(Action.COMPARE_READ)
    p = _params()
    result = _comparison(p)
    if result is None or not result.indicators:
        raise invalid("group", _("Bitte wählen Sie eine Vergleichsgruppe."))
    ic = result.indicators[0]
    names = {m.key: m.name for m in result.members}
    label = indicator_label(ic.indicator)
    svg = charts.trend(
        [t.cycle for t in ic.trend],
        [t.median for t in ic.trend],
        [
            (names.get(k, k), [t.highlighted.get(k) for t in ic.trend])
            for k in result.highlighted[:4]
        ],
        title=_("Verlauf: %(label)s", label=label),
        desc=_(
            "Median der Vergleichsgruppe je Berichtsrunde und die Werte der ausgewählten "
            "Kommunen. Die Zahlen stehen in der Tabelle daneben."
        ),
        axis_label=_(BASIS_LABELS.get(ic.basis, "")) if ic.basis != "none" else ic.indicator.unit,
        median_label=_("Median der Vergleichsgruppe"),
        number=_axis_number,
    )
    return _svg(svg)


@bp.app_template_global()
def municipality_scoreboard(entry: Any) -> service.MunicipalityScoreboard | None:
    """A municipality's scoreboard for its register page: logged-in users only (the page is
    public, published figures are not); None without a published report."""
    from omk.policy import can

    if not can(actor(), Action.COMPARE_READ) or entry.comparison_level is None:
        return None
    return service.municipality_scoreboard(actor(), entry)


@bp.app_template_global()
def compare_context(
    report: Any, indicators: Mapping[str, int | float | None] | None
) -> dict[str, service.ValueContext]:
    """For the indicator form and the review page: per indicator the previous published
    value, the peer median and whether the value jumps (published figures: any account).
    ``indicators`` is a document's (``ReportDocument["indicators"]``)."""
    from omk.policy import can

    if not can(actor(), Action.COMPARE_READ):
        return {}
    values = {k: float(v) for k, v in (indicators or {}).items() if isinstance(v, int | float)}
    return service.value_context(report, values)


@bp.app_template_global()
def band_label(code: str) -> str:
    """The German label (message id) of a scoreboard band."""
    return scoreboard.BAND_LABELS.get(code, code)


@bp.app_template_global()
def category_label(code: str) -> str:
    """The German label (message id) of a scoreboard category."""
    return scoreboard.CATEGORY_LABELS.get(code, code)


def chart_url(endpoint: str, p: Params, code: str) -> str:
    return url_for(endpoint, **p.query(indicator=[code]))
