"""Cycles, who is expected, overdue reports, notifications and reminders."""

from __future__ import annotations

import email
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from omk.errors import Forbidden, ValidationFailed
from omk.services import cycles, reports
from tests import factories

ESSEN, KOELN, ALHEIM = "05113000", "05315000", "06632001"


def mails(app: Flask) -> list[email.message.Message]:
    folder = Path(app.instance_path) / "mail"
    return (
        [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
        if folder.exists()
        else []
    )


def body(msg: email.message.Message) -> str:
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, Any]:
    return {
        "essen": make_user("reporter", municipality=ESSEN, email="essen@example.org"),
        "koeln": make_user("reporter", municipality=KOELN, email="koeln@example.org"),
        "alheim": make_user("reporter", municipality=ALHEIM, email="alheim@example.org"),
        "reviewer": make_user("reviewer", scope="05", email="nrw@example.org"),
        "reviewer06": make_user("reviewer", scope="06", email="hessen@example.org"),
    }


def test_expected_are_covered_municipalities_with_reporters(people: dict[str, Any]) -> None:
    cycle = factories.make_cycle("2025", regions=["05"])
    standings = cycles.standings(cycle, today=date(2026, 4, 1))
    assert [s.municipality.key for s in standings] == [ESSEN, KOELN]  # by name; Alheim is in 06
    assert all(s.overdue for s in standings)
    report, _ = reports.import_document(people["essen"], factories.document(ESSEN))
    reports.submit(people["essen"], report)
    by_key = {s.municipality.key: s for s in cycles.standings(cycle, today=date(2026, 4, 1))}
    assert not by_key[ESSEN].overdue and by_key[ESSEN].has_submitted
    assert by_key[KOELN].overdue and not by_key[KOELN].has_submitted
    assert not any(s.overdue for s in cycles.standings(cycle, today=date(2026, 3, 31)))


def test_reviewer_opens_cycles_only_in_its_region(people: dict[str, Any]) -> None:
    reviewer = people["reviewer"]
    cycle = cycles.create_cycle(
        reviewer,
        "K-2025",
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2026, 3, 31),
        regions=["05315"],
    )
    assert cycle.prefixes == ["05315"]
    with pytest.raises(Forbidden):
        cycles.create_cycle(
            reviewer,
            "H-2025",
            date(2025, 1, 1),
            date(2025, 12, 31),
            date(2026, 3, 31),
            regions=["06"],
        )
    with pytest.raises(ValidationFailed) as bad:
        cycles.create_cycle(
            reviewer, "X", date(2025, 1, 1), date(2024, 12, 31), date(2026, 3, 31), regions=["05"]
        )
    assert {e.field for e in bad.value.errors} == {"period_end"}


def test_people_are_told_with_links(app: Flask, people: dict[str, Any]) -> None:
    factories.make_cycle("2025")
    report, _ = reports.import_document(people["essen"], factories.document(ESSEN))
    reports.submit(people["essen"], report)
    sent = mails(app)
    assert [m["To"] for m in sent] == ["nrw@example.org"]  # the region's reviewer only
    assert "http://localhost/berichte/2025/05113000/pruefung" in body(sent[0])

    reports.return_report(
        people["reviewer"], report, [("indicators.unterbringung.zuweisungen", "Bitte prüfen.")]
    )
    returned = next(m for m in mails(app) if m["To"] == "essen@example.org")
    assert "Bitte prüfen." in body(returned) and "/berichte/2025/05113000/" in body(returned)

    reports.submit(people["essen"], report)
    reports.accept(people["reviewer"], report)
    accepted = [m for m in mails(app) if "angenommen" in m["Subject"]]
    assert len(accepted) == 1 and accepted[0]["To"] == "essen@example.org"
    assert "/berichte/2025/05113000/veroeffentlicht" in body(accepted[0])


def test_reminders_once_a_day_to_those_who_have_not_submitted(
    app: Flask, people: dict[str, Any]
) -> None:
    cycle = factories.make_cycle("2025", regions=["05", "06"])
    report, _ = reports.import_document(people["essen"], factories.document(ESSEN))
    reports.submit(people["essen"], report)
    today = date(2026, 3, 25)
    sent = cycles.send_reminders(days=14, today=today)
    assert sorted(m.key for _, m, _ in sent) == sorted([KOELN, ALHEIM])
    recipients = sorted(m["To"] for m in mails(app) if "Erinnerung" in m["Subject"])
    assert recipients == ["alheim@example.org", "koeln@example.org"]
    reminder = next(m for m in mails(app) if m["To"] == "koeln@example.org")
    assert "6 Tagen" in body(reminder) and "/berichte/2025/05315000/" in body(reminder)
    assert cycles.send_reminders(days=14, today=today) == []  # not twice a day
    assert cycles.send_reminders(days=3, today=date(2026, 3, 20)) == []  # too early
    assert cycle.code == "2025"
