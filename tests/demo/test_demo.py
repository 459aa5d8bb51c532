"""The demo data: real practices with sources, three cycles, every workflow state, synthetic
indicators; deterministic and idempotent (``omk demo`` runs on every ``make run``)."""

from __future__ import annotations

import json
import re
import statistics
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from omk import demo as demo_service
from omk import exchange
from omk.demo import CYCLES, Flow, Profile, SourcePractice
from omk.extensions import Base, db
from omk.models.accounts import User
from omk.models.reporting import Cycle, Report, ReportState
from omk.services import accounts, cycles, reports
from omk.services.register_import import import_register
from tests.conftest import FULL_REGISTER, SAMPLE_REGISTER, _reset_postgres, login

ROOT = Path(__file__).resolve().parents[2]
PRACTICES = ROOT / "content" / "practices" / "practices.jsonl"
ESSEN, ALHEIM = "05113000", "06632001"
#: Practices of the shipped file whose municipalities are in the sample register.
SAMPLE_PRACTICES = {"d001", "d018", "d025", "d048", "d051", "d060"}


def lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PRACTICES.read_text(encoding="utf-8").splitlines()]


def snapshot() -> dict[str, Any]:
    """Everything the demo made that users see, without database ids and timestamps."""
    result: dict[str, Any] = {
        "users": sorted(
            (u.email, u.role, u.municipality_key, u.scope, u.password_hash is not None)
            for u in db.session.scalars(select(User))
        ),
        "cycles": [
            (c.code, c.title, c.period_start, c.period_end, c.deadline, c.status, c.prefixes)
            for c in db.session.scalars(select(Cycle).order_by(Cycle.code))
        ],
        "reports": {},
    }
    for report in db.session.scalars(select(Report).order_by(Report.id)):
        result["reports"][(report.cycle.code, report.municipality_key)] = {
            "state": report.state,
            "synthetic": report.has_synthetic_indicators,
            "correction": report.is_correction,
            "revisions": [
                (r.number, r.outcome, reports.revision_document(r))
                for r in reports.revisions(report)
            ],
            "published": reports.published_document(report),
            "working": reports.working_document(report),
            "comments": [
                (c.revision_number, c.comment.field, c.comment.text, c.comment.reply, c.answered)
                for c in reports.comments(report)
            ],
            "events": [(e.action, e.from_state, e.to_state) for e in reports.events(report)],
        }
    return result


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def demo(app: Flask, register: None) -> demo_service.DemoResult:
    return demo_service.create_demo()


# --- the shipped practices ------------------------------------------------------------------


