"""Account management: admins everywhere, reviewers for their region."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs predate 3.3
from wtforms.validators import DataRequired, Length, Optional

from omk.errors import Forbidden, ValidationFailed
from omk.extensions import db
from omk.models.accounts import ROLE_LABELS, Role, User
from omk.policy import Action, authorize, can, permission
from omk.services import accounts, places
from omk.views.helpers import apply_errors, bounded_int, region_filter
from omk.views.reports import region_name

bp = Blueprint("users", __name__, url_prefix="/konten")


def _role_choices() -> list[SelectChoice]:
    actor = current_user._get_current_object()
    roles = list(Role) if actor.role == Role.ADMIN else [Role.REPORTER, Role.STAFF, Role.REVIEWER]
    return [SelectChoice(r.value, _(ROLE_LABELS[r])) for r in roles]


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Rolle"), validators=[DataRequired()])
    municipality = StringField(
        _l("Kommune"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Für Berichterstattung nötig, für Lesezugang möglich: Name oder Schlüssel, z. B. "
            "Essen oder 05113000 (ein Landkreis: Kreisschlüssel + 000)."
        ),
    )
    scope = StringField(
        _l("Region"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Nur für Prüfstellen: Land, Regierungsbezirk oder Kreis mit Name oder "
            "Schlüsselanfang, z. B. Nordrhein-Westfalen oder 05."
        ),
    )


class InviteForm(UserForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse an."))],
    )


class EditForm(UserForm):
    is_active = BooleanField(_l("Konto aktiv"))


class EmptyForm(FlaskForm):
    """CSRF only."""


def visible_users_query(actor: User) -> Select[User]:
    """The accounts an actor may see: all for admins, the region's for reviewers."""
    query = select(User).order_by(User.email)
    if actor.role == Role.ADMIN:
        return query
    scope = actor.scope or "-"
    return query.where(
        User.role != Role.ADMIN,
        User.id != actor.id,
        or_(User.municipality_key.startswith(scope), User.scope.startswith(scope)),
    )


def _resolve_places(form: UserForm) -> dict[str, list[places.Candidate]]:
    """Turn the typed municipality and region into keys (names looked up in the register);
    a name without one clear match gets an error and the candidates to choose from."""
    offered: dict[str, list[places.Candidate]] = {}
    role = form.role.data or ""
    for f, region, wanted in (
        (form.municipality, False, role in (Role.REPORTER, Role.STAFF)),
        (form.scope, True, role == Role.REVIEWER),
    ):
        typed = (f.data or "").strip()
        if not typed:
            if role == Role.REPORTER and not region:
                f.errors = [_("Für Berichterstattung bitte die Kommune angeben.")]
            if role == Role.REVIEWER and region:
                f.errors = [_("Für eine Prüfstelle bitte die Region angeben.")]
            continue
        if not wanted:
            continue
        found = places.resolve(typed, region=region)
        if found.key is not None:
            f.data = found.key
            continue
        offered[f.name] = found.candidates
        f.errors = [
            _("Mehrere Einträge passen – bitte einen aus der Liste wählen.")
            if found.candidates
            else _("Im Gemeindeverzeichnis gibt es keinen passenden Eintrag.")
        ]
    return offered


def _authorize_assignment(form: UserForm) -> None:
    """Check the account as the form would make it: a reviewer gives out only accounts of its
    region (a reviewer's scope, a reporter's or reader's municipality), never an admin."""
    role = form.role.data or ""
    municipality = (form.municipality.data or "").strip() or None
    scope = (form.scope.data or "").strip() or None
    candidate = User(
        role=role,
        municipality_key=municipality if role in (Role.REPORTER, Role.STAFF) else None,
        scope=scope if role == Role.REVIEWER else None,
    )
    authorize(Action.USERS_MANAGE, candidate)


