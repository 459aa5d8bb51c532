"""Reporting cycles: open them (admins; reviewers for their region), see who has reported."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs predate 3.3
from wtforms.validators import DataRequired, Length, Optional, Regexp

from omk.downloads import attachment
from omk.errors import NotFound, ValidationFailed
from omk.models.accounts import Role
from omk.policy import Action, authorize, can, permission
from omk.services import cycle_tools, cycles, register, reports
from omk.views.helpers import apply_errors

bp = Blueprint("cycles", __name__, url_prefix="/berichtsrunden")

_REQUIRED = _l("Pflichtangabe.")
_DATE = _l("Bitte ein Datum angeben (TT.MM.JJJJ oder JJJJ-MM-TT).")


class CycleForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[Optional(), Length(max=200)])
    period_start = DateField(
        _l("Beginn des Berichtszeitraums"),
        validators=[DataRequired(_REQUIRED)],
        format=["%Y-%m-%d", "%d.%m.%Y"],
    )
    period_end = DateField(
        _l("Ende des Berichtszeitraums"),
        validators=[DataRequired(_REQUIRED)],
        format=["%Y-%m-%d", "%d.%m.%Y"],
    )
    deadline = DateField(
        _l("Abgabefrist"), validators=[DataRequired(_REQUIRED)], format=["%Y-%m-%d", "%d.%m.%Y"]
    )
    objectives = TextAreaField(
        _l("Ziele der Runde (Markdown)"), validators=[Optional(), Length(max=20000)]
    )


class NewCycleForm(CycleForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_REQUIRED),
            Length(max=20),
            Regexp(cycles.CODE_PATTERN, message=cycles.CODE_RULE),
        ],
        description=_l("z. B. 2025"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
    )
    regions = StringField(
        _l("Regionen (AGS-Präfixe)"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Durch Leerzeichen oder Komma getrennt, z. B. 05 oder 05315 05334; "
            "leer: ganz Deutschland (nur Administration)."
        ),
    )
    template_version = SelectField(_l("Berichtsvorlage"))


class EditCycleForm(CycleForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("open", _l("offen")), SelectChoice("closed", _l("geschlossen"))],
    )


def _user() -> Any:
    return current_user._get_current_object()


def _date(value: date | None) -> date:
    """A validated form date (DataRequired guarantees it is set)."""
    assert value is not None
    return value


def _template_choices() -> list[SelectChoice]:
    content = current_app.extensions["omk_content"]
    return [
        SelectChoice(t.version, f"{t.title} (Version {t.version})")
        for t in content.templates.values()
    ]


@bp.get("/")
@permission(Action.CYCLE_READ)
def index() -> ResponseReturnValue:
    return render_template("cycles/index.html", cycles=cycles.visible_cycles(_user()))


@bp.route("/neu", methods=["GET", "POST"])
@permission(Action.CYCLE_MANAGE)
def create() -> ResponseReturnValue:
    user = _user()
    form = NewCycleForm()
    form.template_version.choices = _template_choices()
    if request.method == "GET":
        form.template_version.data = current_app.extensions["omk_content"].current_template.version
        if user.role == Role.REVIEWER:
            form.regions.data = user.scope
    if form.validate_on_submit():
        raw = (form.regions.data or "").replace(",", " ").split()
        regions = raw or ([""] if user.role == Role.ADMIN else [])
        try:
            cycle = cycles.create_cycle(
                user,
                (form.code.data or "").strip(),
                _date(form.period_start.data),
                _date(form.period_end.data),
                _date(form.deadline.data),
                regions=regions,
                title=form.title.data or "",
                objectives=form.objectives.data or "",
                template_version=form.template_version.data,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Berichtsrunde %(code)s eröffnet.", code=cycle.code), "success")
            return redirect(url_for("cycles.detail", code=cycle.code))
    status = 422 if form.errors else 200
    return render_template("cycles/form.html", form=form, cycle=None), status


@bp.get("/<code>")
@permission(Action.CYCLE_READ, per_object=True)
def detail(code: str) -> ResponseReturnValue:
    """A cycle's objectives; for its reviewers: who is expected, who has not reported, overdue."""
    user = _user()
    cycle = cycles.get_cycle(code)
    authorize(Action.CYCLE_READ, cycle)
    standings = None
    shown = None
    counts: dict[str, int] = {}
    state = request.args.get("stand") or None
    state = state if state in cycle_tools.STATES else None
    order = request.args.get("sortierung", "kommune")
    order = order if order in cycle_tools.ORDERS else "kommune"
    if can(user, Action.REPORT_REVIEW):
        scope = _scope(user)
        standings = cycles.standings(cycle, within=scope or None)
        shown = cycle_tools.filtered(standings, state, order)
        counts = reports.report_counts(cycle, scope)
    return render_template(
        "cycles/detail.html",
        cycle=cycle,
        standings=standings,
        shown=shown,
        state=state,
        order=order,
        states=STATE_LABELS,
        part=_part(user),
        remind_form=FlaskForm(),
        counts=counts,
        today=date.today(),
        may_manage=can(user, Action.CYCLE_MANAGE, cycle),
    )