def test_practices_ship_with_attribution_and_sources() -> None:
    readme = (ROOT / "content" / "practices" / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme
    assert "synthetisch" in readme
    assert "/work/shared" not in readme
    data = lines()
    assert len(data) == 121
    for line in data:
        assert line["source_url"].startswith("http")
        assert line["source_url"] in line["sources"]


def test_practice_ids_are_stable_uuids(app: Flask) -> None:
    practices = demo_service.load_practices(PRACTICES)
    ids = [p.practice["id"] for p in practices]
    assert len(set(ids)) == 121
    assert ids[0] == str(uuid.uuid5(demo_service.PRACTICE_NAMESPACE, "d001"))
    assert ids[0] == "8f4731dd-8cdb-5b39-a584-0385e5c6869f"  # the same on every installation
    assert all(uuid.UUID(i).version == 5 for i in ids)


def test_every_practice_is_valid_in_the_exchange_format(app: Flask) -> None:
    content = app.extensions["omk_content"]
    practices = demo_service.load_practices(PRACTICES)
    doc = {
        "format": exchange.FORMAT,
        "municipality": ESSEN,
        "cycle": "2026",
        "indicators": {},
        "practices": [p.practice for p in practices],
    }
    assert exchange.check_document(doc, content, content.current_template) == []
    first = exchange.canonical(doc)["practices"][0]
    assert first["source_url"] == "https://kommunalwettbewerb-zusammenleben.de/node/186"
    assert first["source_date"] == "2018-07"
    assert "ags" not in first and "municipality" not in first and "level" not in first


# --- the plan (pure) ---------------------------------------------------------------------------


def _source(code: str, status: str, started: int | None, source: int | None) -> SourcePractice:
    return SourcePractice(code, "01001000", "Flensburg", status, started, source, {"id": code})


def test_active_practices_continue_ended_and_planned_ones_appear_once() -> None:
    practices = demo_service.load_practices(PRACTICES)
    plan = demo_service.plan_reports(practices)
    years = {c.code: c.year for c in CYCLES}
    seen: dict[str, list[str]] = {}
    for code, entries in plan.items():
        for items in entries.values():
            for p in items:
                seen.setdefault(p.code, []).append(code)
    assert set(seen) == {p.code for p in practices}
    for p in practices:
        cycles_of_p = seen[p.code]
        first = cycles_of_p[0]
        assert years[first] >= max(p.started_year or 0, p.source_year or 0)
        if p.status == "active":
            assert cycles_of_p == [c.code for c in CYCLES if c.year >= years[first]]
        else:
            assert len(cycles_of_p) == 1
    assert Counter(c[0] for c in seen.values())["2024"] > 60  # most start in the first cycle


def test_a_practice_never_appears_before_its_source() -> None:
    late = _source("x1", "active", 2015, 2025)
    for seed in range(20):
        first = demo_service.first_cycle(late, seed)
        assert first is not None and first.year >= 2025


def test_flows_of_the_open_cycle_give_the_demo_logins_work() -> None:
    keys = [ESSEN, "05315000", "05334000", "01001000", "01002000", ALHEIM]
    flows = demo_service.plan_flows(CYCLES[-1], keys)
    assert flows[ESSEN] == Flow.RETURNED
    assert Flow.SUBMITTED in {flows["05315000"], flows["05334000"]}
    closed = demo_service.plan_flows(CYCLES[0], keys)
    assert Flow.ACCEPTED_AFTER_RETURN in closed.values()
    assert all(
        f in (Flow.ACCEPTED, Flow.ACCEPTED_AFTER_RETURN, Flow.CORRECTED) for f in closed.values()
    )


# --- synthetic indicators (pure) -------------------------------------------------------------


def test_synthetic_values_follow_population_and_urbanisation() -> None:
    def values(key: str, population: int, urbanisation: int, cycle: str = "2024") -> Any:
        return demo_service.synthetic_indicators(Profile(key, population, urbanisation), cycle, [])

    keys = [f"{n:08d}" for n in range(200)]
    rate = {
        u: statistics.mean(values(k, 100_000, u)["unterbringung.zuweisungen"] / 100 for k in keys)
        for u in (1, 2, 3)
    }
    assert rate[1] > rate[2] > rate[3]  # per 1,000 inhabitants: cities receive more
    flats = {
        u: statistics.mean(values(k, 100_000, u)["unterbringung.dezentral_anteil"] for k in keys)
        for u in (1, 3)
    }
    assert flats[3] > flats[1] + 20  # the countryside houses in flats
    big, small = values("x", 600_000, 1), values("x", 6_000, 1)
    assert 80 < big["unterbringung.zuweisungen"] / small["unterbringung.zuweisungen"] < 120
    assert big["verwaltung.budget_eur"] > small["verwaltung.budget_eur"] * 50
    # Deterministic per municipality and cycle; the cycles differ.
    assert values("x", 50_000, 2) == values("x", 50_000, 2)
    assert values("x", 50_000, 2, "2024") != values("x", 50_000, 2, "2025")
    assert (
        values("x", 50_000, 2, "2024")["unterbringung.zuweisungen"]
        > values("x", 50_000, 2, "2026")["unterbringung.zuweisungen"]
    )


def test_every_value_fits_the_catalogue(app: Flask) -> None:
    content = app.extensions["omk_content"]
    template = content.current_template
    for n, (population, urbanisation) in enumerate([(300, 3), (5_000, 3), (3_600_000, 1)]):
        values = demo_service.synthetic_indicators(
            Profile(f"k{n}", population, urbanisation), "2026", []
        )
        assert set(values) == set(template.indicator_codes())
        doc = {"format": exchange.FORMAT, "municipality": ESSEN, "cycle": "2026"}
        doc |= {"indicators": values, "practices": []}
        assert exchange.check_document(doc, content, template) == []


# --- the demo on the sample register -------------------------------------------------------


def test_demo_builds_three_cycles_from_the_practices_in_the_register(
    app: Flask, demo: demo_service.DemoResult
) -> None:
    # Practices of municipalities missing from the (sample) register are skipped.
    assert demo.practices == len(SAMPLE_PRACTICES)
    assert len(demo.skipped) == 121 - len(SAMPLE_PRACTICES)
    assert not {p.code for p in demo.skipped} & SAMPLE_PRACTICES
    all_cycles = sorted(cycles.all_cycles(), key=lambda c: c.code)
    assert [c.code for c in all_cycles] == ["2024", "2025", "2026"]
    assert [c.status for c in all_cycles] == ["closed", "closed", "open"]
    assert all(c.prefixes == [""] for c in all_cycles)  # all of Germany
    assert all(c.period_start < c.period_end < c.deadline for c in all_cycles)
    all_reports = list(db.session.scalars(select(Report)))
    assert all_reports and all(r.has_synthetic_indicators for r in all_reports)
    assert not (Path(app.instance_path) / "mail").exists()  # the workflow mailed nobody


def test_demo_puts_reports_in_every_state_through_the_workflow(
    demo: demo_service.DemoResult,
) -> None:
    assert set(demo.counts["2026"]) == {s.value for s in ReportState}
    for code in ("2024", "2025"):
        assert set(demo.counts[code]) <= {ReportState.ACCEPTED.value}
    # The demo reporter has work to do: a returned report with open comments.
    essen = reports.get_report("2026", ESSEN)
    assert essen.state == ReportState.RETURNED
    assert len(reports.open_comments(essen)) == 2
    # The demo reviewer (NRW) has a queue, of its region only.
    reviewer = accounts.find_user_by_email("pruefung.nrw@example.org")
    queue = reports.review_queue(reviewer)
    assert queue and all(r.municipality_key.startswith("05") for r in queue)
    # Every municipality with practices has a reporter account, so it is expected.
    expected = cycles.expected_query(cycles.get_cycle("2026"))
    assert {m.key for m in db.session.scalars(expected)} == {
        "01001000",
        "01002000",
        ESSEN,
        "05334",
        ALHEIM,
    }
    # Older reports were returned with comments, answered, resubmitted and accepted.
    returned_before = [
        r
        for r in db.session.scalars(select(Report))
        if r.cycle.code in ("2024", "2025") and r.revision_count > 1
    ]
    assert returned_before
    for report in returned_before:
        assert report.state == ReportState.ACCEPTED
        assert reports.comments(report) and all(c.answered for c in reports.comments(report))
        assert reports.revision_diff(report, 1, 2)
        latest = reports.get_revision(report, report.revision_count)
        assert reports.published_document(report) == reports.revision_document(latest)


def test_demo_documents_keep_ids_sources_and_vary_by_size(demo: demo_service.DemoResult) -> None:
    by_code = {line["id"]: line for line in lines()}
    by_id = {demo_service.practice_id(code): code for code in SAMPLE_PRACTICES}
    cycles_of: dict[str, set[str]] = {}
    for report in db.session.scalars(select(Report)):
        doc = reports.published_document(report)
        for p in doc["practices"] if doc else []:
            cycles_of.setdefault(p["id"], set()).add(report.cycle.code)
            line = by_code[by_id[p["id"]]]
            assert (p["title"], p["sources"]) == (line["title"], line["sources"])
            assert (p["source_url"], p["source_date"]) == (line["source_url"], line["source_date"])
    assert any(len(c) >= 2 for c in cycles_of.values())  # a lineage: same id, two cycles
    assert len(cycles_of.get(demo_service.practice_id("d051"), set())) <= 1  # ended: once

    def allocations(key: str) -> list[int]:
        docs = []
        for report in db.session.scalars(select(Report).where(Report.municipality_key == key)):
            docs.append(reports.working_document(report))
            docs += [reports.revision_document(r) for r in reports.revisions(report)]
        values = [d["indicators"].get("unterbringung.zuweisungen") for d in docs]
        return [int(v) for v in values if v is not None]

    essen, alheim = allocations(ESSEN), allocations(ALHEIM)
    assert essen and alheim
    assert min(essen) > 20 * max(alheim)  # about 580,000 against 5,000 inhabitants


def test_demo_pages_say_the_values_are_synthetic_and_show_sources(
    app: Flask, demo: demo_service.DemoResult
) -> None:
    published = next(
        r for r in db.session.scalars(select(Report)) if r.published_revision_id is not None
    )
    doc = reports.published_document(published)
    assert doc is not None
    staff = app.test_client()
    login(staff, "fachkraft@example.org", demo_service.DEMO_PASSWORD)
    ags = published.municipality.reporting_ags
    page = staff.get(f"/berichte/{published.cycle.code}/{ags}/veroeffentlicht").get_data(True)
    assert "synthetisch" in page
    assert "Stand der Quelle" in page or all(p["source_date"] is None for p in doc["practices"])
    assert doc["practices"][0]["sources"][0].replace("&", "&amp;") in page
    reporter = app.test_client()
    login(reporter, "bericht.essen@example.org", demo_service.DEMO_PASSWORD)
    page = reporter.get(f"/berichte/2026/{ESSEN}/").get_data(True)
    assert "synthetisch" in page


@pytest.mark.fresh_db  # two databases of its own, one per run
def test_demo_is_deterministic(
    make_app: Callable[..., Flask], tmp_path: Path, postgres_url: str | None
) -> None:
    """Two runs into two fresh databases give identical documents, comments and accounts."""
    runs = []
    for n in range(2):
        if postgres_url:
            _reset_postgres(postgres_url)
            app = make_app()
        else:
            app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / f'run-{n}.sqlite3'}")
        with app.app_context():
            Base.metadata.create_all(db.engine)
            import_register(SAMPLE_REGISTER)
            demo_service.create_demo()
            runs.append(snapshot())
    assert runs[0]["reports"]
    assert runs[0] == runs[1]


