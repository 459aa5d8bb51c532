"""Building the demo: one report through the real services, then the whole demo."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app

from omk import exchange, mail
from omk.compare.demo_values import DemoProfile, indicator_values
from omk.content import Content
from omk.demo import history
from omk.demo import synergies as demo_synergies
from omk.demo.accounts import _account, ensure_accounts, reporter_email, reviewer_email
from omk.demo.data import CYCLES, DEMO_ACCOUNTS, EXPLAINS, SEED, DemoAccount, DemoCycle, Flow, log
from omk.demo.indicators import profile_of
from omk.demo.practices import (
    SourcePractice,
    _rng,
    first_cycle,
    load_practices,
    plan_flows,
    plan_reports,
    practice_id,
)
from omk.document_types import PracticeDocument, ReportDocument, practice_with_extra
from omk.errors import NotFound
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Report, ReportState
from omk.models.types import utcnow
from omk.services import accounts, cycles, outbox, reports

# --- building one report ------------------------------------------------------------------


@dataclass
class Slip:
    """A first submission with mistakes, the reviewer's comments on them, and the replies
    the municipality gives when it fixes them."""

    document: ReportDocument
    comments: list[tuple[str, str]]
    replies: dict[str, str] = field(default_factory=dict)


def _document(
    ags: str, cycle_code: str, practices: list[PracticeDocument], values: dict[str, int | float]
) -> ReportDocument:
    """A complete omk-report/1 document; practices linked to the indicator they explain."""
    links: dict[str, list[str]] = {}
    for p in practices:
        code = EXPLAINS.get(p["criterion"])
        if code and code in values and (pid := p.get("id")):  # demo practices all have one
            links.setdefault(code, []).append(pid)
    return {
        "format": exchange.FORMAT,
        "municipality": ags,
        "cycle": cycle_code,
        "indicators": dict(values),
        "indicator_practices": links,
        "practices": copy.deepcopy(practices),
    }


def _slip(final: ReportDocument, new_ids: list[str], rng: random.Random, label: Any) -> Slip:
    """The first submission of a report that is returned: one indicator and one practice
    need another look."""
    doc = copy.deepcopy(final)
    comments: list[tuple[str, str]] = []
    replies: dict[str, str] = {}
    indicators = doc["indicators"]
    optional_present = [c for c in OPTIONAL_SLIPS if c in indicators]
    if optional_present and rng.random() < 0.5:
        code = rng.choice(optional_present)
        del indicators[code]
        doc["indicator_practices"].pop(code, None)
        comments.append(
            (
                f"indicators.{code}",
                f"„{label(code)}“ fehlt. Bitte ergänzen, sofern die Zahl vorliegt "
                "(z. B. vom Jobcenter, Schulamt oder Jugendamt).",
            )
        )
    else:
        code = "verwaltung.budget_eur"
        indicators[code] = (indicators[code] or 0) * 10 or 1000
        comments.append(
            (
                f"indicators.{code}",
                "Der Betrag liegt je Einwohnerin und Einwohner um ein Vielfaches über "
                "vergleichbaren Kommunen. Bitte prüfen – vielleicht eine Null zu viel?",
            )
        )
    if new_ids:
        pid = rng.choice(new_ids)
        doc["practices"] = [
            _without(p, ("sources", "source_url", "source_date")) if p["id"] == pid else p
            for p in doc["practices"]
        ]
        comments.append(
            (
                f"practices[{pid}].sources",
                "Bitte öffentliche Quellen angeben (Ratsvorlage, Pressebericht oder Seite "
                "der Kommune), damit andere Kommunen die Maßnahme nachvollziehen können.",
            )
        )
    else:
        chosen = rng.choice([p["id"] for p in doc["practices"]])
        field_path = f"practices[{chosen}].status"
        comments.append(
            (
                field_path,
                "Läuft die Maßnahme unverändert weiter? Bitte kurz bestätigen oder den Stand "
                "anpassen.",
            )
        )
        replies[field_path] = "Ja, die Maßnahme läuft unverändert weiter."
    return Slip(doc, comments, replies)


def _without(practice: PracticeDocument, names: tuple[str, ...]) -> PracticeDocument:
    """The practice without the fields ``names`` (known or carried unknown ones)."""
    return practice_with_extra({k: v for k, v in practice.items() if k not in names}, None)


#: Optional indicators a first submission may lack (a return asks for them).
OPTIONAL_SLIPS = [
    "sprache_bildung.kita_kinder",
    "sprache_bildung.vorbereitungsklassen",
    "arbeitsmarkt.ausbildung",
    "zivilgesellschaft.patenschaften",
]

CORRECTION_REASON = (
    "Nach Hinweis der Kommune: Die Zahl der aktiven Ehrenamtlichen enthält Doppelzählungen "
    "(Personen, die in mehreren Initiativen aktiv sind). Bitte bereinigt erneut einreichen."
)


CORRECTION_REPLY = "Korrigiert: Mehrfach Engagierte werden jetzt nur einmal gezählt."


def _is_new(p: SourcePractice, cycle_code: str, seed: int) -> bool:
    first = first_cycle(p, seed)
    return first is not None and first.code == cycle_code


@dataclass
class _People:
    """Ids of the accounts that act in the demo (objects are loaded per report)."""

    admin: int
    reporters: dict[str, int]  # by register key
    reviewers: dict[str, int]  # by Land key

    def user(self, user_id: int) -> User:
        user = db.session.get(User, user_id)
        assert user is not None
        return user


def _build_report(
    cycle: Cycle,
    municipality: Municipality,
    items: list[SourcePractice],
    flow: Flow,
    people: _People,
    seed: int,
) -> Report:
    """Start one demo report and walk it through its flow with the real services."""
    content: Content = current_app.extensions["omk_content"]
    template = content.template(cycle.template_version)
    reporter = people.user(people.reporters[municipality.key])
    reviewer = people.user(people.reviewers[municipality.land_key])
    ags = municipality.reporting_ags or municipality.key
    optional = [c for c in template.indicator_codes() if c not in template.required_indicators()]
    # values with a structure worth comparing: rates by size and urbanisation, trends over
    # the cycles, a few gaps and outliers (omk/compare/demo_values.py)
    profile = profile_of(municipality)
    values = indicator_values(
        DemoProfile(profile.key, profile.population, profile.urbanisation),
        cycle.code,
        optional,
        seed,
    )
    practices = demo_synergies.with_origins(
        [p.code for p in items], [p.practice for p in items], practice_id
    )
    final = _document(ags, cycle.code, practices, values)
    new_ids = [practice_id(p.code) for p in items if _is_new(p, cycle.code, seed)]
    rng = _rng(seed, "flow", cycle.code, ags)

    def label(code: str) -> str:
        return content.indicators[code].label

    report = reports.start_report(reporter, cycle, municipality)
    reports.mark_synthetic(None, report)

    def save(doc: ReportDocument) -> None:
        reports.save_document(reporter, report, copy.deepcopy(doc), edit_version=None)

    if flow == Flow.DRAFT:
        draft = copy.deepcopy(final)
        for code in rng.sample(sorted(template.required_indicators()), 2):
            draft["indicators"].pop(code, None)
            draft["indicator_practices"].pop(code, None)
        save(draft)
        return report
    if flow == Flow.CORRECTED:
        first = copy.deepcopy(final)
        code = "zivilgesellschaft.ehrenamtliche_aktiv"
        first["indicators"][code] = (first["indicators"][code] or 0) * 2 or 2
        save(first)
        reports.submit(reporter, report)
        reports.accept(reviewer, report)
        reports.reopen(reviewer, report, CORRECTION_REASON)
        save(final)
        for status in reports.open_comments(report):
            reports.reply(reporter, status.comment, CORRECTION_REPLY)
        reports.submit(reporter, report)
        reports.accept(reviewer, report)
        return report
    if flow in (Flow.ACCEPTED, Flow.SUBMITTED):
        save(final)
        reports.submit(reporter, report)
    else:
        slip = _slip(final, new_ids, rng, label)
        save(slip.document)
        reports.submit(reporter, report)
        created = reports.return_report(reviewer, report, slip.comments)
        if flow == Flow.RETURNED:
            return report
        save(final)
        for comment in created:
            if comment.field in slip.replies:
                reports.reply(reporter, comment, slip.replies[comment.field])
        reports.submit(reporter, report)
    if flow in (Flow.ACCEPTED, Flow.ACCEPTED_AFTER_RETURN):
        reports.accept(reviewer, report)
    return report


# --- the whole demo -----------------------------------------------------------------------


@dataclass
class DemoResult:
    """What ``omk demo`` did and what the demo now holds."""

    accounts: list[tuple[DemoAccount, bool]]
    other_accounts: int = 0
    other_accounts_created: int = 0
    practices: int = 0
    skipped: list[SourcePractice] = field(default_factory=list)
    reports_created: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cycle_status: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Progress:
    """Where :func:`create_demo` is, for the command's progress lines: ``stage`` "reports"
    (``done`` of ``total`` reports of cycle ``cycle`` handled, ``created`` of them new) or
    "update" (the search index, similar practices and vectors are brought up to date,
    ``created`` reports new in this run)."""

    stage: str
    cycle: str = ""
    done: int = 0
    total: int = 0
    created: int = 0


#: Reports between two progress lines of a cycle.
PROGRESS_EVERY = 25


def _known(practices: list[SourcePractice]) -> tuple[dict[str, str], list[SourcePractice]]:
    """The register keys of the practices' municipalities (by reporting key), and the
    practices whose municipality is not in the register."""
    found: dict[str, str] = {}
    missing: set[str] = set()
    for ags in dict.fromkeys(p.ags for p in practices):
        try:
            found[ags] = reports.resolve_municipality(ags).key
        except NotFound:
            missing.add(ags)
    return found, [p for p in practices if p.ags in missing]


def _ensure_people(keys: list[str], result: DemoResult) -> _People:
    """A reporter account per municipality and a reviewer account per Land (without
    passwords, except the documented demo logins)."""
    admin = accounts.find_user_by_email(DEMO_ACCOUNTS[0].email)
    assert admin is not None
    reporters: dict[str, int] = {}
    reviewers: dict[str, int] = {}
    for key in sorted(keys):
        m = db.session.get(Municipality, key)
        assert m is not None
        email = reporter_email(m)
        user, created = _account(
            email,
            Role.REPORTER,
            f"Berichterstattung {m.short_name}",
            municipality_key=m.reporting_ags,
        )
        reporters[m.key] = user.id
        if email != DEMO_ACCOUNTS[2].email:
            result.other_accounts += 1
            result.other_accounts_created += created
        if m.land_key not in reviewers:
            land = db.session.get(Municipality, m.land_key)
            email = reviewer_email(m.land_key)
            user, created = _account(
                email,
                Role.REVIEWER,
                f"Prüfstelle {land.name if land else m.land_key}",
                scope=m.land_key,
            )
            reviewers[m.land_key] = user.id
            if email != DEMO_ACCOUNTS[1].email:
                result.other_accounts += 1
                result.other_accounts_created += created
    return _People(admin.id, reporters, reviewers)


def _ensure_cycle(spec: DemoCycle, admin: User) -> Cycle:
    try:
        return cycles.get_cycle(spec.code)
    except NotFound:
        return cycles.create_cycle(
            admin,
            spec.code,
            spec.period_start,
            spec.period_end,
            spec.deadline,
            regions=[""],
            title=spec.title,
            objectives=spec.objectives,
        )


#: The demo's accounts existed before the first cycle's deadline (see ``omk.demo.history``).
ACCOUNTS_SINCE = date(2024, 9, 2)


def create_demo(
    seed: int = SEED,
    path: Path | None = None,
    on_skipped: Callable[[list[SourcePractice]], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> DemoResult:
    """Create what is missing of the demo: accounts, cycles and reports (see module doc);
    ``on_progress`` hears where it is (after every ``PROGRESS_EVERY`` reports of a cycle, at
    a cycle's end and before the consumers run)."""

    def progress(step: Progress) -> None:
        if on_progress is not None:
            on_progress(step)

    started = time.perf_counter()
    began = utcnow()
    result = DemoResult(accounts=ensure_accounts())
    practices = load_practices(path)
    found, skipped = _known(practices)
    result.practices = len(practices) - len(skipped)
    result.skipped = skipped
    if skipped:
        log.warning(
            "demo: %d practices skipped, their municipality is not in the register: %s",
            len(skipped),
            ", ".join(p.code for p in skipped),
        )
        if on_skipped:
            on_skipped(skipped)
    usable = [p for p in practices if p.ags in found]
    plan = plan_reports(usable, seed)
    with mail.held(), outbox.deferred():
        people = _ensure_people(list(found.values()), result)
        history.backdate_accounts(
            [people.admin, *people.reporters.values(), *people.reviewers.values()],
            ACCOUNTS_SINCE,
            began,
        )
        for spec in CYCLES:
            cycle_id = _ensure_cycle(spec, people.user(people.admin)).id
            entries = plan[spec.code]
            flows = plan_flows(spec, sorted(entries), seed)
            created = 0
            for done, ags in enumerate(sorted(entries)):
                if done and done % PROGRESS_EVERY == 0:
                    progress(Progress("reports", spec.code, done, len(entries), created))
                # A fresh session per report: commits then expire a few objects, not thousands.
                db.session.close()
                cycle = db.session.get(Cycle, cycle_id)
                municipality = db.session.get(Municipality, found[ags])
                assert cycle is not None and municipality is not None
                if reports.find_report(cycle, municipality.key) is not None:
                    continue
                if cycle.status != "open":
                    log.info("demo: cycle %s is closed, no report for %s", spec.code, ags)
                    continue
                _build_report(cycle, municipality, entries[ags], flows[ags], people, seed)
                result.reports_created += 1
                created += 1
            progress(Progress("reports", spec.code, len(entries), len(entries), created))
            db.session.close()
            cycle = db.session.get(Cycle, cycle_id)
            assert cycle is not None
            history.backdate_cycle(cycle, seed, began)
            if not spec.is_open and cycle.status == "open":
                cycles.update_cycle(
                    people.user(people.admin),
                    cycle,
                    title=cycle.title,
                    objectives=cycle.objectives,
                    period_start=cycle.period_start,
                    period_end=cycle.period_end,
                    deadline=cycle.deadline,
                    status="closed",
                )
            result.counts[spec.code] = reports.report_counts(cycle)
            result.cycle_status[spec.code] = cycle.status
        db.session.close()
        demo_synergies.seed(people.user(people.admin), people.reporters, practice_id)
        # leaving the block runs the consumers
        progress(Progress("update", created=result.reports_created))
    result.seconds = time.perf_counter() - started
    log.info(
        "demo: %d reports created, %d practices (%d skipped) in %.1f s",
        result.reports_created,
        result.practices,
        len(skipped),
        result.seconds,
    )
    return result


#: How the summary of ``omk demo`` counts reports per state.
STATE_COUNT_LABELS = {
    ReportState.DRAFT.value: "Entwürfe",
    ReportState.SUBMITTED.value: "eingereicht",
    ReportState.RETURNED.value: "zurückgegeben",
    ReportState.ACCEPTED.value: "angenommen",
}
