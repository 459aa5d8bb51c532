"""Who may do what: the one policy module.

Views, services, the API and (later) search filters all ask here. Every route declares its
action with :func:`permission`; ``install`` checks that declaration before each request and,
when ``POLICY_AUDIT`` is on (tests), fails any successful (2xx or 3xx) non-public request whose
view never asked the policy about the record it served.

An action is checked in two steps:

* ``can(user, action)`` without a target answers "may this kind of user ever do this?"
  (the route-level check, done before the view runs);
* ``can(user, action, target)`` answers for one record: a municipality, a report, a cycle,
  a user account. Views call :func:`authorize` with the record they are about to touch.

Rules about reports are written once, as conditions that answer both for one record (``can``)
and for all rows at once (:func:`report_filter`, a SQL condition for lists, the API and
exports), so that what a list shows and what a page allows cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, false, or_, true

from omk.errors import Forbidden, Unauthenticated
from omk.models.accounts import Role, User
from omk.models.reporting import Report

log = logging.getLogger("omk.policy")

F = TypeVar("F", bound=Callable[..., Any])


class Action(StrEnum):
    """Everything the policy decides about."""

    PUBLIC = "public"  # anyone, also anonymous
    LOGGED_IN = "logged_in"  # any active account (own account page, logout, password)
    ACCOUNT_TOKENS = "account.tokens"  # manage one's own API tokens
    USERS_MANAGE = "users.manage"  # invite, edit, deactivate accounts (target: a User)
    # A reporter: see the accounts of its own municipality and invite colleagues to it
    # (target: a municipality key or a User).
    ACCOUNT_COLLEAGUES = "account.colleagues"
    CYCLE_MANAGE = "cycle.manage"  # open and edit reporting cycles (target: a Cycle or prefix)
    CYCLE_READ = "cycle.read"  # see a cycle and its objectives
    REPORT_READ = "report.read"  # a report's page, history, revisions, comments (target: Report)
    REPORT_READ_DRAFT = "report.read_draft"  # the working copy: its own municipality only
    REPORT_READ_PUBLISHED = "report.read_published"  # read the published revision
    REPORT_EDIT = "report.edit"  # edit the draft (target: a Report or a municipality key)
    REPORT_SUBMIT = "report.submit"
    REPORT_REVIEW = "report.review"  # return, accept, reopen; see the queue (target: a Report)
    REPORT_IMPORT_PUBLISHED = "report.import_published"  # admin: import straight as published
    REPORT_EXPORT = "report.export"  # export reports of a region (target: a prefix)
    AUDIT_READ = "audit.read"
    # Published practices: search, practice pages, similar practices, feeds (DOMAIN.md table;
    # target: the published Report a version belongs to).
    PRACTICE_READ = "practice.read"
    # Comparison, coverage and scoreboard of published figures: every logged-in user
    # (DOMAIN.md table); the figures are the same for everyone.
    COMPARE_READ = "compare.read"
    # Who has not reported, is late or was returned (participation): a reporter for its own
    # municipality, a reviewer in its region, the operator everywhere (target: a
    # municipality key or an AGS prefix).
    PARTICIPATION_READ = "participation.read"
    # Synergies and good practices (issue 12, DOMAIN.md table).
    SYNERGY_READ = "synergy.read"  # the synergy view of published material
    # Confirm or dismiss a suggestion (target: a suggestion with ``municipality_keys``): a
    # reviewer whose region covers at least one side.
    SYNERGY_JUDGE = "synergy.judge"
    # Validate a published practice as good practice; see the candidates (target: the
    # published Report of the practice, or a municipality key): the region's reviewers.
    PRACTICE_VALIDATE = "practice.validate"
    # Open a peer review of a practice and write its synthesis (target as above).
    PEER_REVIEW_MANAGE = "peer_review.manage"
    # Answer a peer review (target: a PeerReview): reporters of an invited municipality only.
    PEER_REVIEW_COMMENT = "peer_review.comment"
    # Who has not reported (participation) in a comparison: a reviewer's own region, the operator.
    COMPARE_PARTICIPATION = "compare.participation"
    # Synthesis reports (issue 13, DOMAIN.md table). Read a published version: every
    # logged-in user. Generate, edit, publish and read the draft (target: the region's AGS
    # prefix, '' for Germany, or a draft or version with a ``region``): the reviewers whose
    # region covers it; the operator everywhere, Germany included.
    SYNTHESIS_READ = "synthesis.read"
    SYNTHESIS_MANAGE = "synthesis.manage"


#: Actions on a municipality's draft: its own reporters only, whatever the role elsewhere.
DRAFT_ACTIONS = frozenset({Action.REPORT_READ_DRAFT, Action.REPORT_EDIT, Action.REPORT_SUBMIT})

#: Actions of a municipality's own reporters that the operator does in its own pages instead,
#: or that are the voice of a municipality (a peer review's answers): never the operator's.
OWN_MUNICIPALITY_ACTIONS = frozenset({Action.ACCOUNT_COLLEAGUES, Action.PEER_REVIEW_COMMENT})

#: Actions a role may perform at all (the route-level check).
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.REPORTER: frozenset(
        {
            Action.LOGGED_IN,
            Action.ACCOUNT_TOKENS,
            Action.CYCLE_READ,
            Action.REPORT_READ,
            Action.REPORT_READ_DRAFT,
            Action.REPORT_READ_PUBLISHED,
            Action.REPORT_EDIT,
            Action.REPORT_SUBMIT,
            Action.PRACTICE_READ,
            Action.COMPARE_READ,
            Action.ACCOUNT_COLLEAGUES,
            Action.COMPARE_READ,
            Action.PARTICIPATION_READ,
            Action.SYNERGY_READ,
            Action.PEER_REVIEW_COMMENT,
            Action.SYNTHESIS_READ,
        }
    ),
    Role.STAFF: frozenset(
        {
            Action.LOGGED_IN,
            Action.ACCOUNT_TOKENS,
            Action.CYCLE_READ,
            Action.REPORT_READ,
            Action.REPORT_READ_PUBLISHED,
            Action.PRACTICE_READ,
            Action.COMPARE_READ,
            Action.SYNERGY_READ,
            Action.SYNTHESIS_READ,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Action.LOGGED_IN,
            Action.ACCOUNT_TOKENS,
            Action.USERS_MANAGE,
            Action.CYCLE_MANAGE,
            Action.CYCLE_READ,
            Action.REPORT_READ,
            Action.REPORT_READ_PUBLISHED,
            Action.REPORT_REVIEW,
            Action.REPORT_EXPORT,
            Action.PRACTICE_READ,
            Action.COMPARE_READ,
            Action.PARTICIPATION_READ,
            Action.SYNERGY_READ,
            Action.SYNERGY_JUDGE,
            Action.PRACTICE_VALIDATE,
            Action.PEER_REVIEW_MANAGE,
            Action.COMPARE_PARTICIPATION,
            Action.SYNTHESIS_READ,
            Action.SYNTHESIS_MANAGE,
        }
    ),
    # The operator: everything a reviewer may, everywhere; never a municipality's draft.
    Role.ADMIN: frozenset(set(Action) - {Action.PUBLIC} - DRAFT_ACTIONS - OWN_MUNICIPALITY_ACTIONS),
}


class Actor(Protocol):
    """Who acts on something: a :class:`~omk.models.accounts.User`, the command line's
    :data:`SYSTEM`, or (where services accept ``None``) nobody in particular, the trusted
    command line as well. What the policy and the audit log read of it."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...

    @property
    def scope(self) -> str | None: ...

    @property
    def municipality_key(self) -> str | None: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...