def test_demo_command_prints_summary_and_logins_and_changes_nothing_the_second_time(
    app: Flask, register: None
) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Runde 2024 (geschlossen)" in result.stdout
    assert "Runde 2026 (offen)" in result.stdout
    assert "eingereicht" in result.stdout and "zurückgegeben" in result.stdout
    assert "synthetisch" in result.stdout
    for account in demo_service.DEMO_ACCOUNTS:
        assert account.email in result.stdout
    assert demo_service.DEMO_PASSWORD in result.stdout
    assert f"Warnung: {121 - len(SAMPLE_PRACTICES)} Maßnahmen übersprungen" in result.stderr
    # progress lines on stderr while it works: per cycle, then the consumers
    assert re.search(r"s\] Runde 2024: (\d+) von \1 Kommunen, \d+ Berichte neu …", result.stderr)
    assert "Suchindex, ähnliche Maßnahmen und Vektoren" in result.stderr

    before, counts = snapshot(), row_counts()
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "0 Berichte neu angelegt" in again.stdout
    assert "Runde 2024:" not in again.stderr and "aktualisieren" not in again.stderr
    assert again.stdout.count("(bestand schon)") == len(demo_service.DEMO_ACCOUNTS)
    assert "davon 0 neu" in again.stdout
    db.session.rollback()
    assert row_counts() == counts  # no new audit entries, events, revisions, accounts
    assert snapshot() == before


