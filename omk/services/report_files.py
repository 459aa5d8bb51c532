"""Report files: the Excel workbook of a draft (or a cycle's blank template), and uploads of a
workbook or an ``omk-report/1`` JSON file into the draft.

An upload is converted to an exchange document and goes through the same validation and the
same write as the forms and the API (:func:`omk.services.reports.check` and
:func:`omk.services.reports.save_document`): it fills the draft, never submits it, and saves
nothing when anything is wrong. Errors of a workbook name their sheet, row and column.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from omk import exchange, workbook
from omk.content import ReportTemplate
from omk.document_types import ReportDocument, validated
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.messages import Message, msg
from omk.models.register import Municipality
from omk.models.reporting import STATE_LABELS, Cycle, Report, ReportState
from omk.policy import Action, Actor, authorize
from omk.services import cycles, reports

log = logging.getLogger("omk.report_files")

_BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Target:
    """The report a file belongs to: cycle, municipality and the report, once started."""

    cycle: Cycle
    municipality: Municipality
    report: Report | None

    @property
    def ags(self) -> str:
        return self.municipality.reporting_ags or self.municipality.key

    @property
    def policy_target(self) -> Any:
        """What the policy is asked about: the report, or the municipality's key before it."""
        return self.report if self.report is not None else self.municipality.key


def target(cycle_code: str, ags: str) -> Target:
    """The cycle, municipality and (if started) report of a URL; NotFound if there is none."""
    cycle = cycles.get_cycle(cycle_code)
    municipality = reports.resolve_municipality(ags)
    return Target(cycle, municipality, reports.find_report(cycle, municipality.key))


def _template(t: Target) -> ReportTemplate:
    if t.report is not None:
        return reports.template_of(t.report)
    return reports.content().template(t.cycle.template_version)


def _current(t: Target) -> ReportDocument:
    if t.report is not None:
        return reports.working_document(t.report)
    return workbook.empty_document(t.ags, t.cycle.code)


def _fingerprint_key() -> bytes:
    """The key of the workbook's hidden fingerprints, derived from the app's secret key."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, b"omk-workbook-fingerprints", hashlib.sha256).digest()


def _now() -> str:
    return datetime.now(_BERLIN).strftime("%d.%m.%Y %H:%M")


# --- downloads -------------------------------------------------------------------------------


def draft_workbook(actor: Actor | None, t: Target) -> tuple[str, bytes]:
    """The workbook of a municipality's draft (empty before the report is started)."""
    authorize(Action.REPORT_READ_DRAFT, t.policy_target, user=actor)
    if t.report is None and not cycles.covers(t.cycle, t.municipality.key):
        raise NotFound(
            msg(
                "Die Runde %(code)s umfasst %(name)s nicht.",
                code=t.cycle.code,
                name=t.municipality.name,
            )
        )
    from omk.synergies import learning  # the synergies package imports the services

    doc = _current(t)
    info = workbook.WorkbookInfo(
        cycle=t.cycle.code,
        municipality=t.ags,
        template_version=_template(t).version,
        base=workbook.content_hash(doc),
        municipality_name=t.municipality.name,
        cycle_title=t.cycle.title,
        created_at=_now(),
        fingerprints=workbook.fingerprints(doc, _fingerprint_key()),
        origin_titles=learning.origin_titles(doc),
    )
    data = workbook.build_workbook(doc, reports.content(), _template(t), info)
    log.info(
        "user=%s downloaded the draft workbook of %s/%s",
        getattr(actor, "id", None),
        t.cycle.code,
        t.ags,
    )
    return f"omk-bericht-{t.cycle.code}-{t.ags}.xlsx", data


def blank_workbook(actor: Actor | None, cycle: Cycle) -> tuple[str, bytes]:
    """The empty workbook of a cycle, for any reporter whose municipality the cycle covers."""
    key = getattr(actor, "municipality_key", None)
    if not key:
        raise NotFound(msg("Ihr Konto ist keiner Kommune zugeordnet."))
    authorize(Action.REPORT_EDIT, key, user=actor)
    if not cycles.covers(cycle, key):
        raise NotFound(msg("Die Runde %(code)s umfasst Ihre Kommune nicht.", code=cycle.code))
    template = reports.content().template(cycle.template_version)
    info = workbook.WorkbookInfo(
        cycle=cycle.code,
        municipality="",
        template_version=template.version,
        base=workbook.content_hash(workbook.empty_document("", cycle.code)),
        cycle_title=cycle.title,
        created_at=_now(),
    )
    empty = workbook.empty_document("", cycle.code)
    return f"omk-vorlage-{cycle.code}.xlsx", workbook.build_workbook(
        empty, reports.content(), template, info
    )


# --- uploads ---------------------------------------------------------------------------------