class SystemActor:
    """The operator acting through the command line: trusted like the shell it runs in."""

    id = None
    role = "system"
    is_authenticated = True
    is_active = True
    scope = ""
    municipality_key = None

    def __repr__(self) -> str:
        return "<SystemActor>"


#: Pass as the actor from CLI commands; every check passes, audit entries show no user.
SYSTEM = SystemActor()


def in_scope(prefix: str | None, key: str | None) -> bool:
    """True when the register key lies in the region given by an AGS prefix ('' is all)."""
    if prefix is None or key is None:
        return False
    return key.startswith(prefix)


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def can(user: Any, action: Action, target: Any = None) -> bool:
    """Whether ``user`` (a User, or anonymous/None) may perform ``action`` on ``target``."""
    if action == Action.PUBLIC or user is SYSTEM:
        return True
    role = _role(user)
    if role is None or action not in ROLE_ACTIONS[role]:
        return False
    if target is None:
        return True
    report_rules = REPORT_RULES.get(action)
    if report_rules is not None:
        condition = report_rules.get(role)
        return condition is not None and condition.holds(user, target)
    if role == Role.ADMIN and action not in _ADMIN_CHECKED:
        return True
    checker = _TARGET_RULES.get(action)
    if checker is None:
        return True
    return checker(user, role, target)


