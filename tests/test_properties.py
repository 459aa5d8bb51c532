"""Property-based tests (hypothesis) over the exchange format and the HTML form parsers.

The classes, not the instances (issue 9): for *any* input, the JSON parser, the document check,
the API import and the practice and indicator forms never give a 500, a refused input never
writes anything (row counts and the working document unchanged), and every refusal names a path
(the field) and a reason. Runs are derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from omk import exchange
from omk.errors import FieldError, ValidationFailed
from omk.extensions import Base, db
from omk.models import Report, User
from omk.services import accounts, reports
from tests import factories
from tests.conftest import login

ESSEN = "05113000"

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNIT = settings(FAST, max_examples=200)

# Tables a request may touch without writing report data (sessions, token use, throttling).
NOT_DATA = {"user_session", "api_token", "login_throttle"}


# --- strategies ----------------------------------------------------------------------------------

LONE_SURROGATES = st.sampled_from(["\ud800", "x\udbffy", "\udc00", "a\ud83d"])
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    LONE_SURROGATES,
    st.just("\x00"),
    st.just("x" * 12_000),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
)
HOSTILE_NUMBER_TEXT = st.one_of(
    st.integers(min_value=19, max_value=4_400).map(lambda n: "9" * n),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1e-400", "-0"]),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def _json_values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=8), inner, max_size=4),
        ),
        max_leaves=12,
    )


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
JSON_VALUES = _json_values(JSON_LEAVES)


def _deep(levels: int) -> str:
    return '{"x": ' * levels + "1" + "}" * levels


# A value spliced into a document as raw JSON text: anything a client could send.
RAW_VALUES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v)),
    HOSTILE_NUMBER_TEXT,
    LONE_SURROGATES.map(lambda s: json.dumps(s)),
    st.integers(min_value=1, max_value=1_200).map(_deep),
    st.integers(min_value=1, max_value=1_200).map(lambda n: "[" * n + "]" * n),
    st.just(json.dumps("x" * 11_000)),
    st.dictionaries(
        st.text(min_size=1, max_size=4).map(lambda k: "zz_" + k), st.integers(), max_size=25
    ).map(json.dumps),
)

PRACTICE_KEYS = [
    "id",
    "title",
    "summary",
    "description",
    "criterion",
    "fields",
    "status",
    "started",
    "ended",
    "budget_eur",
    "staff_fte",
    "actors",
    "sources",
    "adopted_from",
    "zz_unknown",
]
TOP_KEYS = ["format", "municipality", "cycle", "indicators", "indicator_practices", "zz_top"]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> str:
    """A valid document with one place replaced by an arbitrary (often hostile) JSON value."""
    doc = factories.document(ESSEN)
    marker = "@@HOSTILE@@"
    where = draw(st.sampled_from(["practice", "top", "indicator", "actor"]))
    if where == "practice":
        doc["practices"][0][draw(st.sampled_from(PRACTICE_KEYS))] = marker
    elif where == "top":
        doc[draw(st.sampled_from(TOP_KEYS))] = marker
    elif where == "indicator":
        doc["indicators"][draw(st.sampled_from([*sorted(doc["indicators"]), "zz.x"]))] = marker
    else:
        doc["practices"][0]["actors"] = [{"name": marker, "type": "verein", "lead": True}]
    return json.dumps(doc).replace(json.dumps(marker), draw(RAW_VALUES), 1)


def _assert_paths(errors: list[FieldError]) -> None:
    assert errors
    for error in errors:
        assert error.field and isinstance(error.field, str)
        assert error.message and isinstance(error.message, str)


# --- the parser and the document check (no app needed) -----------------------------------------


@UNIT
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200), mutated_bodies()))
def test_parse_json_refuses_with_a_path_or_parses(data: bytes | str) -> None:
    try:
        exchange.parse_json(data)
    except ValidationFailed as exc:
        _assert_paths(exc.errors)


@UNIT
@given(mutated_bodies())
def test_parse_json_refuses_every_hostile_value_it_lets_through_nowhere(body: str) -> None:
    """What parse_json accepts is plain JSON Python can serialise again (no surrogates, no
    NaN, no giant integers): the rest of the code never meets a hostile value."""
    try:
        doc = exchange.parse_json(body)
    except ValidationFailed as exc:
        _assert_paths(exc.errors)
        return
    json.dumps(doc, allow_nan=False).encode("utf-8")


@pytest.fixture
def content_and_template(app: Flask) -> tuple[Any, Any]:
    content = reports.content()
    return content, content.current_template


@FAST
@given(body=mutated_bodies())
def test_check_document_never_raises_and_names_paths(
    content_and_template: tuple[Any, Any], body: str
) -> None:
    content, template = content_and_template
    try:
        doc = exchange.parse_json(body)
    except ValidationFailed:
        return
    errors = exchange.check_document(doc, content, template)
    for error in errors:
        assert error.field and error.message


@FAST
@given(doc=JSON_VALUES)
def test_check_document_takes_any_json_value(
    content_and_template: tuple[Any, Any], doc: Any
) -> None:
    content, template = content_and_template
    try:
        doc = exchange.parse_json(json.dumps(doc))
    except ValidationFailed as exc:
        _assert_paths(exc.errors)
        return
    _assert_paths(exchange.check_document(doc, content, template))


# --- the API and the forms, end to end -----------------------------------------------------------


def _row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name not in NOT_DATA
    }


def _working(report_id: int) -> dict[str, Any]:
    db.session.rollback()
    report = db.session.get(Report, report_id)
    assert report is not None
    return copy.deepcopy(reports.working_document(report))


@pytest.fixture
def reporter(app: Flask, make_user: Callable[..., User]) -> User:
    factories.make_cycle("2025")
    user = make_user("reporter", municipality=ESSEN)
    reports.import_document(user, factories.document(ESSEN))
    return user


@pytest.fixture
def api(app: Flask, reporter: User) -> tuple[FlaskClient, dict[str, str], int]:
    token = accounts.create_token(None, reporter)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    report_id = db.session.scalar(select(Report.id))
    assert report_id is not None
    return app.test_client(), headers, report_id


@FAST
@given(body=mutated_bodies())
def test_api_import_never_500_and_refusals_write_nothing(
    api: tuple[FlaskClient, dict[str, str], int], body: str
) -> None:
    client, headers, report_id = api
    before, working = _row_counts(), _working(report_id)
    response = client.post(
        "/api/v1/reports", data=body.encode("utf-8", "surrogatepass"), headers=headers
    )
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    if response.status_code >= 400:
        assert _row_counts() == before
        assert _working(report_id) == working
        payload = response.get_json()
        assert payload and payload.get("errors"), response.data[:300]
        for error in payload["errors"]:
            assert error["field"] and error["message"]
    else:
        _restore()


def _restore() -> None:
    """Put the draft back after an accepted input, so every example starts from one state."""
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.role == "reporter"))
    reports.import_document(user, factories.document(ESSEN))


FORM_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        ["", " ", "50000000", "abc", "1e3", "-1", "0x10", "9" * 5000, "1,5", "2025-13"]
    ),
    st.just("x" * 20_000),
)
PRACTICE_FIELDS = [
    "title",
    "summary",
    "description",
    "criterion",
    "fields",
    "status",
    "started",
    "ended",
    "budget_eur",
    "staff_fte",
    "sources",
    "actor_rows",
    "actor_lead",
    "actor-0-name",
    "actor-0-type",
    "actor-49-name",
    "adopted_from_practice",
    "adopted_from_municipality",
    "origin_pick",
    "origin_query",
    "origin_clear",
    "moves",
    "new_id",
    "edit_version",
    "action",
]


def _valid_practice_form() -> list[tuple[str, str]]:
    """The practice of the factories as the form sends it (saving it works)."""
    p = factories.practice()
    fields = [(name, p[name]) for name in ("title", "criterion", "summary", "description")]
    fields += [(name, p[name]) for name in ("site", "funding", "outcomes", "transferability")]
    fields += [("contact", p["contact"]), ("status", p["status"]), ("started", p["started"])]
    fields += [
        (name, v) for name in ("fields", "recommendations", "target_groups") for v in p[name]
    ]
    fields += [("budget_eur", "1.500"), ("staff_fte", "0,2"), ("sources", p["sources"][0])]
    fields += [("actor_rows", "1"), ("actor-0-name", "Volkshochschule")]
    fields += [("actor-0-type", "bildungstraeger"), ("actor_lead", "0")]
    return fields


@st.composite
def practice_forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Form fields as a browser (or an attacker) sends them: a valid form with some fields
    dropped or replaced, any names, repeated, any values."""
    base = _valid_practice_form()
    drop = draw(st.sets(st.sampled_from(sorted({name for name, _ in base}))))
    extra = draw(
        st.lists(
            st.tuples(st.sampled_from(PRACTICE_FIELDS) | st.text(max_size=10), FORM_TEXT),
            max_size=6,
        )
    )
    return extra + [(k, v) for k, v in base if k not in drop]