class DraftChanged(Conflict):
    """Someone changed the draft since the workbook was made, and the upload would undo that;
    replacing needs a confirmation. ``paths`` names what would be lost."""

    def __init__(self, message: str, paths: list[str], described: list[str]) -> None:
        super().__init__(message)
        self.paths = paths
        self.described = described


def describe(paths: list[str], doc: ReportDocument, template: ReportTemplate) -> list[str]:
    """Document paths in words (:func:`omk.exchange.describe`); the fields of one practice
    are named together: Maßnahme „Sprachcafé“ – Titel, Ergebnisse."""
    content = reports.content()
    out: list[str] = []
    fields: dict[str, list[str]] = {}
    for path in paths:
        match = re.match(r"^(practices\[[^\]]+\])\.([a-z_]+)", path)
        if match is None:
            out.append(exchange.describe(path, doc, content, template))
            continue
        label = exchange.practice_field_label(match.group(2), template)
        fields.setdefault(match.group(1), []).append(label)
    for ref, labels in fields.items():
        shown = ", ".join(labels[:4]) + (" …" if len(labels) > 4 else "")
        out.append(f"{exchange.describe(ref, doc, content, template)} – {shown}")
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Changes:
    """What an upload changed in the draft, counted."""

    indicators: int = 0
    links: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.indicators + self.links + self.added + self.changed + self.removed


@dataclass(frozen=True)
class UploadResult:
    report: Report
    changed: bool
    changes: Changes
    kind: str  # "xlsx" or "json"


def count_changes(old: ReportDocument, new: ReportDocument) -> Changes:
    """Count the changes between two documents (practices matched by id)."""
    indicators = links = added = removed = 0
    changed: set[str] = set()
    for change in exchange.diff(old, new):
        path = change["field"]
        if path.startswith("indicators."):
            indicators += 1
        elif path.startswith("indicator_practices."):
            links += 1
        elif match := re.match(r"^practices\[([^\]]+)\](.*)$", path):
            if match.group(2):
                changed.add(match.group(1))
            elif change["old"] is None:
                added += 1
            else:
                removed += 1
    return Changes(indicators, links, added, len(changed), removed)


def upload_limit() -> int:
    """The largest file the upload accepts, in bytes."""
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def size_label(size: int) -> str:
    """A size for people: "4 MB", "500 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, size // 1024)} KB"


def _fail(message: str, location: str | None = None) -> ValidationFailed:
    where = msg("Datei") if location is None else location
    return ValidationFailed([FieldError("file", message, where)], message)


def file_kind(filename: str, data: bytes) -> str:
    """ "xlsx" or "json", by the name's extension and the content; ValidationFailed otherwise."""
    name = (filename or "").strip().lower()
    if name.endswith((".xls", ".ods", ".xlsm", ".csv")):
        raise _fail(
            msg(
                "Bitte laden Sie eine Excel-Arbeitsmappe (.xlsx) oder eine JSON-Datei hoch. "
                "Speichern Sie die Datei dazu als „Excel-Arbeitsmappe (.xlsx)“."
            )
        )
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    raise _fail(msg("Bitte laden Sie eine Excel-Arbeitsmappe (.xlsx) oder eine JSON-Datei hoch."))


def _json_document(data: bytes) -> Any:
    try:
        return exchange.parse_json(data, where="file", subject="Die Datei")
    except ValidationFailed as exc:
        for error in exc.errors:
            error.location = error.location or msg("Datei")
        raise ValidationFailed(exc.errors, exc.errors[0].message) from None


def _state_problem(t: Target) -> str | None:
    if t.report is None:
        if t.cycle.status != "open":
            return msg("Diese Berichtsrunde ist geschlossen.")
        if not cycles.covers(t.cycle, t.municipality.key):
            return msg(
                "Die Runde %(code)s umfasst %(name)s nicht.",
                code=t.cycle.code,
                name=t.municipality.name,
            )
        return None
    if t.report.state in reports.EDITABLE:
        return None
    label = STATE_LABELS.get(ReportState(t.report.state), t.report.state)
    return msg(
        "Der Bericht ist im Zustand „%(state)s“ und kann gerade nicht bearbeitet werden; "
        "eine Datei lässt sich erst wieder hochladen, wenn er zurückgegeben oder zur Korrektur "
        "geöffnet ist.",
        state=Message(label),  # a state label, translated as the pages translate it
    )


def editable_problem(actor: Actor | None, t: Target) -> str | None:
    """Why no file can be uploaded into this report now (None when it can)."""
    authorize(Action.REPORT_EDIT, t.policy_target, user=actor)
    return _state_problem(t)


