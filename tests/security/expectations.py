"""The one table of who may succeed on which route: endpoint → declared action and the
(role, record) pairs that are allowed. Everything not allowed must be denied (403/404, for
anonymous a login redirect or 401), never a success.

Derived from DOMAIN.md and ``omk.policy``; written out by hand on purpose, so that a change
of the policy or of a route's declaration shows up here as a failing test. Every endpoint of
the app must be listed (``test_inventory``); an endpoint that is not yet listed is still
tested by the matrix with :func:`default_for`, which only knows the route-level rule.

Record labels are those of ``tests/security/world.py``: account names for ``user_id``,
``token:<owner>`` for ``token_id``, ``A``–``E`` for municipalities and their reports in cycle
2025 (A draft, B returned with a comment, C accepted after a return, D submitted, E none),
``cycle:all`` and ``cycle:05`` for cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omk.models.accounts import Role
from omk.policy import ROLE_ACTIONS, Action
from tests.security.world import ACCOUNT_ROLES, ACCOUNTS, MISSING, MIXED, ROLES, A, C, E, F

ANY = "*"


@dataclass(frozen=True)
class Expect:
    """A route's declaration and who may succeed on it.

    ``roles``: roles allowed on every record; ``records``: role → labels of the records that
    role is allowed on (for routes with a per-object check).
    """

    action: Action
    per_object: bool = False
    roles: frozenset[str] = frozenset()
    records: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Roles whose outcome is not asserted (only for routes missing from the table).
    unknown: frozenset[str] = frozenset()

    def outcome(self, role: str, label: str, base: str = "-") -> str:
        """'allow', 'deny' or 'any' for ``role`` on the record labelled ``label``
        ('-': the route has no record in its URL).

        A record that does not exist ('missing'), or another report's sub-record under this
        report's URL ('mixed'), is denied to everyone who may not use the altered record
        (``base``); its users may get a 404 or a harmless no-op (the cross-tenant test
        checks that nothing changes)."""
        if label in (MISSING, MIXED):
            return "any" if self.outcome(role, base) == "allow" else "deny"
        if role in self.roles:
            return "allow"
        labels = self.records.get(role, frozenset())
        if ANY in labels or label in labels:
            return "allow"
        return "any" if role in self.unknown else "deny"


def public() -> Expect:
    return Expect(Action.PUBLIC, roles=frozenset(ROLES))


def only(action: Action, *roles: str) -> Expect:
    return Expect(action, roles=frozenset(roles))


def per_record(action: Action, **records: set[str] | str) -> Expect:
    """A per-object route: each role may act on the records listed for it, nothing else."""
    return Expect(
        action,
        per_object=True,
        records={
            role: frozenset({labels} if isinstance(labels, str) else labels)
            for role, labels in records.items()
        },
    )


def _set(labels: set[str] | str) -> set[str]:
    return {labels} if isinstance(labels, str) else set(labels)


ACCOUNTS_ONLY = ACCOUNT_ROLES
USER_MANAGERS = ("reviewer_05", "reviewer_06", "admin")
CYCLE_MANAGERS = USER_MANAGERS
REPORTERS = ("reporter_a", "reporter_b", "reporter_c")

#: Accounts a reviewer of 05 manages: reporters and readers tied to a municipality of 05, and
#: reviewers of a narrower region (never a peer of the same region, nor a wider one).
REGION_05_ACCOUNTS = {
    "reporter_a",
    "reporter_b",
    "reporter_d",
    "staff_a",
    "invitee_a",
    "reviewer_053",
}
REGION_06_ACCOUNTS = {"reporter_c"}

# --- who may invite, change and deactivate whom (tests/security/test_account_matrix.py) -------

#: Accounts an invitation may ask for: label → (role, municipality, scope). F (Alsdorf, 05)
#: and E (Flensburg, 01) have no reporter yet; A and C have.
CANDIDATES: dict[str, tuple[str, str | None, str | None]] = {
    "reporter:A": ("reporter", A, None),
    "reporter:C": ("reporter", C, None),
    "reporter:E": ("reporter", E, None),
    "reporter:F": ("reporter", F, None),
    "staff:A": ("staff", A, None),
    "staff:-": ("staff", None, None),
    "reviewer:05": ("reviewer", None, "05"),
    "reviewer:053": ("reviewer", None, "053"),
    "reviewer:06": ("reviewer", None, "06"),
    "admin:-": ("admin", None, None),
}
#: Who may invite which account. A reviewer invites only the FIRST reporter of a
#: municipality of its region, readers tied to one, and reviewers of a narrower region; a
#: reporter invites reporters of its own municipality only; the operator anybody.
INVITES: dict[str, set[str]] = {
    "anonymous": set(),
    "reporter_a": {"reporter:A"},
    "reporter_b": set(),
    "reporter_c": {"reporter:C"},
    "reviewer_05": {"reporter:F", "staff:A", "reviewer:053"},
    "reviewer_06": set(),
    "staff": set(),
    "admin": set(CANDIDATES),
}
#: Whom each role may change (name, role, region; a reviewer: a narrower region): the
#: accounts whose page it may open.
CHANGES: dict[str, set[str]] = {
    "reviewer_05": REGION_05_ACCOUNTS,
    "reviewer_06": REGION_06_ACCOUNTS,
    "admin": set(ACCOUNTS),
}
#: Whom each role may deactivate: as above, but a reviewer never takes the last active
#: reporter from a municipality (B, C, D have one; A has two) – it could then invite a
#: "first" reporter of its own.
DEACTIVATES: dict[str, set[str]] = {
    "reviewer_05": REGION_05_ACCOUNTS - {"reporter_b", "reporter_d"},
    "reviewer_06": set(),
    "admin": set(ACCOUNTS),
}

#: Drafts and everything about them: the municipality's own reporters only (not even admins).
OWN: dict[str, set[str] | str] = {"reporter_a": "A", "reporter_b": "B", "reporter_c": "C"}
#: Reviewing: the region's reviewers (and the operator) once a revision exists.
REVIEWERS: dict[str, set[str] | str] = {
    "reviewer_05": {"B", "D"},
    "reviewer_06": "C",
    "admin": {"B", "C", "D"},
}
#: A report's history and revisions: its municipality, and its reviewers once submitted.
HISTORY: dict[str, set[str] | str] = {**OWN, **REVIEWERS}
#: Revision pages need a revision: A (a draft) has none, even for its own reporter.
REVISIONS: dict[str, set[str] | str] = {**HISTORY, "reporter_a": set()}
#: A report's page (the published one for everybody else): C is published.
PAGE: dict[str, set[str] | str] = {
    **{role: "C" for role in ACCOUNT_ROLES},
    **{role: {*labels, "C"} for role, labels in ((r, _set(v)) for r, v in HISTORY.items())},
}

#: Synthesis drafts: the region's reviewers; the operator everywhere, Germany included.
SYNTHESIS_MANAGERS: dict[str, set[str] | str] = {
    "reviewer_05": "synth:05",
    "reviewer_06": "synth:06",
    "admin": {"synth:05", "synth:06", "synth:de"},
}

EXPECTED: dict[str, Expect] = {
    # Public pages and forms.
    "main.index": public(),
    "main.favicon": public(),
    "main.help_index": public(),
    "main.help_page": public(),
    "main.language": public(),
    "main.taxonomy": public(),
    "main.indicators": public(),
    "auth.login": public(),
    "auth.forgot": public(),
    "auth.set_password": public(),  # the e-mailed link is the credential
    "municipalities.index": public(),
    "municipalities.detail": public(),
    "health.healthz": public(),
    "api.list_municipalities": public(),
    "api.get_municipality": public(),
    "api.openapi_json": public(),
    "api.docs": public(),
    # One's own account.
    "auth.logout": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.index": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.password": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "account.create_token": only(Action.ACCOUNT_TOKENS, *ACCOUNTS_ONLY),
    # A reporter's colleagues: its own municipality's accounts, and inviting reporters to it.
    "account.colleagues": Expect(
        Action.ACCOUNT_COLLEAGUES, per_object=True, roles=frozenset(REPORTERS)
    ),
    "account.invite_colleague": Expect(
        Action.ACCOUNT_COLLEAGUES, per_object=True, roles=frozenset(REPORTERS)
    ),
    "api.me": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    # Own tokens only; the operator may revoke anyone's. (The service answers 404.)
    "account.revoke_token": Expect(
        Action.ACCOUNT_TOKENS,
        records={
            **{role: frozenset({f"token:{role}"}) for role in ACCOUNT_ROLES},
            "admin": frozenset({ANY}),
        },
    ),
    # Account management: the operator everywhere, reviewers in their region only.
    "users.index": only(Action.USERS_MANAGE, *USER_MANAGERS),
    "users.invite": only(Action.USERS_MANAGE, *USER_MANAGERS),
    "users.edit": per_record(
        Action.USERS_MANAGE,
        admin=ANY,
        reviewer_05=REGION_05_ACCOUNTS,
        reviewer_06=REGION_06_ACCOUNTS,
    ),
    "users.resend": per_record(
        Action.USERS_MANAGE,
        admin=ANY,
        reviewer_05=REGION_05_ACCOUNTS,
        reviewer_06=REGION_06_ACCOUNTS,
    ),
    # Reporting cycles: everybody reads them; reviewers manage those within their region.
    "cycles.index": only(Action.CYCLE_READ, *ACCOUNTS_ONLY),
    "cycles.detail": per_record(
        Action.CYCLE_READ, **{role: {"cycle:all", "cycle:05"} for role in ACCOUNTS_ONLY}
    ),
    "cycles.create": only(Action.CYCLE_MANAGE, *CYCLE_MANAGERS),
    "cycles.edit": per_record(Action.CYCLE_MANAGE, admin=ANY, reviewer_05="cycle:05"),
    # The reviewer's tools on a cycle (its own part of it): CSV of the standings, reminders.
    "cycles.standings_csv": per_record(
        Action.REPORT_REVIEW, **{r: {"cycle:all", "cycle:05"} for r in CYCLE_MANAGERS}
    ),
    "cycles.remind": per_record(
        Action.REPORT_REVIEW, **{r: {"cycle:all", "cycle:05"} for r in CYCLE_MANAGERS}
    ),
    # Reports, HTML.
    "reports.index": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "reports.detail": per_record(Action.LOGGED_IN, **PAGE),
    "reports.published": per_record(
        Action.REPORT_READ_PUBLISHED, **{role: "C" for role in ACCOUNTS_ONLY}
    ),
    "publication.pdf": per_record(
        Action.REPORT_READ_PUBLISHED, **{role: "C" for role in ACCOUNTS_ONLY}
    ),
    "reports.start": per_record(Action.REPORT_EDIT, **OWN),
    "reports.indicators": per_record(Action.REPORT_EDIT, **OWN),
    "reports.practice": per_record(Action.REPORT_EDIT, **OWN),
    "reports.delete_practice": per_record(Action.REPORT_EDIT, **OWN),
    "reports.move_practice": per_record(Action.REPORT_EDIT, **OWN),
    "reports.carry_forward": per_record(Action.REPORT_EDIT, **OWN),
    "reports.submit": per_record(Action.REPORT_SUBMIT, **OWN),
    "reports.reply": per_record(Action.REPORT_EDIT, reporter_b="B", reporter_c="C"),  # comments
    "reports.review": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "reports.return_report": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "reports.accept": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "reports.reopen": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "reports.revision": per_record(Action.REPORT_READ, **REVISIONS),
    "reports.diff": per_record(Action.REPORT_READ, **REVISIONS),
    # Workbooks and uploads: the draft is the municipality's own; the blank workbook of a
    # cycle is for every reporter the cycle covers (cycle 2025 covers all of them).
    "report_files.blank_workbook": Expect(
        Action.REPORT_EDIT, per_object=True, roles=frozenset(REPORTERS)
    ),
    "report_files.draft_workbook": per_record(Action.REPORT_READ_DRAFT, **OWN),
    "report_files.upload": per_record(Action.REPORT_EDIT, **OWN),
    # Reports, API (bearer tokens).
    "api.list_reports": only(Action.LOGGED_IN, *ACCOUNTS_ONLY),
    "api.get_report": per_record(Action.LOGGED_IN, **PAGE),
    "api.save_report": Expect(Action.REPORT_EDIT, per_object=True, roles=frozenset(REPORTERS)),
    "api.submit_report": per_record(Action.REPORT_SUBMIT, **OWN),
    "api.return_report": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "api.accept_report": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "api.reopen_report": per_record(Action.REPORT_REVIEW, **REVIEWERS),
    "api.versions": per_record(Action.REPORT_READ, **HISTORY),
    "api.diff": per_record(Action.REPORT_READ, **HISTORY),
    # Published practices: search and practice pages for every account; only C is published.
    "search.index": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "api.search": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "practices.detail": per_record(Action.PRACTICE_READ, **{role: "C" for role in ACCOUNTS_ONLY}),
    # Saved searches are personal: their owner only, not even an admin; feeds are public,
    # their token is the credential.
    "search.save": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "search.saved": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "search.open_saved": per_record(
        Action.PRACTICE_READ, **{role: f"search:{role}" for role in ACCOUNTS_ONLY}
    ),
    "search.create_feed": per_record(
        Action.PRACTICE_READ, **{role: f"search:{role}" for role in ACCOUNTS_ONLY}
    ),
    "search.revoke_feed": per_record(
        Action.PRACTICE_READ, **{role: f"search:{role}" for role in ACCOUNTS_ONLY}
    ),
    "search.delete_saved": per_record(
        Action.PRACTICE_READ, **{role: f"search:{role}" for role in ACCOUNTS_ONLY}
    ),
    "search.feed": public(),
    # Comparison and scoreboard of published figures: every account (participation inside
    # the page is a reviewer's own region only: tests/compare/test_compare_service.py).
    "compare.index": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "compare.download_csv": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "compare.distribution_chart": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "compare.trend_chart": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "compare.names": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "api.compare": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "api.similar_practices": per_record(
        Action.PRACTICE_READ, **{role: "C" for role in ACCOUNTS_ONLY}
    ),
    "api.get_practice": per_record(Action.PRACTICE_READ, **{role: "C" for role in ACCOUNTS_ONLY}),
    # Coverage of published figures: every account; who has not published only shows for the
    # region's reviewers (tests/views/test_coverage.py checks the page and the API).
    "coverage.index": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "coverage.csv": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    "api.get_coverage": only(Action.COMPARE_READ, *ACCOUNTS_ONLY),
    # Synergies and good practices (issue 12): the synergy view of published material for
    # every account; judging, validating and peer reviews in one's region (C is region 06 and
    # the only published report; drafts and submitted reports never enter); answering a peer
    # review only for the invited municipality (A, invited to "review:C"), never the operator.
    "synergies.index": only(Action.SYNERGY_READ, *ACCOUNTS_ONLY),
    "api.list_synergies": only(Action.SYNERGY_READ, *ACCOUNTS_ONLY),
    "synergies.judge": Expect(
        Action.SYNERGY_JUDGE, per_object=True, roles=frozenset(USER_MANAGERS)
    ),  # the suggestion's sides decide: tests/synergies/test_synergy_services.py
    "synergies.adopt": Expect(
        Action.REPORT_EDIT, per_object=True, roles=frozenset(REPORTERS)
    ),  # the own draft, for a confirmed transfer only: tests/synergies/test_adoption.py
    "synergies.candidate_list": Expect(
        Action.PRACTICE_VALIDATE, per_object=True, roles=frozenset(USER_MANAGERS)
    ),  # their own region by default
    "synergies.validate": per_record(Action.PRACTICE_VALIDATE, reviewer_06="C", admin="C"),
    "synergies.open_review": per_record(Action.PEER_REVIEW_MANAGE, reviewer_06="C", admin="C"),
    "synergies.peer_review": per_record(
        Action.PRACTICE_READ, reviewer_06="review:C", admin="review:C", reporter_a="review:C"
    ),
    "synergies.answer": per_record(Action.PEER_REVIEW_COMMENT, reporter_a="review:C"),
    "synergies.synthesis": per_record(
        Action.PEER_REVIEW_MANAGE, reviewer_06="review:C", admin="review:C"
    ),
    "synergies.good_practices": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "synergies.rubric": public(),
    "api.good_practices": only(Action.PRACTICE_READ, *ACCOUNTS_ONLY),
    "api.practice_peer_reviews": per_record(
        Action.PRACTICE_READ, **{role: "C" for role in ACCOUNTS_ONLY}
    ),
    # Synthesis reports (issue 13): published versions for every account (only region 05
    # has one); the draft, generating and publishing for the region's reviewers and the
    # operator, who alone has Germany ("synth:de"). The API's per-record rules are in
    # tests/api/test_synthesis_api.py (its records are in the query string).
    "synthesis.index": only(Action.SYNTHESIS_READ, *ACCOUNTS_ONLY),
    "synthesis.stylesheet": public(),
    **{
        f"synthesis.{name}": per_record(Action.SYNTHESIS_MANAGE, **SYNTHESIS_MANAGERS)
        for name in ("draft", "generate", "publish")
    },
    **{
        f"synthesis.{name}": per_record(
            Action.SYNTHESIS_READ, **{role: "synth:05" for role in ACCOUNTS_ONLY}
        )
        for name in ("published", "pdf", "markdown", "tables", "printable")
    },
    "api.get_synthesis": Expect(
        Action.SYNTHESIS_READ, per_object=True, roles=frozenset(ACCOUNTS_ONLY)
    ),
}


#: Endpoints whose matrix test is expected to fail, with the reason (strict: once the bug
#: is fixed the test passes unexpectedly, and the entry must go).
KNOWN_BUGS: dict[str, str] = {}


def default_for(action: Action, per_object: bool) -> Expect:
    """What the matrix assumes for a route missing from :data:`EXPECTED`: roles that may
    never do the action are denied; the others are only held to "no server error"."""
    if action == Action.PUBLIC:
        return Expect(action, roles=frozenset(ROLES))
    roles = frozenset(
        name for name in ACCOUNT_ROLES if action in ROLE_ACTIONS[Role(ACCOUNTS[name]["role"])]
    )
    if per_object:
        return Expect(action, per_object=True, unknown=roles)
    return Expect(action, roles=roles)