def sees_published_only(user: Any, action: Action) -> bool:
    """Whether ``user`` may do ``action`` to exactly the published reports: then what it sees
    is what every other such user sees (what a cache shared between users may rely on)."""
    role = _role(user)
    return (
        role is not None
        and action in ROLE_ACTIONS[role]
        and REPORT_RULES.get(action, {}).get(role) is PUBLISHED
    )


# --- rules for one record ---------------------------------------------------------------


def _region_of(target: Any) -> str | None:
    """The register key a target belongs to (report → its municipality, user → theirs)."""
    if isinstance(target, str):
        return target
    if isinstance(target, User):
        return target.municipality_key or target.scope
    return getattr(target, "municipality_key", None)


def narrower_scope(outer: str | None, inner: str | None) -> bool:
    """True when region ``inner`` lies strictly within region ``outer`` (053 within 05)."""
    return outer is not None and inner is not None and in_scope(outer, inner) and inner != outer


def _user_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer manages the accounts of its region, never admins, itself, reviewers whose
    region is as wide as its own or wider (a peer of the same region, a Land reviewer for a
    Kreis reviewer), or readers tied to no municipality (those belong to no region: the
    operator manages them). Whether it may add a reporter to a municipality is decided by
    omk.services.accounts (only the first one: that needs the database)."""
    if role != Role.REVIEWER:
        return False
    if isinstance(target, User):
        if target.role == Role.ADMIN or (target.id is not None and target.id == user.id):
            return False
        if target.role == Role.REVIEWER:
            return narrower_scope(user.scope, target.scope)
        return in_scope(user.scope, target.municipality_key)
    return in_scope(user.scope, _region_of(target))


def _colleagues_rule(user: User, role: Role, target: Any) -> bool:
    """A reporter sees the accounts of its own municipality and invites reporters to it."""
    if role != Role.REPORTER or not user.municipality_key:
        return False
    if isinstance(target, User):
        return target.role == Role.REPORTER and target.municipality_key == user.municipality_key
    return _region_of(target) == user.municipality_key


def _participation_rule(user: User, role: Role, target: Any) -> bool:
    """Participation of a municipality or region: a reviewer for a region within its own,
    a reporter for its own municipality only."""
    region = _region_of(target)
    if role == Role.REVIEWER:
        return in_scope(user.scope, region)
    if role == Role.REPORTER:
        return bool(user.municipality_key) and region == user.municipality_key
    return False


def _cycle_manage_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer manages cycles whose every region lies within its own."""
    if role != Role.REVIEWER:
        return False
    prefixes = getattr(target, "prefixes", None)
    if prefixes is None:
        prefixes = [target] if isinstance(target, str) else []
    return bool(prefixes) and all(in_scope(user.scope, p) for p in prefixes)


def _synergy_judge_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer judges a suggestion when its region covers at least one side."""
    if role != Role.REVIEWER:
        return False
    keys = getattr(target, "municipality_keys", None)
    if keys is None:
        keys = [_region_of(target)]
    return any(in_scope(user.scope, key) for key in keys)


def _published_in_region_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer acts on published practices of its region (a report target must have a
    published revision: drafts, submitted and returned reports never enter, not even for
    the operator, who may act everywhere)."""
    if isinstance(target, Report) and target.published_revision_id is None:
        return False
    if role == Role.ADMIN:
        return True
    return role == Role.REVIEWER and in_scope(user.scope, _region_of(target))


def _peer_comment_rule(user: User, role: Role, target: Any) -> bool:
    """Reporters of a municipality invited to the peer review, nobody else."""
    if role != Role.REPORTER or not user.municipality_key:
        return False
    return user.municipality_key in getattr(target, "invited_keys", ())