#: The state filter's labels (cycle_tools.STATES), translated when shown.
STATE_LABELS = {
    "nicht_begonnen": _l("nicht begonnen"),
    "in_arbeit": _l("in Arbeit"),
    "submitted": _l("eingereicht"),
    "returned": _l("zurückgegeben"),
    "accepted": _l("angenommen"),
}


def _scope(user: Any) -> str:
    """The part of a cycle a reviewer sees: its region ("" for the operator: all of it)."""
    return "" if user.role == Role.ADMIN else (user.scope or "-")


def _part(user: Any) -> str:
    """The reviewer's part of a cycle in words: "Nordrhein-Westfalen (05)"."""
    scope = _scope(user)
    if not scope:
        return str(_("ganz Deutschland (Administration)"))
    try:
        entry = register.get(scope)
    except NotFound:
        return scope
    return f"{register.display_name(entry).render(_)} ({scope})"


def _reviewed_cycle(code: str) -> Any:
    cycle = cycles.get_cycle(code)
    authorize(Action.CYCLE_READ, cycle)
    authorize(Action.REPORT_REVIEW)
    return cycle


@bp.get("/<code>/stand.csv")
@permission(Action.REPORT_REVIEW, per_object=True)
def standings_csv(code: str) -> ResponseReturnValue:
    """The reviewer's part of the standings as CSV (the page's filter and order)."""
    user = _user()
    cycle = _reviewed_cycle(code)
    state = request.args.get("stand") or None
    rows = cycle_tools.filtered(
        cycles.standings(cycle, within=_scope(user) or None),
        state if state in cycle_tools.STATES else None,
        request.args.get("sortierung", "kommune"),
    )
    labels = {key: str(label) for key, label in STATE_LABELS.items()}
    data = cycle_tools.as_csv(cycle, rows, labels)
    return attachment(
        data, f"Stand_{cycle.code}.csv", "text/csv; charset=utf-8", cache_control="no-store"
    )


@bp.post("/<code>/erinnern")
@permission(Action.REPORT_REVIEW, per_object=True)
def remind(code: str) -> ResponseReturnValue:
    """Remind the municipalities of the reviewer's part that have not reported."""
    user = _user()
    cycle = _reviewed_cycle(code)
    if not FlaskForm().validate_on_submit():
        abort(400)
    count = cycle_tools.remind(user, cycle, _scope(user) or None)
    if count:
        flash(
            ngettext("%(num)s Kommune wird erinnert.", "%(num)s Kommunen werden erinnert.", count),
            "success",
        )
    else:
        flash(_("Niemand zu erinnern: alle haben berichtet oder wurden heute schon erinnert."))
    return redirect(url_for("cycles.detail", code=cycle.code) + "#st-h")


@bp.route("/<code>/bearbeiten", methods=["GET", "POST"])
@permission(Action.CYCLE_MANAGE, per_object=True)
def edit(code: str) -> ResponseReturnValue:
    cycle = cycles.get_cycle(code)
    authorize(Action.CYCLE_MANAGE, cycle)
    form = EditCycleForm(obj=cycle if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            cycles.update_cycle(
                _user(),
                cycle,
                title=form.title.data or "",
                objectives=form.objectives.data or "",
                period_start=_date(form.period_start.data),
                period_end=_date(form.period_end.data),
                deadline=_date(form.deadline.data),
                status=form.status.data or "open",
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Berichtsrunde gespeichert."), "success")
            return redirect(url_for("cycles.detail", code=cycle.code))
    status = 422 if form.errors else 200
    return render_template("cycles/form.html", form=form, cycle=cycle), status
