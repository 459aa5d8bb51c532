"""The small world the security tests act in: one account per matrix role, and records that
belong to municipality A, B, C or D (or to region 05 or 06), whose ids fill the URLs.

A is Essen (05113000), B Köln (05315000, same Land 05), C Alheim (06632001, Land 06), D Aachen
(05334002, Land 05, no matrix role of its own), E Flensburg (01001000, no report, no
reporter). In cycle 2025 A's report is a draft, B's was returned with a comment, C's was
returned with a comment and then accepted (revision 2 is published), D's is submitted. The
region's reviewer has opened a peer review of C's practice and invited A ("review:C").

Every record is a :class:`Target`: a label (what the expectation table speaks of) and values
for URL parameters. A route gets every target that has values for all its parameters; a new
route whose parameters no target covers fails ``test_inventory`` until a record is added here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Integer, select
from werkzeug.routing import Rule

from omk.extensions import Base, db
from omk.models.accounts import User
from omk.models.reporting import Practice, ReviewComment
from omk.services import accounts, following, reports
from omk.synergies import peer_review
from tests import factories
from tests.conftest import PASSWORD, SAMPLE_REGISTER

A, B, C, D = "05113000", "05315000", "06632001", "05334002"
E = "01001000"  # Flensburg: covered by cycle 2025, no report, nobody reports for it
F = "05334004"  # Alsdorf: Land 05, no report, nobody reports for it (a first reporter may come)
MUNICIPALITIES = {"A": A, "B": B, "C": C, "D": D}

#: The roles of the matrix (SECURITY.md A), in the order requests are made.
ROLES = (
    "anonymous",
    "reporter_a",
    "reporter_b",
    "reporter_c",
    "reviewer_05",
    "reviewer_06",
    "staff",
    "admin",
)
ACCOUNT_ROLES = ROLES[1:]

#: Accounts of the world: the acting roles, plus accounts that are only ever targets.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "reporter_a": {"role": "reporter", "municipality": A},
    "reporter_b": {"role": "reporter", "municipality": B},
    "reporter_c": {"role": "reporter", "municipality": C},
    "reviewer_05": {"role": "reviewer", "scope": "05"},
    "reviewer_06": {"role": "reviewer", "scope": "06"},
    "staff": {"role": "staff"},
    "admin": {"role": "admin"},
    # Targets only: D's reporter, a reader tied to A, an invited reporter of A (no password),
    # a peer of reviewer_05 (same region) and a reviewer of a narrower region (RB Köln).
    "reporter_d": {"role": "reporter", "municipality": D},
    "staff_a": {"role": "staff", "municipality": A},
    "invitee_a": {"role": "reporter", "municipality": A, "invited": True},
    "reviewer_05_peer": {"role": "reviewer", "scope": "05"},
    "reviewer_053": {"role": "reviewer", "scope": "053"},
}

#: The reports of cycle 2025: (reporting account, state, reviewer who decided).
REPORTS = {
    "A": ("reporter_a", "draft", None),
    "B": ("reporter_b", "returned", "reviewer_05"),
    "C": ("reporter_c", "accepted", "reviewer_06"),
    "D": ("reporter_d", "submitted", None),
}
#: Unsubmitted text, and the only account that may ever see it: A's draft, and what B's
#: reporter wrote after the return (reviewers see revision 1, never the working copy).
DRAFT_MARKERS = {"ENTWURF-A-4711": "reporter_a", "UEBERARBEITUNG-B-4712": "reporter_b"}
#: Unpublished text of synthesis drafts, and who may see it: the region's reviewers and the
#: operator. Region 05 published version 1 before the marker was written; 06 never published.
SYNTHESIS_DRAFT_MARKERS = {
    "SYNTHESE-ENTWURF-05-4714": frozenset({"reviewer_05", "admin"}),
    "SYNTHESE-ENTWURF-06-4715": frozenset({"reviewer_06", "admin"}),
}

MISSING = "missing"  # a record that does not exist
MIXED = "mixed"  # a real sub-record (practice, comment) under another report's URL
#: Parameters that are ids of their own, so another report's value must not work.
MIXABLE = ("practice_id", "comment_id")
#: Values that exist nowhere, by converter, for the "missing" probe.
MISSING_VALUES = {"int": 987_654, "default": "fehlt-0000", "string": "fehlt-0000"}


@dataclass(frozen=True)
class Target:
    """A record: its label in the expectation table, and its values for URL parameters."""

    label: str
    values: dict[str, Any]


@dataclass
class World:
    """Accounts, their API tokens and records, and how to act as each role."""

    app: Flask
    user_ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    api_tokens: dict[str, str] = field(default_factory=dict)  # raw bearer token by owner
    token_ids: dict[str, int] = field(default_factory=dict)  # API token row id by owner
    targets: list[Target] = field(default_factory=list)

    def user(self, name: str) -> User:
        user = db.session.get(User, self.user_ids[name])
        assert user is not None
        return user

    def client(self, role: str) -> FlaskClient:
        """A fresh browser: anonymous, or with a new server-side session of ``role``."""
        client = self.app.test_client()
        if role != "anonymous":
            token = accounts.start_session(self.user(role))
            with client.session_transaction() as session:
                session["_user_id"] = token
                session["_fresh"] = True
        return client

    def headers(self, role: str, path: str) -> dict[str, str]:
        """API requests authenticate by bearer token (the API ignores cookies)."""
        if role == "anonymous" or not path.startswith("/api/"):
            return {}
        return {"Authorization": f"Bearer {self.api_tokens[role]}"}

    def values_of(self, name: str) -> dict[Any, str]:
        """Every value of one URL parameter in the world, with the label of its record."""
        return {t.values[name]: t.label for t in self.targets if t.values.get(name) is not None}

    def parameter_names(self) -> set[str]:
        return {name for t in self.targets for name, v in t.values.items() if v is not None}


def build_world(app: Flask) -> World:
    """Load the register sample, create the accounts, an API token for each acting role,
    cycles and reports."""
    from omk.services.register_import import import_register

    import_register(SAMPLE_REGISTER)
    world = World(app=app)
    for name, spec in ACCOUNTS.items():
        user = accounts.create_user(
            None,
            f"{name.replace('_', '.')}@example.org",
            spec["role"],
            # An invited account has no password until it follows its link.
            password=None if spec.get("invited") else PASSWORD,
            municipality_key=spec.get("municipality"),
            scope=spec.get("scope"),
        )
        world.user_ids[name] = user.id
        world.emails[name] = user.email
        world.targets.append(Target(name, {"user_id": user.id}))
    for name in ACCOUNT_ROLES:
        world.api_tokens[name] = accounts.create_token(None, world.user(name), f"matrix {name}")
        world.token_ids[name] = accounts.tokens_of(world.user(name))[0].id
        world.targets.append(Target(f"token:{name}", {"token_id": world.token_ids[name]}))
    for name in ACCOUNT_ROLES:  # everyone follows a topic; saved searches are personal
        saved = following.save(world.user(name), f"Sprachcafé {name}", "q=Sprachcafé")
        world.targets.append(Target(f"search:{name}", {"search_id": saved.id}))
    feed = following.create_feed_token(world.user("staff"), following.mine(world.user("staff"))[0])
    world.targets.append(Target("feed:staff", {"feed_token": feed}))
    link = accounts.password_link_token(world.user("invitee_a"))
    world.targets.append(Target("link:invitee_a", {"token": link}))
    slug = next(iter(app.extensions["omk_content"].help_pages))
    world.targets.append(Target("help", {"slug": slug}))
    _build_reports(world)
    _build_syntheses(world)
    db.session.rollback()
    return world


def _build_syntheses(world: World) -> None:
    """Cycle 2025's syntheses: region 05 published version 1 and then wrote on in its draft;
    region 06 has a draft only; Germany ('de' in URLs, the operator's) has nothing yet."""
    from omk.services import synthesis

    reviewer_05, reviewer_06 = world.user("reviewer_05"), world.user("reviewer_06")
    draft = synthesis.generate(reviewer_05, "2025", "05")
    draft = synthesis.save_texts(
        reviewer_05,
        "2025",
        "05",
        introduction="Veröffentlichte Einleitung",
        comments={},
        names_shown=False,
        edit_version=draft.edit_version,
    )
    synthesis.publish(reviewer_05, "2025", "05", edit_version=draft.edit_version)
    for user, region, marker in (
        (reviewer_05, "05", "SYNTHESE-ENTWURF-05-4714"),
        (reviewer_06, "06", "SYNTHESE-ENTWURF-06-4715"),
    ):
        if region == "06":
            synthesis.generate(user, "2025", region)
        current = synthesis.find_draft(user, "2025", region)[1]
        assert current is not None
        synthesis.save_texts(
            user,
            "2025",
            region,
            introduction=marker,
            comments={},
            names_shown=False,
            edit_version=current.edit_version,
        )
        db.session.rollback()
    for label, region in (("synth:05", "05"), ("synth:06", "06"), ("synth:de", "de")):
        world.targets.append(Target(label, {"cycle": "2025", "region": region}))


def _build_reports(world: World) -> None:
    """Two cycles (all Länder; Land 05 only) and the four reports of cycle 2025."""
    factories.make_cycle("2025")
    factories.make_cycle("2025-05", regions=["05"])
    world.targets += [
        Target("cycle:all", {"code": "2025"}),
        Target("cycle:05", {"code": "2025-05"}),
    ]
    world.targets.append(Target("E", {"key": E, "ags": E, "cycle": "2025"}))
    for label, key in MUNICIPALITIES.items():
        owner, state, reviewer = REPORTS[label]
        title = "Maßnahme ENTWURF-A-4711" if label == "A" else f"Maßnahme {label}"
        doc = factories.document(key, "2025", practices=[factories.practice(title)])
        report, _ = reports.import_document(world.user(owner), doc)
        if state != "draft":
            reports.submit(world.user(owner), report)
        if state == "returned":
            assert reviewer
            reports.return_report(world.user(reviewer), report, [("report", "Bitte ergänzen.")])
            revised = factories.document(key, "2025", practices=doc["practices"])
            revised["practices"] = [
                *doc["practices"],
                factories.practice("Überarbeitung UEBERARBEITUNG-B-4712"),
            ]
            reports.save_document(world.user(owner), report, revised, edit_version=None)
        if state == "accepted":  # after a round trip, so that C has a comment too
            assert reviewer
            reports.return_report(world.user(reviewer), report, [("report", "Bitte prüfen.")])
            reports.submit(world.user(owner), report)
            reports.accept(world.user(reviewer), report)
        db.session.rollback()
        comment_id = db.session.scalar(
            select(ReviewComment.id).where(ReviewComment.report_id == report.id)
        )
        practice_uuid = db.session.scalar(
            select(Practice.uuid).where(Practice.report_id == report.id).limit(1)
        )
        if label == "C":  # a peer review of C's published practice (region 06), A invited
            review = peer_review.open_review(world.user("reviewer_06"), practice_uuid, [A])
            world.targets.append(Target("review:C", {"review_id": review.id}))
        world.targets.append(Target(label, {"key": key, "ags": key}))  # the register entry
        world.targets.append(
            Target(
                label,
                {
                    "cycle": "2025",
                    "ags": key,
                    "practice_id": practice_uuid,
                    "comment_id": comment_id,
                    "number": 1,
                },
            )
        )


def rule_parameters(rule: Rule) -> list[tuple[str, str]]:
    """(name, converter) of a rule's parameters, in the order they appear in the path."""
    found = re.findall(
        r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>", rule.rule
    )
    return [(name, converter or "default") for converter, name in found]


@dataclass(frozen=True)
class Probe:
    """One concrete URL of a rule: the label of its record ('-': none, 'missing', 'mixed'),
    and for 'missing' and 'mixed' the record whose URL was altered."""

    label: str
    values: dict[str, Any]
    base: str = "-"


def targets_for(world: World, rule: Rule) -> list[Target]:
    """The world's records that fill every parameter of the rule (each once)."""
    names = [name for name, _ in rule_parameters(rule)]
    found: dict[tuple[str, tuple[Any, ...]], Target] = {}
    for t in world.targets:
        if all(t.values.get(n) is not None for n in names):
            values = {n: t.values[n] for n in names}
            found.setdefault((t.label, tuple(values.values())), Target(t.label, values))
    return list(found.values())


def probes(world: World, rule: Rule) -> Iterator[Probe]:
    """Every record that fits the rule; per parameter a value that exists nowhere; and for
    ids of sub-records (practices, comments) another report's id under this report's URL."""
    params = rule_parameters(rule)
    if not params:
        yield Probe("-", {})
        return
    targets = targets_for(world, rule)
    for t in targets:
        yield Probe(t.label, t.values)
    first = targets[0] if targets else Target(MISSING, {n: "fehlt-0000" for n, _ in params})
    for name, converter in params:
        missing = MISSING_VALUES.get(converter, "fehlt-0000")
        yield Probe(MISSING, {**first.values, name: missing}, first.label)
    for name in (n for n, _ in params if n in MIXABLE):
        for t in targets:
            other = next((o for o in targets if o.values[name] != t.values[name]), None)
            if other is not None:
                yield Probe(MIXED, {**t.values, name: other.values[name]}, t.label)


def state_methods(rule: Rule) -> list[str]:
    """The methods of a rule worth testing (HEAD and OPTIONS are Flask's own)."""
    return sorted(m for m in (rule.methods or set()) if m not in {"HEAD", "OPTIONS"})


def routes(app: Flask) -> list[Rule]:
    """Every rule but static files, sorted by endpoint."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
        key=lambda r: (r.endpoint, r.rule),
    )


# --- the database, byte for byte ----------------------------------------------------------


def table_digests() -> dict[str, str]:
    """A digest of every row of every table (in primary-key order), read on a fresh
    connection so that no transaction of the test's session hides a change."""
    digests: dict[str, str] = {}
    with db.engine.connect() as conn:
        for name, sql in _dump_statements(db.engine.dialect.name):
            rows = [tuple(row) for row in conn.exec_driver_sql(sql)]  # a Row's repr is slow
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        conn.rollback()
    return digests


@cache
def _dump_statements(dialect: str) -> list[tuple[str, str]]:
    """One plain SELECT per table, ordered by its primary key (raw SQL: fast, no type
    conversion, so the digest sees what is stored)."""
    statements = []
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        columns = ", ".join(f'"{c.name}"' for c in order)
        statements.append((table.name, f'SELECT * FROM "{table.name}" ORDER BY {columns}'))
    return statements


class TableWatch:
    """The digests of every table, recomputed only when the database may have changed: a
    cheap change marker (SQLite's data_version, PostgreSQL's WAL position) is read first."""

    def __init__(self) -> None:
        self.conn = db.engine.connect()
        self.marker: Any = None
        self.digests: dict[str, str] = {}

    def _marker(self) -> Any:
        sql = (
            "PRAGMA data_version"
            if db.engine.dialect.name == "sqlite"
            else "SELECT pg_current_wal_insert_lsn()"
        )
        value = self.conn.exec_driver_sql(sql).scalar()
        self.conn.rollback()
        return value

    def snapshot(self) -> dict[str, str]:
        marker = self._marker()
        if marker != self.marker or not self.digests:
            self.digests = table_digests()
            self.marker = self._marker()
        return self.digests

    def close(self) -> None:
        self.conn.close()


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


# --- the world, built once per run ------------------------------------------------------------


def dump_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to rebuild the world in the next test's empty database."""
    with db.engine.connect() as conn:
        rows = {
            t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
            for t in Base.metadata.sorted_tables
        }
        conn.rollback()
    return rows


def _deferred_columns(table: Any) -> list[str]:
    """Columns of foreign keys that close a cycle (``use_alter``): set after all inserts."""
    return [c.parent.name for c in table.foreign_keys if c.use_alter or c.constraint.use_alter]


def restore_rows(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Replace the content of every table with ``rows`` (ids included)."""
    tables = Base.metadata.sorted_tables
    with db.engine.begin() as conn:
        for table in tables:
            deferred = _deferred_columns(table)
            if deferred:
                conn.execute(table.update().values({c: None for c in deferred}))
        for table in reversed(tables):
            conn.execute(table.delete())
        for table in tables:
            deferred = _deferred_columns(table)
            if rows[table.name]:
                conn.execute(
                    table.insert(),
                    [{**r, **{c: None for c in deferred}} for r in rows[table.name]],
                )
        for table in tables:
            deferred = _deferred_columns(table)
            key = list(table.primary_key.columns)
            for r in rows[table.name]:
                if deferred and any(r[c] is not None for c in deferred):
                    condition = [k == r[k.name] for k in key]
                    conn.execute(
                        table.update().where(*condition).values({c: r[c] for c in deferred})
                    )
        if conn.dialect.name == "postgresql":
            for table in tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer):
                    name, column = table.name, pk[0].name
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), "
                        f'COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) + 1, false)'
                    )
