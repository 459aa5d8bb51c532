"""Rules of the exchange format the services enforce: a practice id belongs to one
municipality; unknown keys are carried, but bounded (DOMAIN.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from omk import exchange
from omk.errors import ValidationFailed
from omk.models import User
from omk.services import reports
from tests import factories

ESSEN, KOELN = "05113000", "05315000"


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "essen": make_user("reporter", municipality=ESSEN),
        "koeln": make_user("reporter", municipality=KOELN),
        "admin": make_user("admin"),
    }


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_an_id_another_municipality_submitted_is_refused_with_its_path(
    people: dict[str, Any],
) -> None:
    shared = factories.practice("Sprachcafé")
    report, _ = reports.import_document(
        people["essen"], factories.document(ESSEN, practices=[shared])
    )
    reports.submit(people["essen"], report)

    foreign = factories.document(KOELN, practices=[dict(shared)])
    with pytest.raises(ValidationFailed) as exc:
        reports.import_document(people["koeln"], foreign)
    assert _fields(exc) == {f"practices[{shared['id']}].id"}
    with pytest.raises(ValidationFailed):
        reports.import_document(people["admin"], foreign, publish=True)


def test_an_id_in_another_municipalitys_draft_is_no_reason_to_refuse(
    people: dict[str, Any],
) -> None:
    """Refusing it would reveal that draft; the first to submit keeps the id."""
    shared = factories.practice("Sprachcafé")
    essen, _ = reports.import_document(
        people["essen"], factories.document(ESSEN, practices=[shared])
    )
    koeln, _ = reports.import_document(
        people["koeln"], factories.document(KOELN, practices=[dict(shared)])
    )
    reports.submit(people["koeln"], koeln)
    with pytest.raises(ValidationFailed) as exc:
        reports.submit(people["essen"], essen)
    assert _fields(exc) == {f"practices[{shared['id']}].id"}


def test_the_same_municipality_continues_its_practice_id(people: dict[str, Any]) -> None:
    shared = factories.practice("Sprachcafé")
    report, _ = reports.import_document(
        people["essen"], factories.document(ESSEN, practices=[shared])
    )
    reports.submit(people["essen"], report)
    factories.make_cycle(
        "2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        deadline=date(2027, 3, 31),
    )
    later, changed = reports.import_document(
        people["essen"], factories.document(ESSEN, cycle="2026", practices=[dict(shared)])
    )
    assert changed and reports.submit(people["essen"], later).number == 1


@pytest.mark.parametrize(
    ("extra", "path_suffix"),
    [
        ({f"zz_{n}": n for n in range(21)}, ""),
        ({"zz_blob": "x" * (10 * 1024 + 1)}, ".zz_blob"),
        ({"zz_deep": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, ".zz_deep"),
    ],
    ids=["21 keys", "over 10 KB", "depth 6"],
)
def test_unknown_keys_beyond_the_bounds_are_refused_with_the_path(
    people: dict[str, Any], extra: dict[str, Any], path_suffix: str
) -> None:
    p = factories.practice(**extra)
    with pytest.raises(ValidationFailed) as exc:
        reports.import_document(people["essen"], factories.document(ESSEN, practices=[p]))
    assert f"practices[{p['id']}]{path_suffix}" in _fields(exc)


def test_unknown_keys_within_the_bounds_are_carried_but_never_diffed(
    people: dict[str, Any],
) -> None:
    p = factories.practice(
        **{f"zz_{n}": n for n in range(18)},
        zz_note="x" * 10_000,
        zz_nested={"a": {"b": {"c": {"d": {"e": 1}}}}},
    )
    report, _ = reports.import_document(people["essen"], factories.document(ESSEN, practices=[p]))
    stored = reports.working_document(report)["practices"][0]
    assert stored["zz_note"] == "x" * 10_000 and stored["zz_17"] == 17
    changed = copy.deepcopy(reports.working_document(report))
    changed["practices"][0]["zz_note"] = "y"
    changed["practices"][0]["title"] = "Sprachcafé (neu)"
    fields = {c["field"] for c in exchange.diff(reports.working_document(report), changed)}
    assert fields == {f"practices[{p['id']}].title"}, "unknown keys are shown nowhere"


def test_a_hostile_nesting_is_refused_before_any_other_check(people: dict[str, Any]) -> None:
    deep: Any = 1
    for _ in range(950):
        deep = {"x": deep}
    p = factories.practice(zz_deep=deep)
    with pytest.raises(ValidationFailed) as exc:
        reports.import_document(people["essen"], factories.document(ESSEN, practices=[p]))
    assert _fields(exc) == {"document"}
