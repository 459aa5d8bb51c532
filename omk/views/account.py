"""The user's own account: password change and API tokens; a reporter's colleagues."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from omk.errors import Forbidden, ValidationFailed
from omk.models.accounts import Role
from omk.policy import Action, authorize, permission
from omk.services import accounts
from omk.services.throttle import LoginThrottled
from omk.views.helpers import apply_errors, wait_in_words

bp = Blueprint("account", __name__, url_prefix="/konto")


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Bisheriges Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr bisheriges Passwort an."))],
    )
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie ein neues Passwort an.")), Length(max=128)],
    )
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein."))],
    )


class TokenForm(FlaskForm):
    label = StringField(_l("Bezeichnung"), validators=[Length(max=100)])


class EmptyForm(FlaskForm):
    """CSRF only (for buttons)."""


class ColleagueForm(FlaskForm):
    """A reporter invites a colleague to report for the same municipality."""

    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse an."))],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])


def _page(password_form: PasswordChangeForm | None = None, new_token: str | None = None) -> str:
    user = current_user._get_current_object()
    return render_template(
        "account/index.html",
        user=user,
        password_form=password_form or PasswordChangeForm(),
        token_form=TokenForm(),
        revoke_form=EmptyForm(),
        tokens=accounts.tokens_of(user),
        new_token=new_token,
    )


@bp.get("/")
@permission(Action.LOGGED_IN)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/passwort")
@permission(Action.LOGGED_IN)
def password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            accounts.change_password(user, form.current.data or "", form.password.data or "")
        except LoginThrottled as exc:
            form.current.errors = [
                _(
                    "Zu viele Fehlversuche. Bitte warten Sie %(wait)s und versuchen Sie es dann "
                    "erneut.",
                    wait=wait_in_words(exc.retry_after),
                )
            ]
            response = make_response(_page(password_form=form), 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            # Every other session is gone; this browser gets a fresh one.
            accounts.start_session(user)
            login_user(user)
            flash(_("Ihr Passwort wurde geändert. Andere Sitzungen wurden abgemeldet."), "success")
            return redirect(url_for("account.index"))
    return _page(password_form=form), 422


@bp.post("/tokens")
@permission(Action.ACCOUNT_TOKENS)
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit():
        return _page(), 422
    token = accounts.create_token(user, user, form.label.data or "")
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/widerrufen")
@permission(Action.ACCOUNT_TOKENS)
def revoke_token(token_id: int) -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.revoke_token(current_user._get_current_object(), token_id)
        flash(_("Das Token wurde widerrufen."), "success")
    return redirect(url_for("account.index"))


def _colleagues_page(form: ColleagueForm | None = None) -> str:
    user = current_user._get_current_object()
    key = user.municipality_key
    authorize(Action.ACCOUNT_COLLEAGUES, key)
    return render_template(
        "account/colleagues.html",
        user=user,
        colleagues=accounts.accounts_of_municipality(key),
        form=form or ColleagueForm(),
    )


@bp.get("/kommune")
@permission(Action.ACCOUNT_COLLEAGUES, per_object=True)
def colleagues() -> ResponseReturnValue:
    """The accounts of the reporter's municipality, who created each, and an invitation."""
    return _colleagues_page()


@bp.post("/kommune/einladen")
@permission(Action.ACCOUNT_COLLEAGUES, per_object=True)
def invite_colleague() -> ResponseReturnValue:
    """Invite a colleague as a reporter of one's own municipality (never of another)."""
    user = current_user._get_current_object()
    key = user.municipality_key
    authorize(Action.ACCOUNT_COLLEAGUES, key)
    form = ColleagueForm()
    if form.validate_on_submit():
        try:
            invited = accounts.create_user(
                user,
                form.email.data or "",
                Role.REPORTER.value,
                name=form.name.data or "",
                municipality_key=key,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Forbidden as exc:
            form.email.errors = [_(exc.message)]
            return _colleagues_page(form), 403
        else:
            accounts.send_password_link(invited, invitation=True)
            flash(_("Einladung an %(email)s verschickt.", email=invited.email), "success")
            return redirect(url_for("account.colleagues"))
    return _colleagues_page(form), 422
