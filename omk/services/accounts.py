"""Accounts: passwords, login with throttling, server-side sessions, API tokens, password links."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TypeGuard

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, delete, select, update

from omk import mail
from omk.errors import Conflict, FieldError, Forbidden, NotFound, OmkError, ValidationFailed
from omk.extensions import db
from omk.links import secret_base_url
from omk.messages import msg
from omk.models.accounts import ApiToken, Role, User, UserSession
from omk.models.audit import AuditEntry
from omk.models.register import Level, Municipality
from omk.models.reporting import Report, Revision
from omk.models.types import utcnow
from omk.policy import SYSTEM, Action, Actor, can
from omk.services import audit, notify, throttle
from omk.services.throttle import LoginThrottled
from omk.services.transaction import after_commit, lock, unit_of_work

log = logging.getLogger("omk.accounts")

#: OWASP Password Storage Cheat Sheet minimum for argon2id.
OWASP_MIN_TIME_COST = 2
OWASP_MIN_MEMORY_COST = 19456
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
TOKEN_PREFIX = "omk_"  # noqa: S105 - a public prefix, not a secret


class LoginFailed(OmkError):
    """Wrong e-mail or password (the message never says which)."""

    status = 401


# --- hashing ----------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """Hash with argon2id at the configured work factor."""
    return _hasher().hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, in German (empty when it is acceptable).

    Length rules only, no composition rules (ASVS 6.2); common passwords are refused.
    """
    cfg = current_app.config
    problems: list[str] = []
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        problems.append(
            msg(
                "Das Passwort muss mindestens %(count)s Zeichen lang sein.",
                count=cfg["PASSWORD_MIN_LENGTH"],
            )
        )
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        problems.append(
            msg(
                "Das Passwort darf höchstens %(count)s Zeichen lang sein.",
                count=cfg["PASSWORD_MAX_LENGTH"],
            )
        )
    lowered = password.lower()
    if lowered in _common_passwords() or (email and lowered == email.lower()):
        problems.append(msg("Dieses Passwort ist zu verbreitet und leicht zu erraten."))
    return problems


def normalise_email(email: str) -> str:
    """Check an e-mail address's syntax and return it normalised (lower-case domain)."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(
            [FieldError("email", msg("Bitte geben Sie eine gültige E-Mail-Adresse an."))]
        ) from exc
    return result.normalized.lower()


# --- users ------------------------------------------------------------------------------


def check_assignment(
    role: str, municipality_key: str | None, scope: str | None
) -> list[FieldError]:
    """Check that a role comes with what it needs: a reporter's municipality, a reviewer's scope."""
    errors: list[FieldError] = []
    try:
        Role(role)
    except ValueError:
        errors.append(FieldError("role", msg("Unbekannte Rolle %(role)s.", role=repr(role))))
        return errors
    if role == Role.REPORTER:
        if not municipality_key:
            errors.append(
                FieldError("municipality", msg("Eine Berichterstattung braucht eine Kommune."))
            )
        else:
            m = db.session.get(Municipality, municipality_key)
            if m is None or m.level not in (Level.GEMEINDE, Level.KREIS):
                errors.append(
                    FieldError(
                        "municipality",
                        msg(
                            "%(municipality_key)s ist keine Gemeinde und kein Kreis des "
                            "Verzeichnisses.",
                            municipality_key=municipality_key,
                        ),
                    )
                )
    if role == Role.REVIEWER:
        if not scope:
            errors.append(
                FieldError("scope", msg("Eine Prüfstelle braucht eine Region (AGS-Präfix)."))
            )
        elif not scope.isdigit() or db.session.get(Municipality, scope) is None:
            errors.append(
                FieldError(
                    "scope",
                    msg("%(scope)s ist kein Land-, Bezirks- oder Kreisschlüssel.", scope=scope),
                )
            )
    return errors


def resolve_reporting_key(ags: str) -> str:
    """The register key a reporter's 8-digit key stands for (a Landkreis: its 5-digit key)."""
    ags = ags.strip()
    if len(ags) == 8 and ags.endswith("000"):
        gemeinde = db.session.get(Municipality, ags)
        if gemeinde is None and db.session.get(Municipality, ags[:5]) is not None:
            return ags[:5]
    return ags


