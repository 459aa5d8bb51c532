"""Login, logout and e-mailed password links (invitation and reset)."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from omk.errors import OmkError, ValidationFailed
from omk.policy import Action, permission
from omk.services import accounts
from omk.services.throttle import LoginThrottled
from omk.views.helpers import apply_errors, client_address, safe_next, wait_in_words

bp = Blueprint("auth", __name__)
log = logging.getLogger("omk.auth")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse an."))],
    )
    password = PasswordField(
        _l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort an."))]
    )
    remember = BooleanField(_l("Angemeldet bleiben (14 Tage)"))


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse an."))],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie ein Passwort an.")), Length(max=128)],
    )
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein."))],
    )


def throttled_message(exc: LoginThrottled) -> str:
    """The login page's answer while this account or address has to wait (429)."""
    return str(
        _(
            "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(wait)s und versuchen Sie "
            "es dann erneut. Ihr Konto ist nicht gesperrt; haben Sie Ihr Passwort vergessen, "
            "setzen Sie es zurück.",
            wait=wait_in_words(exc.retry_after),
        )
    )


@bp.route("/anmelden", methods=["GET", "POST"])
@permission(Action.PUBLIC)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data or "", form.password.data or "", client_address()
            )
        except LoginThrottled as exc:
            form.email.errors = [throttled_message(exc)]
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except accounts.LoginFailed as exc:
            form.password.errors = [_(exc.message)]
            status = 401
        else:
            # A fresh session: nothing of the previous one is carried into the login, not even
            # a session someone planted in this browser (session fixation); that one ends.
            if current_user.is_authenticated:
                accounts.end_session(current_user._get_current_object())
                logout_user()
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            remember = bool(form.remember.data)
            accounts.start_session(user, remember=remember)
            login_user(user, remember=remember)
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/abmelden")
@permission(Action.LOGGED_IN)
def logout() -> ResponseReturnValue:
    accounts.end_session(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("main.index"))


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@permission(Action.PUBLIC)
def forgot() -> ResponseReturnValue:
    form = ForgotForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data or "")
        if user is not None and user.is_active:
            accounts.send_password_link(user, invitation=False)
        log.info("password reset requested from %s", client_address())
        # Same answer whether the account exists or not.
        flash(
            _("Wenn es ein Konto mit dieser Adresse gibt, haben wir Ihnen einen Link geschickt."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/passwort-setzen/<token>", methods=["GET", "POST"])
@permission(Action.PUBLIC)
def set_password(token: str) -> ResponseReturnValue:
    try:
        user = accounts.user_from_password_link(token)
    except OmkError as exc:
        return render_template("auth/link_invalid.html", message=_(exc.message)), exc.status
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, user, form.password.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if current_user.is_authenticated:
                # Whoever was logged in here (the link may be someone else's) is logged out
                # for real: the server-side session ends, not only the cookie.
                accounts.end_session(current_user._get_current_object())
                logout_user()
            session.clear()
            flash(_("Ihr Passwort ist gesetzt. Bitte melden Sie sich an."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)