def upload(
    actor: Actor | None,
    t: Target,
    filename: str,
    data: bytes,
    *,
    edit_version: int | None,
    replace: bool = False,
) -> UploadResult:
    """Fill the draft from an uploaded workbook or JSON document.

    ValidationFailed lists every problem (for a workbook with sheet, row and column) and
    nothing is saved; Conflict when the report is not editable or was saved meanwhile;
    DraftChanged when a workbook was made from another state of the draft and ``replace`` is
    not confirmed."""
    authorize(Action.REPORT_EDIT, t.policy_target, user=actor)
    problem = _state_problem(t)
    if problem:
        raise Conflict(problem)
    if not data:
        raise _fail(msg("Die Datei ist leer."))
    if len(data) > upload_limit():
        raise _fail(
            msg("Die Datei ist zu groß (höchstens %(size)s).", size=size_label(upload_limit()))
        )
    kind = file_kind(filename, data)
    template = _template(t)
    current = _current(t)
    if kind == "xlsx":
        doc = _workbook_document(t, template, current, data, replace=replace)
    else:
        doc = _json_document(data)
        reports.check(doc, template, t.municipality, t.cycle)
    report = t.report
    if report is None:
        report = reports.start_report(actor, t.cycle, t.municipality)
        edit_version = None
    changed = reports.save_document(actor, report, doc, edit_version=edit_version)
    new = reports.working_document(report)
    log.info(
        "user=%s uploaded %s into the draft of %s/%s (changed=%s)",
        getattr(actor, "id", None),
        kind,
        t.cycle.code,
        t.ags,
        changed,
    )
    return UploadResult(report, changed, count_changes(current, new), kind)


def _workbook_document(
    t: Target,
    template: ReportTemplate,
    current: ReportDocument,
    data: bytes,
    *,
    replace: bool,
) -> ReportDocument:
    """The workbook's document, validated for the target (ValidationFailed otherwise)."""
    try:
        result = workbook.read_workbook(
            data,
            reports.content(),
            template,
            cycle=t.cycle.code,
            municipality=t.ags,
            current=current,
            assign_ids=reports.assign_ids,
        )
    except workbook.UnreadableWorkbook as exc:
        raise _fail(exc.message) from None
    if result.document is None:
        errors = result.locate([])
        raise ValidationFailed(errors, errors[0].message if errors else "")
    from omk.synergies import learning  # the synergies package imports the services

    # origins named by title and municipality, as the practice form picks them
    validation: list[FieldError] = learning.resolve_origins(result.document)
    try:
        reports.check(result.document, template, t.municipality, t.cycle)
    except ValidationFailed as exc:
        # one error per origin: an unresolved title is the problem, not the missing key
        # ("Pflichtfeld fehlt.") that the schema then finds in the same ``adopted_from``
        origins = {v.field.removesuffix(".practice") for v in validation}
        validation += [
            e
            for e in exc.errors
            if e.field not in {v.field for v in validation}
            and not any(e.field == o or e.field.startswith(o + ".") for o in origins)
        ]
    errors = result.locate(validation)
    if errors:
        raise ValidationFailed(
            errors, msg("Die Arbeitsmappe enthält Fehler; es wurde nichts gespeichert.")
        )
    if not replace and result.meta.get("base") != workbook.content_hash(current):
        _check_lost_changes(result, template, current)
    return validated(result.document)


def _check_lost_changes(
    result: workbook.ReadResult, template: ReportTemplate, current: ReportDocument
) -> None:
    """DraftChanged if the draft changed since the download in a way the upload would undo
    (changes the user made with an earlier upload of the same workbook are kept by it)."""
    key = _fingerprint_key()
    uploaded = exchange.canonical(result.document or {}, template)
    lost = workbook.overwritten(
        result.fingerprints,
        workbook.fingerprints(current, key),
        workbook.fingerprints(uploaded, key),
    )
    if not lost:
        return
    described = describe(lost, current, template)
    if not result.meta.get("municipality"):
        raise DraftChanged(
            msg(
                "Diese Arbeitsmappe ist die leere Vorlage der Runde, Ihr Entwurf enthält aber "
                "schon Angaben. Beim Hochladen ersetzt die Arbeitsmappe den ganzen Entwurf. "
                "Bitte bestätigen Sie das, oder laden Sie die Arbeitsmappe Ihres Entwurfs "
                "herunter."
            ),
            lost,
            described,
        )
    raise DraftChanged(
        msg(
            "Der Entwurf wurde geändert, seit diese Arbeitsmappe heruntergeladen wurde "
            "(Stand der Arbeitsmappe: %(created)s). "
            "Beim Hochladen würde sie diese Änderungen überschreiben. Laden Sie die "
            "Arbeitsmappe neu herunter und übertragen Sie Ihre Änderungen – oder bestätigen "
            "Sie, dass die Arbeitsmappe den Entwurf ersetzen soll.",
            created=result.meta.get("created_at") or msg("unbekannt"),
        ),
        lost,
        described,
    )