def create_user(
    actor: Actor | None,
    email: str,
    role: str,
    *,
    name: str = "",
    password: str | None = None,
    municipality_key: str | None = None,
    scope: str | None = None,
) -> User:
    """Create an account (with a password, or invited to set one)."""
    email = normalise_email(email)
    if municipality_key:
        municipality_key = resolve_reporting_key(municipality_key)
    errors = check_assignment(role, municipality_key, scope)
    if password is not None:
        errors += [FieldError("password", p) for p in password_problems(password, email)]
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        errors.append(
            FieldError("email", msg("Es gibt schon ein Konto mit dieser E-Mail-Adresse."))
        )
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        key = municipality_key if role in (Role.REPORTER, Role.STAFF) else None
        _lock_municipalities(key)
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            municipality_key=key,
            scope=scope if role == Role.REVIEWER else None,
            password_hash=hash_password(password) if password else None,
            password_changed_at=utcnow() if password else None,
            is_active=True,
            created_by_id=_actor_id(actor),
        )
        _authorize_account(actor, user)
        _check_reporter_change(actor, None, user, was_active_reporter_of=None)
        db.session.add(user)
        db.session.flush()
        audit.record(actor, "user.create", user, role=role)
        _tell_municipality(actor, user, None)
    log.info("user %s created by %s (role %s)", user.id, getattr(actor, "id", "cli"), role)
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(msg("Dieses Konto gibt es nicht."))
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# --- login and sessions ------------------------------------------------------------------


_DUMMY_HASH: dict[str, str] = {}


def authenticate(email: str, password: str, address: str) -> User:
    """Check e-mail and password, throttled per account and address (omk.services.throttle).

    Raises LoginThrottled, before checking anything, while this account or address has to
    wait, and LoginFailed for a wrong e-mail, a wrong password or a deactivated account alike.
    """
    account_hash = _sha256(email.strip().lower())
    try:
        throttle.reserve(account_hash, address)
    except LoginThrottled as exc:
        user = find_user_by_email(email)
        log.warning(
            "login throttled: user=%s address=%s wait=%ss",
            getattr(user, "id", "unknown"),
            address,
            exc.retry_after,
        )
        with unit_of_work():
            audit.record(None, "login.throttled", user)
        raise
    user = find_user_by_email(email)
    hasher = _hasher()
    ok = False
    if user is not None and user.password_hash:
        try:
            ok = hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time as for a real account, so timing does not reveal accounts.
        key = repr(hasher)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(8))
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH[key], password)
    if not ok or user is None or not user.is_active:
        with unit_of_work():
            # Counted by throttle.reserve already; tell the owner once when it is many.
            audit.record(user if user is not None else None, "login.failed")
            if user is not None and user.is_active and throttle.claim_notice(account_hash):
                owner = user
                after_commit(lambda: notify.login_attack(owner))
        log.info("login failed: user=%s address=%s", getattr(user, "id", "unknown"), address)
        raise LoginFailed(msg("E-Mail-Adresse oder Passwort ist falsch."))
    with unit_of_work():
        throttle.succeeded(account_hash, address)
        if user.password_hash and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_login_at = utcnow()
        audit.record(user, "login", user)
    log.info("login: user=%s address=%s", user.id, address)
    throttle.forget_stale()
    return user


def start_session(user: User, *, remember: bool = False) -> str:
    """Create a server-side session for ``user``; returns the token for the cookie.

    It ends after SESSION_HOURS, or REMEMBER_COOKIE_DAYS with "remember me".
    """
    token = secrets.token_urlsafe(32)
    cfg = current_app.config
    lifetime = (
        timedelta(days=cfg["REMEMBER_COOKIE_DAYS"])
        if remember
        else timedelta(hours=cfg["SESSION_HOURS"])
    )
    with unit_of_work():
        db.session.add(
            UserSession(user_id=user.id, token_hash=_sha256(token), expires_at=utcnow() + lifetime)
        )
    user.attach_session(token)
    return token


@cache
def _live_session() -> Select[UserSession]:
    """The session look-up of every logged-in request, built once (building an ORM statement
    costs more CPU than running it); the row is read anew each time."""
    return select(UserSession).where(UserSession.token_hash == bindparam("token_hash"))


def load_session(token: str) -> User | None:
    """The user of a live session token, or None (unknown, expired, or account deactivated)."""
    row = db.session.scalar(_live_session(), {"token_hash": _sha256(token)})
    if row is None or row.expires_at < utcnow() or not row.user.is_active:
        return None
    user = row.user
    user.attach_session(token)
    return user


def end_session(user: User) -> None:
    """Log out: delete this session server-side, so a copied cookie is worthless."""
    token = user.get_id()
    with unit_of_work():
        if token:
            db.session.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))
        audit.record(user, "logout", user)
    log.info("logout: user=%s address=%s", user.id, audit.client_address() or "-")


