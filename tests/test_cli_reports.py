"""The reporting commands: cycles create, reports import/export, reminders send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

from omk.services import reports
from tests import factories

ESSEN = "05113000"


def test_cycles_create(runner: Any, register: None) -> None:
    result = runner.invoke(
        args=[
            "cycles",
            "create",
            "2025",
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
            "--deadline",
            "2026-03-31",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Berichtsrunde 2025 eröffnet" in result.output and "ganz Deutschland" in result.output
    again = runner.invoke(
        args=[
            "cycles",
            "create",
            "2025",
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
            "--deadline",
            "2026-03-31",
        ]
    )
    assert again.exit_code == 1 and "gibt es schon" in again.output
    bad = runner.invoke(
        args=[
            "cycles",
            "create",
            "X",
            "--start",
            "2025-13-01",
            "--end",
            "2025-12-31",
            "--deadline",
            "2026-03-31",
        ]
    )
    assert bad.exit_code == 2 and "kein Datum" in bad.output


def test_reports_import_and_export(app: Flask, runner: Any, make_user: Any, tmp_path: Path) -> None:
    factories.make_cycle("2025")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "essen.json").write_text(json.dumps(factories.document(ESSEN)), encoding="utf-8")
    bad = factories.document("05315000")
    bad["indicators"]["unterbringung.dezentral_anteil"] = 101
    (folder / "koeln.json").write_text(json.dumps(bad), encoding="utf-8")
    (folder / "kaputt.json").write_text("{nicht json", encoding="utf-8")

    result = runner.invoke(args=["reports", "import", str(folder), "--publish"])
    assert result.exit_code == 1
    assert "1 importiert, 0 unverändert, 2 fehlerhaft" in result.output
    assert (
        "indicators.unterbringung.dezentral_anteil: Der Wert darf nicht größer als 100 sein."
        in result.output
    )
    assert reports.get_report("2025", ESSEN).state == "accepted"

    again = runner.invoke(args=["reports", "import", str(folder / "essen.json"), "--publish"])
    assert again.exit_code == 0 and "0 importiert, 1 unverändert" in again.output

    out = tmp_path / "out"
    exported = runner.invoke(
        args=["reports", "export", "--cycle", "2025", "--region", "05", "-o", str(out)]
    )
    assert exported.exit_code == 0 and "1 Bericht(e)" in exported.output
    document = json.loads((out / f"2025_{ESSEN}.json").read_text(encoding="utf-8"))
    assert document["municipality"] == ESSEN and document["format"] == "omk-report/1"


def test_reminders_send(runner: Any, app: Flask, make_user: Any) -> None:
    from datetime import date, timedelta

    today = date.today()
    factories.make_cycle(
        "2025",
        period_start=today - timedelta(days=300),
        period_end=today,
        deadline=today + timedelta(days=5),
    )
    make_user("reporter", municipality=ESSEN)
    result = runner.invoke(args=["reminders", "send", "--days", "7"])
    assert result.exit_code == 0 and "1 Kommune(n) erinnert, 1 E-Mail(s) versandt" in result.output