# --- the full register ------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_on_the_full_register(app: Flask) -> None:
    import_register(FULL_REGISTER)
    result = demo_service.create_demo()
    assert result.skipped == []
    assert result.practices == 121
    newest = result.counts["2026"]
    assert all(newest.get(s.value, 0) >= 5 for s in ReportState)
    assert all(set(result.counts[c]) == {ReportState.ACCEPTED.value} for c in ("2024", "2025"))
    reviewer = accounts.find_user_by_email("pruefung.nrw@example.org")
    assert len(reports.review_queue(reviewer)) >= 3
    assert reports.get_report("2026", ESSEN).state == ReportState.RETURNED
    standings = cycles.standings(cycles.get_cycle("2026"))
    assert any(s.report is None for s in standings)  # someone has not reported yet
    # The synergy material reads like a reviewer's and the peers' own words, not one
    # sentence copied to every practice and every answer.
    from omk.models.synergies import PeerReviewComment, PracticeValidation

    justifications = [v.justification for v in db.session.scalars(select(PracticeValidation))]
    assert len(justifications) == 3 and len(set(justifications)) == 3
    answers = [c.effective for c in db.session.scalars(select(PeerReviewComment))]
    assert len(answers) == 2 and len(set(answers)) == 2


# --- what the demo needed from the workflow ---------------------------------------------------