def _end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def set_password(actor: Actor | None, user: User, password: str) -> None:
    """Set a new password and end every session of the account (the caller may start a new one)."""
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationFailed([FieldError("password", p) for p in problems])
    with unit_of_work():
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        _end_all_sessions(user)
        # Guesses at the old password no longer matter: no address waits for this account.
        throttle.clear_account(_sha256(user.email.strip().lower()))
        audit.record(actor, "user.password", user)
    log.info("password set: user=%s by=%s", user.id, getattr(actor, "id", "link"))


def change_password(user: User, current: str, new: str) -> None:
    """The user changes their own password, proving the current one. Wrong guesses are
    throttled like failed logins (LoginThrottled before checking anything)."""
    account_hash = _sha256(user.email.strip().lower())
    address = audit.client_address() or "-"
    throttle.reserve(account_hash, address)
    try:
        ok = bool(user.password_hash) and _hasher().verify(user.password_hash or "", current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        with unit_of_work():  # counted by throttle.reserve already
            audit.record(user, "user.password_failed", user)
        raise ValidationFailed([FieldError("current", msg("Das bisherige Passwort stimmt nicht."))])
    set_password(user, user, new)


def update_user(
    actor: Actor | None,
    user: User,
    *,
    name: str | None = None,
    role: str | None = None,
    municipality_key: str | None = None,
    scope: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change an account's name, role, municipality, scope or activity.

    Deactivating ends every session and revokes every token of the account.
    """
    new_role = role or user.role
    if municipality_key:
        municipality_key = resolve_reporting_key(municipality_key)
    errors = check_assignment(new_role, municipality_key, scope)
    if errors:
        raise ValidationFailed(errors)
    new_key = municipality_key if new_role in (Role.REPORTER, Role.STAFF) else None
    new_active = user.is_active if is_active is None else is_active
    with unit_of_work():
        _lock_municipalities(user.municipality_key, new_key)
        before = user.role
        was = _membership(user)
        was_reporter_of = user.municipality_key if _is_active_reporter(user) else None
        # May the actor touch this account as it is, and make it what it would become?
        _authorize_account(actor, user)
        candidate = User(
            role=new_role,
            municipality_key=new_key,
            scope=scope if new_role == Role.REVIEWER else None,
            is_active=new_active,
        )
        candidate.id = user.id
        _authorize_account(actor, candidate)
        _check_reporter_change(actor, user, candidate, was_active_reporter_of=was_reporter_of)
        if name is not None:
            user.name = name.strip()
        user.role = new_role
        user.municipality_key = new_key
        user.scope = scope if new_role == Role.REVIEWER else None
        if is_active is not None and is_active != user.is_active:
            user.is_active = is_active
            if not is_active:
                _end_all_sessions(user)
                db.session.execute(
                    update(ApiToken)
                    .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
        audit.record(actor, "user.update", user, from_state=before, to_state=new_role)
        _tell_municipality(actor, user, was)
    return user


# --- who may add whom -----------------------------------------------------------------------


def _actor_id(actor: Actor | None) -> int | None:
    """The id to record as an account's creator: None for the command line."""
    if actor is None or actor is SYSTEM:
        return None
    return getattr(actor, "id", None)


def _is_user(actor: Actor | None) -> TypeGuard[User]:
    return isinstance(actor, User)


def _is_active_reporter(user: User) -> bool:
    return user.role == Role.REPORTER and bool(user.is_active) and user.municipality_key is not None


def _membership(user: User) -> str | None:
    """The municipality an account is an active member of (reporter, or reader tied to it)."""
    if user.is_active and user.role in (Role.REPORTER, Role.STAFF):
        return user.municipality_key
    return None


def _lock_municipalities(*keys: str | None) -> None:
    """Serialise changes to a municipality's accounts (SQLite: the write lock is held)."""
    for key in sorted({k for k in keys if k}):
        lock(Municipality, key)


def active_reporters(key: str, *, excluding: int | None = None) -> list[User]:
    """The active reporters of a municipality (without the account ``excluding``)."""
    query = select(User).where(
        User.role == Role.REPORTER, User.is_active.is_(True), User.municipality_key == key
    )
    if excluding is not None:
        query = query.where(User.id != excluding)
    return list(db.session.scalars(query.order_by(User.id)))


def _authorize_account(actor: Actor | None, account: User) -> None:
    """Raise Forbidden unless ``actor`` may give out (or change) ``account``: the operator
    any, a reviewer those of its region (omk.policy), a reporter only reporters of its own
    municipality. The command line (actor None or SYSTEM) may do anything."""
    if not _is_user(actor):
        return
    if can(actor, Action.USERS_MANAGE, account):
        return
    if account.id is None and can(actor, Action.ACCOUNT_COLLEAGUES, account):
        return  # a reporter invites a colleague (it changes no account)
    raise Forbidden(msg("Sie haben keine Berechtigung für diese Aktion."))


def _check_reporter_change(
    actor: Actor | None, user: User | None, after: User, *, was_active_reporter_of: str | None
) -> None:
    """A reviewer gives a municipality its first reporter, and no other: further reporters
    are invited by the municipality's own reporters or the operator (a reviewer could
    otherwise give itself a way into the drafts). Nor may a reviewer take the last active
    reporter away from a municipality (and then invite a "first" one of its own)."""
    if not _is_user(actor) or actor.role != Role.REVIEWER:
        return
    user_id = user.id if user is not None else None
    now_reporter_of = after.municipality_key if _is_active_reporter(after) else None
    changed = now_reporter_of != was_active_reporter_of
    if changed and now_reporter_of and active_reporters(now_reporter_of, excluding=user_id):
        raise Forbidden(
            msg(
                "Diese Kommune hat schon eine Berichterstattung. Weitere Konten für die "
                "Berichterstattung laden deren Berichterstattende oder die Administration ein."
            )
        )
    if (
        changed
        and was_active_reporter_of
        and not active_reporters(was_active_reporter_of, excluding=user_id)
    ):
        raise Forbidden(
            msg(
                "Dies ist das letzte aktive Konto der Berichterstattung dieser Kommune. "
                "Nur die Administration kann es deaktivieren oder ändern."
            )
        )


def _tell_municipality(actor: Actor | None, user: User, was_member_of: str | None) -> None:
    """After the commit, tell the municipality's active reporters that an account was added
    to it (not the new account, nor the one who added it)."""
    key = _membership(user)
    if not key or key == was_member_of:
        return
    skip = {user.id, _actor_id(actor)}
    recipients = [r for r in active_reporters(key) if r.id not in skip]
    if not recipients:
        return
    added, by = user, (actor if _is_user(actor) else None)  # a User or nobody
    after_commit(lambda: notify.account_added(recipients, added, by))


def accounts_of_municipality(key: str) -> list[User]:
    """Every account tied to a municipality (reporters and readers, deactivated ones too)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.municipality_key == key)
            .order_by(User.is_active.desc(), User.email)
        )
    )


# --- four eyes on what a reviewer's invitees wrote --------------------------------------------

#: How far up "who created whom" is followed (a chain is short; this only bounds a cycle).
_CHAIN_LIMIT = 50


def _controllers(actor: User) -> set[int]:
    """The reviewer and the accounts above it: whoever created it, and so on, up to the
    operator (admins are trusted and end the chain) or the command line."""
    found = {actor.id}
    current = actor.created_by_id
    for _step in range(_CHAIN_LIMIT):
        if current is None or current in found:
            break
        row = db.session.execute(
            select(User.role, User.created_by_id).where(User.id == current)
        ).one_or_none()
        if row is None or row.role == Role.ADMIN:
            break
        found.add(current)
        current = row.created_by_id
    return found


def _created_by_any(roots: set[int]) -> set[int]:
    """Every account created by one of ``roots``, or by an account those created, and so on."""
    found: set[int] = set()
    frontier = set(roots)
    for _step in range(_CHAIN_LIMIT):
        if not frontier:
            break
        children = set(
            db.session.scalars(
                select(User.id).where(User.created_by_id.in_(frontier), User.role != Role.ADMIN)
            )
        )
        frontier = children - found - roots
        found |= frontier
    return found


def check_not_own_invitee(actor: Actor | None, report: Report) -> None:
    """Raise Forbidden when a reviewer would accept a report that an account it invited
    edited or submitted: such a report needs another reviewer or the operator.

    "Invited by the reviewer" follows the chain of creators both ways: accounts created by
    the reviewer, by the accounts above it (who created the reviewer, and so on, admins
    excepted), and by any of their invitees in turn (a reporter the reviewer invited may
    invite a colleague). "Edited or submitted" is every account that ever wrote to the
    report: the report's last editor (``updated_by``), who submitted each revision
    (``submitted_by``), and each start and save in the audit log (an early edit carries over
    into later revisions, so the last editor alone is not enough).
    """
    if not _is_user(actor) or actor.role != Role.REVIEWER:
        return
    invitees = _created_by_any(_controllers(actor))
    if not invitees:
        return
    writers = {report.updated_by_id}
    writers |= set(
        db.session.scalars(select(Revision.submitted_by_id).where(Revision.report_id == report.id))
    )
    if not writers & invitees:
        saved = db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.actor_id.in_(invitees),
                AuditEntry.object_type == "report",
                AuditEntry.object_id == str(report.id),
                AuditEntry.action.in_(("report.created", "report.save", "report.submitted")),
            )
            .limit(1)
        )
        if saved is None:
            return
    raise Forbidden(
        msg(
            "Diesen Bericht hat ein Konto bearbeitet oder eingereicht, das von Ihnen (oder über "
            "Ihr Konto) eingeladen wurde. Annehmen muss ihn eine andere Prüfstelle oder die "
            "Administration."
        )
    )


def accept_refusal(actor: Actor | None, report: Report) -> str | None:
    """Why ``actor`` may not accept ``report`` under the four-eyes rule, or None: lets the
    review page offer only the decisions this reviewer can take."""
    try:
        check_not_own_invitee(actor, report)
    except Forbidden as exc:
        return exc.message
    return None


# --- e-mailed password links ---------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="omk-password-link")


def _fingerprint(user: User) -> str:
    changed = user.password_changed_at.isoformat() if user.password_changed_at else "-"
    return _sha256(f"{user.id}:{user.password_hash or '-'}:{changed}")[:20]


def password_link_token(user: User) -> str:
    """A signed token for setting a password; void once the password changed or it expired."""
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_from_password_link(token: str) -> User:
    """The user a password link belongs to; Conflict when it expired or was used."""
    max_age = current_app.config["PASSWORD_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise Conflict(
            msg("Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an.")
        ) from exc
    except BadSignature as exc:
        raise NotFound(msg("Dieser Link ist ungültig.")) from exc
    user = db.session.get(User, data.get("u"))
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        raise Conflict(msg("Dieser Link wurde bereits benutzt oder ist nicht mehr gültig."))
    return user


def _inviter(user: User) -> str | None:
    """Who created the account, as the invitation names them ("Name (e-mail)")."""
    by = user.created_by
    if by is None:
        return None
    return f"{by.name} ({by.email})" if by.name else by.email


def _place(user: User) -> str | None:
    """The municipality (reporters, staff) or region (reviewers) of an account, by name."""
    from omk.services import register

    key = user.municipality_key or user.scope
    if not key:
        return None
    try:
        entry = register.get(key)
    except NotFound:
        return key
    return f"{register.display_name(entry).render(_)} ({entry.reporting_ags or entry.key})"


def send_password_link(user: User, *, invitation: bool) -> None:
    """E-mail a link to set (invitation) or reset the password, in a request or on the CLI."""
    if not has_request_context():  # the command line: links and texts need a request
        base = current_app.config["BASE_URL"]
        with current_app.test_request_context(base_url=base):
            send_password_link(user, invitation=invitation)
        return
    token = password_link_token(user)
    link = secret_base_url() + url_for("auth.set_password", token=token)  # never the Host
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    if invitation:
        subject = _("Einladung zur OMK-Wissensdatenbank")
        body = render_template(
            "auth/mail_invitation.txt",
            user=user,
            link=link,
            hours=hours,
            inviter=_inviter(user),
            place=_place(user),
        )
    else:
        subject = _("Passwort zurücksetzen – OMK")
        body = render_template("auth/mail_reset.txt", user=user, link=link, hours=hours)
    mail.send(user.email, subject, body)


# --- API tokens ---------------------------------------------------------------------------


def create_token(actor: Actor | None, user: User, label: str = "", days: int | None = None) -> str:
    """Create an API token for ``user``; returns the token (shown once, stored hashed)."""
    days = days or current_app.config["API_TOKEN_DAYS"]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work():
        row = ApiToken(
            user_id=user.id,
            token_hash=_sha256(token),
            prefix=token[:12],
            label=label[:100],
            expires_at=utcnow() + timedelta(days=days),
        )
        db.session.add(row)
        db.session.flush()
        audit.record(actor, "token.create", row)
    return token


def user_for_token(token: str) -> User | None:
    """The active user of a valid, unrevoked, unexpired API token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(token)))
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    if not row.user.is_active:
        return None
    return row.user


def revoke_token(actor: User, token_id: int) -> None:
    """Revoke one of the actor's tokens (admins: anyone's)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(msg("Dieses Token gibt es nicht."))
    with unit_of_work():
        row.revoked_at = row.revoked_at or utcnow()
        audit.record(actor, "token.revoke", row)


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )
