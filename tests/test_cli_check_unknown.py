"""``omk reports check-unknown``: stored unknown keys beyond the bounds of DOMAIN.md are
reported by path (never with their content) and make the command exit 1; nothing is dropped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from omk.extensions import db
from omk.models import Practice, User
from omk.services import reports
from tests import factories

ESSEN = "05113000"
SECRET = "geheimer-entwurfsinhalt"


def _stored_report(make_user: Any) -> User:
    factories.make_cycle("2025")
    user = make_user("reporter", municipality=ESSEN)
    reports.import_document(user, factories.document(ESSEN))
    return user


def test_within_the_bounds_exits_0(runner: Any, make_user: Any) -> None:
    _stored_report(make_user)
    result = runner.invoke(args=["reports", "check-unknown"])
    assert result.exit_code == 0, result.output
    assert "in den Grenzen" in result.output


def test_stored_unknown_keys_beyond_the_bounds_are_listed_by_path(
    runner: Any, make_user: Any
) -> None:
    _stored_report(make_user)
    practice = db.session.scalar(select(Practice).where(Practice.revision_id.is_(None)))
    assert practice is not None
    # Written straight to the table, as data stored before the bounds existed would be.
    practice.extra = {
        "zz_blob": SECRET + "x" * 11_000,
        "zz_deep": {"a": {"b": {"c": {"d": {"e": {"f": SECRET}}}}}},
        **{f"zz_{i}": i for i in range(25)},
    }
    db.session.commit()
    result = runner.invoke(args=["reports", "check-unknown"])
    assert result.exit_code == 1, result.output
    ref = f"practices[{practice.uuid}]"
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{ESSEN} 2025 Entwurf: {ref}.zz_blob:") and "10 KB" in line
        for line in lines
    ), result.output
    assert any(f"Entwurf: {ref}.zz_deep:" in line for line in lines)
    assert any(line.startswith(f"{ESSEN} 2025 Entwurf: {ref}: Zu viele") for line in lines)
    assert SECRET not in result.output
    # Reported, not dropped.
    db.session.expire_all()
    assert len(db.session.get(Practice, practice.id).extra) == 27  # type: ignore[union-attr]


def test_revisions_are_checked_too(runner: Any, make_user: Any) -> None:
    user = _stored_report(make_user)
    revision = reports.submit(user, reports.get_report("2025", ESSEN))
    practice = db.session.scalar(select(Practice).where(Practice.revision_id == revision.id))
    assert practice is not None
    practice.extra = {"zz_blob": SECRET * 1_000}
    db.session.commit()
    result = runner.invoke(args=["reports", "check-unknown"])
    assert result.exit_code == 1, result.output
    assert f"{ESSEN} 2025 Fassung {revision.number}: practices[{practice.uuid}].zz_blob:" in (
        result.output
    )
    assert SECRET not in result.output