@bp.get("/")
@permission(Action.USERS_MANAGE)
def index() -> ResponseReturnValue:
    actor = current_user._get_current_object()
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("rolle", "")
    role = role if role in {r.value for r in Role} else ""
    # a region name that named none or several: the form with the candidates, no accounts
    chosen = region_filter(max_digits=8)
    region = chosen.key or ""
    status = request.args.get("status", "")
    status = status if status in STATUS_LABELS else ""
    query = visible_users_query(actor)
    if q:
        query = query.where(or_(User.email.contains(q.lower()), User.name.contains(q)))
    if role:
        query = query.where(User.role == role)
    if region:
        query = query.where(
            or_(
                User.municipality_key.startswith(region, autoescape=True),
                User.scope.startswith(region, autoescape=True),
            )
        )
    if status == "deaktiviert":
        query = query.where(User.is_active.is_(False))
    elif status == "eingeladen":
        query = query.where(User.is_active.is_(True), User.password_hash.is_(None))
    elif status == "aktiv":
        query = query.where(User.is_active.is_(True), User.password_hash.is_not(None))
    query = query.options(selectinload(User.created_by), selectinload(User.municipality))
    users = [
        u
        for u in (db.session.scalars(query) if chosen.error is None else ())
        if can(actor, Action.USERS_MANAGE, u)
    ]
    pages = max(1, -(-len(users) // PER_PAGE))
    try:
        page = bounded_int(request.args.get("seite"), name="seite", lower=1, upper=pages, default=1)
    except ValidationFailed:
        page = 1
    shown = users[(page - 1) * PER_PAGE : page * PER_PAGE]
    return render_template(
        "users/index.html",
        users=shown,
        # a reviewer's region by name ("Nordrhein-Westfalen (05)"), each scope looked up once
        scope_names={u.scope: region_name(u.scope) for u in shown if u.scope},
        total=len(users),
        page=page,
        pages=pages,
        q=q,
        role=role,
        region=region,
        region_filter=chosen,
        status=status,
        roles=[(r.value, ROLE_LABELS[r]) for r in Role],
        statuses=STATUS_LABELS,
    ), (422 if chosen.error else 200)


#: Accounts per page of the list.
PER_PAGE = 50
#: The status filter: deactivated, invited (no password yet), active.
STATUS_LABELS = {
    "aktiv": _l("aktiv"),
    "eingeladen": _l("eingeladen"),
    "deaktiviert": _l("deaktiviert"),
}


@bp.route("/einladen", methods=["GET", "POST"])
@permission(Action.USERS_MANAGE)
def invite() -> ResponseReturnValue:
    actor = current_user._get_current_object()
    form = InviteForm()
    form.role.choices = _role_choices()
    offered: dict[str, list[places.Candidate]] = {}
    if form.validate_on_submit():
        offered = _resolve_places(form)
        if form.municipality.errors or form.scope.errors:
            return render_template("users/invite.html", form=form, offered=offered), 422
        _authorize_assignment(form)
        try:
            user = accounts.create_user(
                actor,
                form.email.data or "",
                form.role.data or "",
                name=form.name.data or "",
                municipality_key=(form.municipality.data or "").strip() or None,
                scope=(form.scope.data or "").strip() or None,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Forbidden as exc:  # a reviewer adds only a municipality's first reporter
            form.municipality.errors = [_(exc.message)]
            return render_template("users/invite.html", form=form, offered=offered), 403
        else:
            accounts.send_password_link(user, invitation=True)
            flash(_("Einladung an %(email)s verschickt.", email=user.email), "success")
            return redirect(url_for("users.index"))
        return render_template("users/invite.html", form=form, offered=offered), 422
    status = 422 if form.errors else 200
    return render_template("users/invite.html", form=form, offered=offered), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission(Action.USERS_MANAGE, per_object=True)
def edit(user_id: int) -> ResponseReturnValue:
    actor = current_user._get_current_object()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    authorize(Action.USERS_MANAGE, user)
    form = EditForm(obj=None if request.method == "POST" else _form_data(user))
    form.role.choices = _role_choices()
    offered: dict[str, list[places.Candidate]] = {}
    if form.validate_on_submit():
        offered = _resolve_places(form)
        if form.municipality.errors or form.scope.errors:
            return render_template(
                "users/edit.html", form=form, user=user, resend_form=EmptyForm(), offered=offered
            ), 422
        _authorize_assignment(form)
        try:
            accounts.update_user(
                actor,
                user,
                name=form.name.data or "",
                role=form.role.data,
                municipality_key=(form.municipality.data or "").strip() or None,
                scope=(form.scope.data or "").strip() or None,
                is_active=bool(form.is_active.data),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Forbidden as exc:  # a reporter a reviewer may not add or take away
            form.is_active.errors = [_(exc.message)]
            return render_template(
                "users/edit.html", form=form, user=user, resend_form=EmptyForm()
            ), 403
        else:
            flash(_("Konto gespeichert."), "success")
            return redirect(url_for("users.index"))
    status = 422 if form.errors else 200
    return render_template("users/edit.html", form=form, user=user, resend_form=EmptyForm()), status


@bp.post("/<int:user_id>/einladung")
@permission(Action.USERS_MANAGE, per_object=True)
def resend(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    authorize(Action.USERS_MANAGE, user)
    if EmptyForm().validate_on_submit() and user.is_active:
        accounts.send_password_link(user, invitation=user.password_hash is None)
        flash(_("Link an %(email)s verschickt.", email=user.email), "success")
    return redirect(url_for("users.edit", user_id=user.id))


class _Obj:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def _form_data(user: User) -> _Obj:
    municipality = user.municipality.reporting_ags if user.municipality else None
    return _Obj(
        name=user.name,
        role=user.role,
        municipality=municipality or user.municipality_key or "",
        scope=user.scope or "",
        is_active=user.is_active,
    )
