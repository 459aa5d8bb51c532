"""Participation in a cycle: who was expected, who reported, on time or late, who was
returned and resubmitted, who did not report.

Definitions (the synthesis report states them in its annex):

* **expected**: a Gemeinde or Kreis of the cycle's regions within the report's region with a
  reporter account at the deadline (created on or before the deadline day), as
  :func:`omk.services.cycles.expected_query` counts it today, or that submitted a report in the
  cycle (it had an account when it did);
* **reported**: its report has an accepted (published) revision when the synthesis is made;
* **on time**: its first submission was on or before the deadline day, **late** otherwise;
* **returned and resubmitted**: a revision was returned and a later one accepted;
* **not reported**: expected without an accepted revision, with where it stands (nothing
  submitted – a draft counts as nothing –, submitted and waiting, returned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from omk.chunks import chunks
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Report, ReportState, Revision
from omk.services import register
from omk.synthesis.base import Builder, Context
from omk.synthesis.document import Cell, Chapter

#: Where an expected municipality stands (codes; labels below).
REPORTED_ON_TIME = "on_time"
REPORTED_LATE = "late"
NOTHING = "none"
WAITING = "submitted"
RETURNED = "returned"


@dataclass(frozen=True)
class Standing:
    """One expected municipality in the cycle."""

    key: str
    name: str
    status: str  # one of the codes above
    resubmitted: bool  # returned once and then accepted
    first_submitted: datetime | None


@dataclass(frozen=True)
class Counts:
    expected: int
    reported: int
    on_time: int
    late: int
    resubmitted: int
    not_reported: int
    waiting: int
    returned: int


def deadline_end(cycle: Cycle) -> datetime:
    """The last moment of the deadline day (UTC)."""
    return datetime.combine(cycle.deadline + timedelta(days=1), time.min, tzinfo=UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def standings(cycle: Cycle, region: str) -> list[Standing]:
    """Every expected municipality of the cycle in ``region`` with where it stands."""
    end = deadline_end(cycle)
    prefixes = [r.prefix for r in cycle.regions] or [""]
    covered = or_(*(Municipality.key.startswith(p, autoescape=True) for p in prefixes))
    accounts = select(User.municipality_key).where(
        User.role == Role.REPORTER,
        User.municipality_key.is_not(None),
        User.created_at < end,
    )
    submitted = select(Report.municipality_key).where(
        Report.cycle_id == cycle.id, Report.revision_count > 0
    )
    query = (
        select(Municipality, Report)
        .outerjoin(
            Report, and_(Report.municipality_key == Municipality.key, Report.cycle_id == cycle.id)
        )
        .where(
            or_(Municipality.key.in_(accounts), Municipality.key.in_(submitted)),
            Municipality.level.in_([Level.GEMEINDE.value, Level.KREIS.value]),
            covered,
        )
        .order_by(Municipality.key)
    )
    if region:
        query = query.where(Municipality.key.startswith(region, autoescape=True))
    rows = list(db.session.execute(query).unique())
    report_ids = [r.id for _m, r in rows if r is not None]
    history: dict[int, tuple[datetime | None, int]] = {}
    first: datetime | None
    for chunk in chunks(report_ids, 500):
        for report_id, first, returned in db.session.execute(
            select(
                Revision.report_id,
                func.min(Revision.submitted_at),
                func.count(Revision.id).filter(Revision.outcome == "returned"),
            )
            .where(Revision.report_id.in_(chunk))
            .group_by(Revision.report_id)
        ):
            history[report_id] = (_aware(first), int(returned))
    display = register.display_names([m for m, _r in rows])
    out: list[Standing] = []
    for m, report in rows:
        first, returned = history.get(report.id, (None, 0)) if report is not None else (None, 0)
        if report is not None and report.published_revision_id is not None:
            status = REPORTED_ON_TIME if first is not None and first < end else REPORTED_LATE
        elif report is not None and report.revision_count > 0:
            status = RETURNED if report.state == ReportState.RETURNED else WAITING
        else:
            status = NOTHING
        resubmitted = (
            returned > 0 and report is not None and report.published_revision_id is not None
        )
        name = str(display.get(m.key) or m.name)
        out.append(Standing(m.reporting_ags or m.key, name, status, resubmitted, first))
    return out


def counts(found: list[Standing]) -> Counts:
    """The participation figures of the standings."""
    by = [s.status for s in found]
    on_time, late = by.count(REPORTED_ON_TIME), by.count(REPORTED_LATE)
    return Counts(
        expected=len(found),
        reported=on_time + late,
        on_time=on_time,
        late=late,
        resubmitted=sum(1 for s in found if s.resubmitted),
        not_reported=len(found) - on_time - late,
        waiting=by.count(WAITING),
        returned=by.count(RETURNED),
    )


def status_label(status: str) -> str:
    labels = {
        REPORTED_ON_TIME: _("berichtet, fristgerecht"),
        REPORTED_LATE: _("berichtet, nach der Frist"),
        NOTHING: _("nicht berichtet"),
        WAITING: _("eingereicht, noch nicht angenommen"),
        RETURNED: _("zur Überarbeitung zurückgegeben"),
    }
    return str(labels[status])


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def chapter(builder: Builder, context: Context) -> Chapter:
    """Chapter "Beteiligung": the counts, and the names where the reviewer chose to show them."""
    found = standings(context.cycle, context.region)
    c = counts(found)
    chapter = builder.chapter("participation", _("Beteiligung"))
    rows: list[list[Cell]] = [
        [_("Erwartete Kommunen"), c.expected, _share(c.expected, c.expected)],
        [_("Berichtet (angenommener Bericht)"), c.reported, _share(c.reported, c.expected)],
        [_("davon fristgerecht eingereicht"), c.on_time, _share(c.on_time, c.expected)],
        [_("davon nach der Frist eingereicht"), c.late, _share(c.late, c.expected)],
        [
            _("davon zurückgegeben und erneut eingereicht"),
            c.resubmitted,
            _share(c.resubmitted, c.expected),
        ],
        [_("Nicht berichtet"), c.not_reported, _share(c.not_reported, c.expected)],
        [_("davon eingereicht, noch nicht angenommen"), c.waiting, _share(c.waiting, c.expected)],
        [_("davon zur Überarbeitung zurückgegeben"), c.returned, _share(c.returned, c.expected)],
    ]
    table = builder.table(
        chapter,
        "t-participation",
        _("Beteiligung an der Berichtsrunde"),
        [_("Kommunen"), _("Anzahl"), _("Anteil an den erwarteten (%)")],
        rows,
    )
    deadline = format_date(context.cycle.deadline, format="long")
    chapter["paragraphs"].append(
        _(
            "Erwartet wurden Berichte aller Kommunen der Region, die zum Ende der Frist am "
            "%(deadline)s ein Konto für die Berichterstattung hatten oder in der Runde einen "
            "Bericht eingereicht haben. Als berichtet gilt eine Kommune, deren Bericht von der "
            "regionalen Stelle angenommen wurde.",
            deadline=deadline,
        )
    )
    if c.expected:
        builder.message(
            chapter,
            ngettext(
                "%(reported)s von %(num)s erwarteten Kommune hat einen angenommenen Bericht "
                "vorgelegt, %(on_time)s davon fristgerecht.",
                "%(reported)s von %(num)s erwarteten Kommunen haben einen angenommenen Bericht "
                "vorgelegt, %(on_time)s davon fristgerecht.",
                c.expected,
                reported=c.reported,
                on_time=c.on_time,
            ),
            table,
        )
    else:
        chapter["paragraphs"].append(
            _("In dieser Region wurde für die Runde kein Bericht erwartet.")
        )
    if c.resubmitted:
        builder.message(
            chapter,
            ngettext(
                "Ein Bericht wurde zur Überarbeitung zurückgegeben und danach angenommen.",
                "%(num)s Berichte wurden zur Überarbeitung zurückgegeben und danach angenommen.",
                c.resubmitted,
            ),
            table,
        )
    if context.names:
        named = builder.table(
            chapter,
            "t-participation-names",
            _("Beteiligung der einzelnen Kommunen"),
            [_("Schlüssel"), _("Kommune"), _("Stand"), _("erneut eingereicht")],
            [
                [s.key, s.name, status_label(s.status), _("ja") if s.resubmitted else ""]
                for s in sorted(found, key=lambda s: (s.name.casefold(), s.key))
            ],
        )
        chapter["paragraphs"].append(
            _(
                "Tabelle %(number)s nennt jede erwartete Kommune mit ihrem Stand zum Zeitpunkt "
                "dieses Berichts.",
                number=named["number"],
            )
        )
    else:
        chapter["paragraphs"].append(
            _("Dieser Bericht nennt die Beteiligung nur in Zahlen, nicht einzelne Kommunen.")
        )
    return chapter
