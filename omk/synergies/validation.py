"""Good practices, validated with a rubric (``content/synergies/rubric.yaml``).

A reviewer of the practice's region (or the operator) marks each rubric criterion with a mark
and a note, writes a justification and decides: validated as gute Praxis, or not (yet). The
newest validation of a practice counts; every one is audited and kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import select

from omk.errors import FieldError, ValidationFailed
from omk.extensions import db
from omk.models.reporting import Cycle, Report, Revision
from omk.models.synergies import VERDICTS, PracticeValidation
from omk.policy import Action, authorize
from omk.services import audit, outbox, practices
from omk.services.transaction import unit_of_work
from omk.synergies import content, published

MIN_JUSTIFICATION = 20
MAX_TEXT = 10_000


class MarkIn(TypedDict):
    """One criterion's mark and note as typed in."""

    mark: str | int | None
    note: str


@dataclass(frozen=True)
class Validated:
    """A validated practice for lists and the API."""

    version: published.Version
    validation: PracticeValidation


def check(
    marks: Mapping[str, MarkIn], justification: str, verdict: str
) -> tuple[dict[str, dict[str, Any]], list[FieldError]]:
    """The marks as stored, and every problem with the input (all of them, not the first)."""
    rubric = content.rubric()
    errors: list[FieldError] = []
    stored: dict[str, dict[str, Any]] = {}
    for criterion in rubric.criteria:
        typed = marks.get(criterion.code) or MarkIn(mark=None, note="")
        raw = typed.get("mark")
        note = (typed.get("note") or "").strip()
        try:
            mark = int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            mark = None
        if mark is None or mark not in rubric.mark_values:
            errors.append(FieldError(f"marks.{criterion.code}", "Bitte eine Bewertung wählen."))
        if not note:
            errors.append(
                FieldError(f"notes.{criterion.code}", "Bitte die Bewertung kurz begründen.")
            )
        elif len(note) > MAX_TEXT:
            errors.append(FieldError(f"notes.{criterion.code}", "Der Text ist zu lang."))
        stored[criterion.code] = {"mark": mark, "note": note}
    text = justification.strip()
    if len(text) < MIN_JUSTIFICATION:
        errors.append(
            FieldError("justification", "Bitte eine schriftliche Begründung (ein, zwei Sätze).")
        )
    elif len(text) > MAX_TEXT:
        errors.append(FieldError("justification", "Der Text ist zu lang."))
    if verdict not in VERDICTS:
        errors.append(FieldError("verdict", "Bitte das Ergebnis wählen."))
    return stored, errors


def validate(
    user: Any,
    practice_id: str,
    marks: Mapping[str, MarkIn],
    justification: str,
    verdict: str,
) -> PracticeValidation:
    """Record a validation of the practice's newest published version; audited."""
    with unit_of_work():
        lineage = practices.get_published(user, practice_id)  # NotFound unless published
        report = lineage.latest.report
        authorize(Action.PRACTICE_VALIDATE, report, user=user)
        stored, errors = check(marks, justification, verdict)
        if errors:
            raise ValidationFailed(errors)
        row = PracticeValidation(
            practice_id=lineage.practice_id,
            revision_id=lineage.latest.practice.revision_id,
            municipality_key=report.municipality_key,
            rubric_version=content.rubric().version,
            marks=stored,
            justification=justification.strip(),
            verdict=verdict,
            validated_by_id=getattr(user, "id", None),
        )
        db.session.add(row)
        db.session.flush()
        outbox.practice_validated(
            report.id, row.revision_id, report.municipality_key, lineage.practice_id
        )
        audit.record(
            user,
            "practice.validate",
            row,
            to_state=verdict,
            practice=lineage.practice_id,
            municipality=report.municipality_key,
            rubric=row.rubric_version,
        )
    return row


def history(practice_id: str) -> list[PracticeValidation]:
    """Every validation of a practice, newest first."""
    return list(
        db.session.scalars(
            select(PracticeValidation)
            .where(PracticeValidation.practice_id == practice_id)
            .order_by(PracticeValidation.validated_at.desc(), PracticeValidation.id.desc())
        )
    )


def current(
    practice_ids: Iterable[str], *, up_to: Cycle | None = None
) -> dict[str, PracticeValidation]:
    """The newest validation of each practice that has one; with ``up_to`` only validations
    of a version published in that cycle or an earlier one by period end (what a cycle's
    report may count: a later version's validation belongs to the later cycle)."""
    ids = list(practice_ids)
    if not ids:
        return {}
    query = (
        select(PracticeValidation)
        .where(PracticeValidation.practice_id.in_(ids))
        .order_by(PracticeValidation.validated_at.desc(), PracticeValidation.id.desc())
    )
    if up_to is not None:
        query = (
            query.join(Revision, Revision.id == PracticeValidation.revision_id)
            .join(Report, Report.id == Revision.report_id)
            .join(Cycle, Cycle.id == Report.cycle_id)
            .where(Cycle.period_end <= up_to.period_end)
        )
    found: dict[str, PracticeValidation] = {}
    for row in db.session.scalars(query):
        found.setdefault(row.practice_id, row)
    return found


def is_validated(practice_id: str) -> bool:
    """Whether the practice's newest validation makes it a good practice (the search
    index's ``validated`` field)."""
    row = current([practice_id]).get(practice_id)
    return row is not None and row.verdict == "validated"


def good_practices(
    region: str = "", cycle: Cycle | None = None, *, of_cycle: bool = False
) -> list[Validated]:
    """Published practices of the region validated as good practice, newest version of each
    (within the cycle, if given), best marked first. ``of_cycle`` (the synthesis report of
    ``cycle``) counts only validations of a version of that cycle or an earlier one, so a
    validation of a later version does not change an earlier cycle's report."""
    latest = published.latest(region, cycle)
    validations = current((v.practice_id for v in latest), up_to=cycle if of_cycle else None)
    found = [
        Validated(v, validations[v.practice_id])
        for v in latest
        if v.practice_id in validations and validations[v.practice_id].verdict == "validated"
    ]
    found.sort(key=lambda g: (-total_marks(g.validation), g.version.practice.title))
    return found


def total_marks(row: PracticeValidation) -> int:
    """The sum of a validation's marks."""
    return sum(int(m.get("mark") or 0) for m in (row.marks or {}).values())