def test_notifications_render_outside_a_request_and_can_be_held(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """The CLI (demo data, reminders) has no request: mail renders in the default language;
    ``mail.held()`` keeps generated data from mailing anyone."""
    from omk import mail
    from tests import factories

    reporter = make_user("reporter", municipality=ESSEN)
    make_user("reviewer", scope="05")
    cycle = factories.make_cycle("2026")
    outbox = Path(app.instance_path) / "mail"
    with mail.held():
        report = reports.start_report(reporter, cycle, reports.resolve_municipality(ESSEN))
        reports.save_document(
            reporter, report, factories.document(ESSEN, "2026"), edit_version=None
        )
        reports.submit(reporter, report)
    assert not outbox.exists()
    reports.return_report(make_user("reviewer", scope="05"), report, [("report", "Bitte prüfen.")])
    assert len(list(outbox.glob("*.eml"))) == 1
    assert "/berichte/2026/05113000/" in next(outbox.glob("*.eml")).read_text(encoding="utf-8")


def test_demo_seeds_synergy_material(demo: demo_service.DemoResult) -> None:
    """Validations, a peer review with answers and synthesis, and a judged suggestion, so
    that every synergy page shows something; a second run adds nothing."""
    from omk.models.synergies import (
        PeerReview,
        PeerReviewComment,
        PracticeValidation,
        SynergyJudgement,
    )

    def count(model: Any) -> int:
        return len(list(db.session.scalars(select(model))))

    assert count(PracticeValidation) >= 1
    reviews = list(db.session.scalars(select(PeerReview)))
    assert len(reviews) == 1 and reviews[0].status == "published" and reviews[0].synthesis
    assert count(PeerReviewComment) >= 1
    before = (count(PracticeValidation), count(SynergyJudgement))
    demo_service.create_demo()
    assert (count(PracticeValidation), count(SynergyJudgement)) == before


def test_demo_adoptions_come_after_their_origins_elsewhere() -> None:
    from omk.demo import synergies
    from omk.demo.practices import first_cycle, load_practices

    by_code = {p.code: p for p in load_practices(PRACTICES)}
    for adopter, origin in synergies.ADOPTIONS.items():
        late, early = first_cycle(by_code[adopter]), first_cycle(by_code[origin])
        assert late is not None and early is not None and late.year > early.year
        assert by_code[adopter].ags != by_code[origin].ags


def test_demo_reports_of_closed_cycles_were_submitted_around_their_deadline(
    demo: demo_service.DemoResult,
) -> None:
    from omk.synthesis.participation import REPORTED_LATE, REPORTED_ON_TIME, standings

    for code in ("2024", "2025"):
        cycle = cycles.get_cycle(code)
        end = cycle.deadline
        for report in db.session.scalars(select(Report).where(Report.cycle_id == cycle.id)):
            revisions = [
                reports.get_revision(report, n) for n in range(1, report.revision_count + 1)
            ]
            first = revisions[0].submitted_at.date()
            assert end - timedelta(days=75) <= first <= end + timedelta(days=45), (code, first)
            # The order of events is kept: submitted, then decided, then accepted.
            for revision in revisions:
                assert revision.decided_at is None or revision.decided_at >= revision.submitted_at
            assert (
                report.accepted_at is not None and report.accepted_at >= revisions[0].submitted_at
            )
        found = standings(cycle, "")
        statuses = Counter(s.status for s in found)
        # Every report of the cycle counts (its account existed before the deadline).
        count = db.session.scalar(select(func.count(Report.id)).where(Report.cycle_id == cycle.id))
        assert statuses[REPORTED_ON_TIME] + statuses[REPORTED_LATE] == count
        assert statuses[REPORTED_ON_TIME] > statuses[REPORTED_LATE]
    reporter = accounts.find_user_by_email("bericht.essen@example.org")
    assert reporter is not None and reporter.created_at.date() < cycles.get_cycle("2024").deadline