def _form_refusal_has_a_path(html: str) -> bool:
    """A refused form names the field: the form's error list links to it (``#f-…``), or the
    error page lists the path (``<code>actor_rows</code>: …``)."""
    return bool(
        re.search(r'<li><a href="#f-[^"]+">[^<]+</a></li>', html)
        or re.search(r'class="omk-error-list"><li><code>[^<]+</code>: [^<]+</li>', html)
    )


@pytest.fixture
def browser(app: Flask, reporter: User) -> tuple[FlaskClient, int]:
    client = app.test_client()
    login(client, reporter)
    report_id = db.session.scalar(select(Report.id))
    assert report_id is not None
    return client, report_id


def _post_form(browser: tuple[FlaskClient, int], url: str, fields: list[tuple[str, str]]) -> None:
    client, report_id = browser
    before, working = _row_counts(), _working(report_id)
    data = [(k, v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")) for k, v in fields]
    if "edit_version" not in {k for k, _ in data}:
        report = db.session.get(Report, report_id)
        assert report is not None
        data.append(("edit_version", str(report.edit_version)))
        db.session.rollback()
    response = client.post(url, data=MultiDict(data))
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    if response.status_code >= 400:
        assert _row_counts() == before
        assert _working(report_id) == working
        if response.status_code == 422:
            assert _form_refusal_has_a_path(response.get_data(as_text=True))
    elif response.status_code == 302:
        _restore()


@FAST
@given(fields=practice_forms())
def test_practice_form_never_500_and_refusals_write_nothing(
    browser: tuple[FlaskClient, int], fields: list[tuple[str, str]]
) -> None:
    _post_form(browser, f"/berichte/2025/{ESSEN}/massnahmen/neu", fields)


@st.composite
def indicator_forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    codes = sorted(factories.FULL_INDICATORS)
    fields = [(f"ind-{code}", "1") for code in codes]
    extra = draw(
        st.lists(
            st.tuples(
                st.sampled_from([f"ind-{c}" for c in codes] + [f"ind-{c}-practices" for c in codes])
                | st.sampled_from(["edit_version", "ind-zz"]),
                FORM_TEXT,
            ),
            max_size=8,
        )
    )
    return extra + fields


@FAST
@given(fields=indicator_forms())
def test_indicator_form_never_500_and_refusals_write_nothing(
    browser: tuple[FlaskClient, int], fields: list[tuple[str, str]]
) -> None:
    _post_form(browser, f"/berichte/2025/{ESSEN}/kennzahlen", fields)