def _compare_participation_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer sees who has not reported in its own region (target: a key or prefix)."""
    return role == Role.REVIEWER and in_scope(user.scope, _region_of(target))


def _synthesis_manage_rule(user: User, role: Role, target: Any) -> bool:
    """A reviewer manages the synthesis of a region within its own (never Germany's, ''),
    whether the target is the region's prefix or a draft or version of it."""
    region = target if isinstance(target, str) else getattr(target, "region", None)
    return role == Role.REVIEWER and in_scope(user.scope, region)


@dataclass(frozen=True)
class ReportCondition:
    """A condition on a report for a given user, in Python for one record (``holds``) and
    as SQL over :class:`Report` rows (``where``). Both sides are written next to each other,
    and tests hold them equal."""

    holds: Callable[[Any, Any], bool]
    where: Callable[[Any], ColumnElement[bool]]

    def __and__(self, other: ReportCondition) -> ReportCondition:
        return ReportCondition(
            lambda user, target: self.holds(user, target) and other.holds(user, target),
            lambda user: and_(self.where(user), other.where(user)),
        )


#: Any report.
ANY_REPORT = ReportCondition(lambda user, target: True, lambda user: true())
#: A report of the user's own municipality.
OWN_MUNICIPALITY = ReportCondition(
    lambda user, target: user.municipality_key == _region_of(target),
    lambda user: Report.municipality_key == user.municipality_key,
)
#: A report of the user's region (a reviewer's AGS prefix).
IN_REGION = ReportCondition(
    lambda user, target: in_scope(user.scope, _region_of(target)),
    lambda user: (
        Report.municipality_key.startswith(user.scope, autoescape=True)
        if user.scope is not None
        else false()
    ),
)
#: Something was submitted: the report has a revision (a draft has none).
SUBMITTED = ReportCondition(
    lambda user, target: getattr(target, "revision_count", 0) > 0,
    lambda user: Report.revision_count > 0,
)
#: Not a report known to be a draft. Reviewing a draft would tell the reviewer that it
#: exists and what state it is in; a target that is no report (a key) passes.
NOT_A_DRAFT = ReportCondition(
    lambda user, target: getattr(target, "revision_count", 1) > 0,
    lambda user: Report.revision_count > 0,
)
#: The report has a published (accepted) revision.
PUBLISHED = ReportCondition(
    lambda user, target: getattr(target, "published_revision_id", None) is not None,
    lambda user: Report.published_revision_id.is_not(None),
)

#: Who may do what to which report, per action and role (a role not listed: no report).
#: Targets may also be a municipality key or, for export, an AGS prefix.
REPORT_RULES: dict[Action, dict[Role, ReportCondition]] = {
    # A report's page and history: its municipality; the region's reviewers (and the
    # operator) once something was submitted: they see revisions, never the working copy.
    Action.REPORT_READ: {
        Role.REPORTER: OWN_MUNICIPALITY,
        Role.REVIEWER: IN_REGION & SUBMITTED,
        Role.ADMIN: SUBMITTED,
    },
    # The draft: its municipality's reporters only, not even the operator.
    Action.REPORT_READ_DRAFT: {Role.REPORTER: OWN_MUNICIPALITY},
    Action.REPORT_EDIT: {Role.REPORTER: OWN_MUNICIPALITY},
    Action.REPORT_SUBMIT: {Role.REPORTER: OWN_MUNICIPALITY},
    # The published revision: everyone logged in.
    Action.REPORT_READ_PUBLISHED: {role: PUBLISHED for role in Role},
    # Published practices (search, practice pages, feeds): a version's report is published.
    Action.PRACTICE_READ: {role: PUBLISHED for role in Role},
    Action.REPORT_REVIEW: {Role.REVIEWER: IN_REGION & NOT_A_DRAFT, Role.ADMIN: NOT_A_DRAFT},
    Action.REPORT_EXPORT: {Role.REVIEWER: IN_REGION, Role.ADMIN: ANY_REPORT},
}

#: The actions that let a user see a report at all: what a list of reports may show.
REPORT_SEE_ACTIONS = (Action.REPORT_READ_DRAFT, Action.REPORT_READ, Action.REPORT_READ_PUBLISHED)


def report_filter(user: Any, action: Action | None = None) -> ColumnElement[bool]:
    """The reports ``user`` may do ``action`` to, as a SQL condition over :class:`Report`
    rows: the same rules as ``can(user, action, report)``. Without an action: the reports
    the user may see at all (draft, history or published revision), which lists show."""
    if action is None:
        return or_(*(report_filter(user, a) for a in REPORT_SEE_ACTIONS))
    if action not in REPORT_RULES:
        raise ValueError(f"{action} is not an action on reports")
    if user is SYSTEM:
        return true()
    role = _role(user)
    if role is None or action not in ROLE_ACTIONS[role]:
        return false()
    condition = REPORT_RULES[action].get(role)
    return condition.where(user) if condition is not None else false()


#: Actions whose target rule the operator is held to as well (published material only).
_ADMIN_CHECKED = frozenset({Action.PRACTICE_VALIDATE, Action.PEER_REVIEW_MANAGE})

_TARGET_RULES: dict[Action, Callable[[User, Role, Any], bool]] = {
    Action.USERS_MANAGE: _user_rule,
    Action.ACCOUNT_COLLEAGUES: _colleagues_rule,
    Action.CYCLE_MANAGE: _cycle_manage_rule,
    Action.PARTICIPATION_READ: _participation_rule,
    Action.SYNERGY_JUDGE: _synergy_judge_rule,
    Action.PRACTICE_VALIDATE: _published_in_region_rule,
    Action.PEER_REVIEW_MANAGE: _published_in_region_rule,
    Action.PEER_REVIEW_COMMENT: _peer_comment_rule,
    Action.COMPARE_PARTICIPATION: _compare_participation_rule,
    Action.SYNTHESIS_MANAGE: _synthesis_manage_rule,
}


# --- request integration ----------------------------------------------------------------


def actor() -> Any:
    """The user acting in this request: the API token's user, else the session's user."""
    if has_request_context():
        if g.get("api_request"):
            return g.get("api_user")  # None: anonymous; the API never uses the session
        return current_user._get_current_object()
    return None


def authorize(action: Action, target: Any = None, user: Any = None) -> None:
    """Raise Forbidden (or Unauthenticated) unless the user may do ``action`` on ``target``."""
    user = actor() if user is None else user
    if has_request_context():
        g.policy_asked = True
    if can(user, action, target):
        return
    describe = _describe(target)
    log.warning(
        "denied: user=%s action=%s target=%s path=%s",
        getattr(user, "id", "anonymous"),
        action.value,
        describe,
        request.path if has_request_context() else "-",
    )
    if _role(user) is None:
        raise Unauthenticated("Bitte melden Sie sich an.")
    raise Forbidden("Sie haben keine Berechtigung für diese Aktion.")


def authorize_or_404(action: Action, target: Any, user: Any = None) -> None:
    """Like :func:`authorize`, but a logged-in user who may not see the record gets NotFound,
    so that its existence (an unpublished report, a draft) is not revealed."""
    from omk.errors import NotFound

    try:
        authorize(action, target, user)
    except Forbidden as exc:
        raise NotFound("Die Seite oder der Datensatz wurde nicht gefunden.") from exc


def _describe(target: Any) -> str:
    if target is None:
        return "-"
    if isinstance(target, str):
        return target
    return f"{type(target).__name__}:{getattr(target, 'id', getattr(target, 'key', '?'))}"


def permission(action: Action, *, per_object: bool = False) -> Callable[[F], F]:
    """Declare a route's action. With ``per_object`` the view must call :func:`authorize`
    with the record it serves; the route-level check then only asks whether the role may
    ever do the action."""

    def decorate(view: F) -> F:
        view.omk_permission = (action, per_object)  # type: ignore[attr-defined]  # marks the view
        return view

    return decorate


def declared_permission(app: Flask, endpoint: str) -> tuple[Action, bool] | None:
    """The (action, per_object) declared by the view behind ``endpoint``, if any."""
    view = app.view_functions.get(endpoint)
    result: tuple[Action, bool] | None = getattr(view, "omk_permission", None)
    return result


def wrap_public(view: F) -> F:
    """Declare a third-party view (such as ``static``) public without editing it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    wrapper.omk_permission = (Action.PUBLIC, False)  # type: ignore[attr-defined]  # marks the view
    return wrapper  # type: ignore[return-value]  # wraps keeps the signature of F


def install(app: Flask) -> None:
    """Check each route's declared action before its view runs; audit in tests."""
    if "static" in app.view_functions:
        app.view_functions["static"] = wrap_public(app.view_functions["static"])

    @app.before_request
    def check_route_permission() -> None:
        g.policy_asked = False
        if request.endpoint is None:  # 404/405: the error handler answers
            return
        declared = declared_permission(app, request.endpoint)
        if declared is None:
            log.error("route %s declares no permission", request.endpoint)
            raise Forbidden("Diese Seite hat keine Berechtigungsregel.")
        action, per_object = declared
        g.route_action = action
        if action == Action.PUBLIC:
            return
        user = actor()
        if not can(user, action):
            authorize(action, user=user)  # raises, and logs the denial
        if not per_object:
            g.policy_asked = True

    if app.config.get("POLICY_AUDIT"):

        @app.after_request
        def audit_policy_asked(response: Response) -> Response:
            action = g.get("route_action")
            if (
                action is not None
                and action != Action.PUBLIC
                and response.status_code < 400  # a redirect after a write is a success too
                and not g.get("policy_asked")
            ):
                raise AssertionError(
                    f"{request.method} {request.path} succeeded without asking the policy"
                )
            return response
