"""Synthesis reports: the shared draft of a cycle and region, and its published versions.

The region's reviewers (and the operator, for any region and for Germany) generate the
document on demand (:func:`generate`), write an introduction and a comment per chapter
(:func:`save_texts`, with an edit check: a stale write is refused, never merged silently) and
publish (:func:`publish`): the document and the texts are copied into a new
:class:`SynthesisVersion`, frozen from then on. Later corrections of reports change the next
generated draft, never a published version. Every logged-in user reads published versions;
drafts only those who manage them. Every generate, edit and publish is audited.

Generating reads a whole region and takes seconds: it runs before the write transaction opens,
so that it never holds the database's write lock.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from omk import synthesis as producer
from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle
from omk.models.synthesis import SynthesisDraft, SynthesisVersion
from omk.models.types import utcnow
from omk.policy import Action, authorize, can
from omk.services import audit, cycles
from omk.services.transaction import lock, unit_of_work
from omk.synthesis import ChapterTexts, SynthesisDocument

#: A region in a URL: a Land (2 digits), a Regierungsbezirk (3), a Kreis (5) or ``de``.
GERMANY_SEGMENT = "de"
_REGION = re.compile(r"\A(?:[0-9]{2}|[0-9]{3}|[0-9]{5})?\Z")
_REGION_LEVELS = {2: Level.LAND, 3: Level.REGIERUNGSBEZIRK, 5: Level.KREIS}
_CHAPTER_ID = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,59}\Z")
MAX_TEXT = 20_000  # characters per introduction or comment
MAX_COMMENTS = 40

Progress = Callable[[str], None]

_EDITED_MEANWHILE = msg(
    "Jemand anderes hat den Entwurf inzwischen geändert. Ihre Eingaben sind nicht verloren: "
    "sie stehen unten noch einmal. Bitte vergleichen Sie sie mit der gespeicherten Fassung "
    "und speichern Sie dann erneut."
)


def valid_region(region: str) -> bool:
    """Whether ``region`` is an AGS prefix a synthesis can be made for ('' is Germany)."""
    return bool(_REGION.match(region))


def region_from_segment(segment: str) -> str:
    """The region a URL names (``de``: Germany, '')."""
    if segment == GERMANY_SEGMENT:
        return ""
    if not segment or not valid_region(segment):
        raise NotFound(msg("Diese Region gibt es nicht."))
    return segment


def region_segment(region: str) -> str:
    """The URL segment of a region (Germany: ``de``)."""
    return region or GERMANY_SEGMENT


def region_name(region: str) -> str:
    """The register name of the region, or Deutschland."""
    if not region:
        return str(msg("Deutschland"))
    entry = db.session.get(Municipality, region)
    return entry.name if entry is not None else region


def _cycle(user: Any, code: str) -> Cycle:
    """A cycle the user may see (others do not exist for it)."""
    for cycle in cycles.visible_cycles(user) if user is not None else cycles.all_cycles():
        if cycle.code == code:
            return cycle
    raise NotFound(msg("Die Berichtsrunde %(code)s gibt es nicht.", code=repr(code)))


def check_region(cycle: Cycle, region: str) -> None:
    """NotFound unless the region exists in the register and the cycle touches it."""
    if not valid_region(region):
        raise NotFound(msg("Diese Region gibt es nicht."))
    if region:
        entry = db.session.get(Municipality, region)
        if entry is None or entry.level != _REGION_LEVELS[len(region)]:
            raise NotFound(msg("Diese Region gibt es nicht."))
    if not any(p.startswith(region) or region.startswith(p) for p in cycle.prefixes):
        raise NotFound(
            msg("Die Berichtsrunde %(code)s umfasst diese Region nicht.", code=cycle.code)
        )


def texts_of(record: SynthesisDraft | SynthesisVersion) -> ChapterTexts:
    """The introduction and chapter comments of a draft or version."""
    return {"introduction": record.introduction or "", "comments": dict(record.comments or {})}


def chapter_ids(document: SynthesisDocument | dict[str, Any] | None) -> list[str]:
    """The ids of a document's chapters, in order."""
    if not document:
        return []
    return [str(c["id"]) for c in document.get("chapters", [])]


# --- the draft ------------------------------------------------------------------------------


def find_draft(user: Any, cycle_code: str, region: str) -> tuple[Cycle, SynthesisDraft | None]:
    """The cycle and the region's draft (None before anybody generated or wrote one), for
    those who manage the region's synthesis."""
    cycle = _cycle(user, cycle_code)
    check_region(cycle, region)
    authorize(Action.SYNTHESIS_MANAGE, region, user=user)
    draft = db.session.scalar(
        select(SynthesisDraft).where(
            SynthesisDraft.cycle_id == cycle.id, SynthesisDraft.region == region
        )
    )
    return cycle, draft


def _locked_draft(user: Any, cycle: Cycle, region: str) -> SynthesisDraft:
    """The region's draft locked for the unit of work in progress (created when missing)."""
    draft_id = db.session.scalar(
        select(SynthesisDraft.id).where(
            SynthesisDraft.cycle_id == cycle.id, SynthesisDraft.region == region
        )
    )
    if draft_id is not None:
        found = lock(SynthesisDraft, draft_id)
        assert found is not None  # drafts are never deleted
        return found
    draft = SynthesisDraft(
        cycle_id=cycle.id,
        region=region,
        introduction="",
        comments={},
        names_shown=False,
        edit_version=1,
        updated_by_id=getattr(user, "id", None),
    )
    db.session.add(draft)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another reviewer created it at the same moment
        raise Conflict(_EDITED_MEANWHILE) from exc
    return draft


def generate(
    user: Any, cycle_code: str, region: str, *, progress: Progress | None = None
) -> SynthesisDraft:
    """Generate (or regenerate) the draft's document from the published reports now."""
    cycle = _cycle(user, cycle_code)
    check_region(cycle, region)
    authorize(Action.SYNTHESIS_MANAGE, region, user=user)
    code = cycle.code
    with_names = producer.build(code, region, names=True, progress=progress)
    counts_only = producer.build(code, region, names=False)
    db.session.rollback()  # end the read transaction: the write below starts afresh
    with unit_of_work():
        cycle = _cycle(user, code)
        draft = _locked_draft(user, cycle, region)
        draft.document = cast(dict[str, Any], with_names)
        draft.document_counts_only = cast(dict[str, Any], counts_only)
        now = utcnow()
        draft.generated_at = now
        draft.generated_by_id = getattr(user, "id", None)
        draft.updated_at = now
        draft.updated_by_id = getattr(user, "id", None)
        draft.edit_version = (draft.edit_version or 0) + 1
        audit.record(
            user,
            "synthesis.generate",
            draft,
            cycle=code,
            region=region,
            edit_version=draft.edit_version,
        )
    return draft


def _checked_texts(
    introduction: str, comments: dict[str, str], chapters: list[str]
) -> tuple[str, dict[str, str]]:
    errors: list[FieldError] = []
    if len(introduction) > MAX_TEXT:
        errors.append(FieldError("introduction", msg("Höchstens %(n)d Zeichen.", n=MAX_TEXT)))
    kept: dict[str, str] = {}
    if len(comments) > MAX_COMMENTS:
        errors.append(FieldError("comments", msg("Zu viele Kommentare.")))
    for chapter, text in comments.items():
        if not _CHAPTER_ID.match(chapter) or chapter not in chapters:
            errors.append(
                FieldError(f"comments.{chapter[:60]}", msg("Dieses Kapitel gibt es nicht."))
            )
        elif len(text) > MAX_TEXT:
            errors.append(
                FieldError(f"comments.{chapter}", msg("Höchstens %(n)d Zeichen.", n=MAX_TEXT))
            )
        elif text.strip():
            kept[chapter] = text.strip()
    if errors:
        raise ValidationFailed(errors)
    return introduction.strip(), kept


@contextmanager
def _checked_draft(
    user: Any, cycle_code: str, region: str, edit_version: int
) -> Iterator[tuple[Cycle, SynthesisDraft]]:
    """A unit of work on the region's draft, locked, for those who manage it; Conflict when
    somebody changed it since ``edit_version`` was read."""
    cycle = _cycle(user, cycle_code)
    check_region(cycle, region)
    authorize(Action.SYNTHESIS_MANAGE, region, user=user)
    with unit_of_work():
        cycle = _cycle(user, cycle_code)
        draft = _locked_draft(user, cycle, region)
        if edit_version != draft.edit_version:
            raise Conflict(_EDITED_MEANWHILE)
        yield cycle, draft


def save_texts(
    user: Any,
    cycle_code: str,
    region: str,
    *,
    introduction: str,
    comments: dict[str, str],
    names_shown: bool,
    edit_version: int,
) -> SynthesisDraft:
    """Save the introduction, the chapter comments and the names choice; Conflict when
    somebody changed the draft since ``edit_version`` was read (nothing is written then)."""
    with _checked_draft(user, cycle_code, region, edit_version) as (cycle, draft):
        intro, kept = _checked_texts(introduction, comments, chapter_ids(draft.document))
        changed = (intro, kept, names_shown) != (
            draft.introduction,
            dict(draft.comments or {}),
            draft.names_shown,
        )
        if not changed:
            return draft
        draft.introduction = intro
        draft.comments = kept
        draft.names_shown = names_shown
        draft.updated_at = utcnow()
        draft.updated_by_id = getattr(user, "id", None)
        draft.edit_version += 1
        audit.record(
            user,
            "synthesis.edit",
            draft,
            cycle=cycle.code,
            region=region,
            edit_version=draft.edit_version,
            chapters=sorted(kept),
            names_shown=names_shown,
        )
    return draft


def publish(user: Any, cycle_code: str, region: str, *, edit_version: int) -> SynthesisVersion:
    """Publish the draft as the next version, frozen: its document (with names only where
    the reviewers chose so) and texts are copied. Conflict when the draft changed since
    ``edit_version`` was read or was never generated."""
    with _checked_draft(user, cycle_code, region, edit_version) as (cycle, draft):
        document = draft.document if draft.names_shown else draft.document_counts_only
        if document is None:
            raise Conflict(msg("Bitte erzeugen Sie den Bericht, bevor Sie ihn veröffentlichen."))
        number = (
            db.session.scalar(
                select(func.max(SynthesisVersion.number)).where(
                    SynthesisVersion.cycle_id == cycle.id, SynthesisVersion.region == region
                )
            )
            or 0
        ) + 1
        version = SynthesisVersion(
            cycle_id=cycle.id,
            region=region,
            number=number,
            document=document,
            introduction=draft.introduction,
            comments=dict(draft.comments or {}),
            names_shown=draft.names_shown,
            generated_at=draft.generated_at,
            published_at=utcnow(),
            published_by_id=getattr(user, "id", None),
        )
        db.session.add(version)
        draft.edit_version += 1
        draft.updated_at = utcnow()
        db.session.flush()
        audit.record(
            user,
            "synthesis.publish",
            version,
            to_state="published",
            cycle=cycle.code,
            region=region,
            number=number,
            names_shown=draft.names_shown,
        )
    return version


# --- files ----------------------------------------------------------------------------------

#: Downloads: format → (file extension, MIME type).
FORMATS = {
    "pdf": ("pdf", "application/pdf"),
    "md": ("md", "text/markdown; charset=utf-8"),
    "zip": ("zip", "application/zip"),
    "html": ("html", "text/html; charset=utf-8"),
}


def rendered_file(record: SynthesisDraft | SynthesisVersion, fmt: str) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of a draft or version as pdf, md, zip (CSV) or html
    (one printable page), rendered from the stored document: a version never changes."""
    document = cast(SynthesisDocument | None, record.document)
    if document is None:
        raise NotFound(msg("Der Entwurf ist noch nicht erzeugt."))
    texts = texts_of(record)
    if fmt == "pdf" and isinstance(record, SynthesisVersion):
        data = _cached_pdf(record, document, texts)
    elif fmt == "pdf":
        data = producer.to_pdf(document, texts)
    elif fmt == "md":
        data = producer.to_markdown(document, texts).encode("utf-8")
    elif fmt == "zip":
        data = producer.to_csv_zip(document)
    else:
        data = str(producer.to_html(document, texts, standalone=True)).encode("utf-8")
    extension, mimetype = FORMATS[fmt]
    suffix = f"v{record.number}" if isinstance(record, SynthesisVersion) else "entwurf"
    name = (
        f"Synthesebericht_{record.cycle.code}_{region_segment(record.region)}_{suffix}.{extension}"
    )
    return data, name, mimetype


def _cached_pdf(
    version: SynthesisVersion, document: SynthesisDocument, texts: ChapterTexts
) -> bytes:
    """A published version's PDF, made once per version, language and renderer: a version
    never changes, and WeasyPrint takes seconds of CPU for a Land (instance/synthesis-pdf/)."""
    locale = str(get_locale() or "de")
    folder = Path(current_app.instance_path) / "synthesis-pdf"
    path = folder / f"{version.id}-{locale}-{_renderer_fingerprint()}.pdf"
    if path.is_file():
        return path.read_bytes()
    data = producer.to_pdf(document, texts)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a reader never sees half a file
    return data


@cache
def _renderer_fingerprint() -> str:
    """A digest of what lays out a PDF (the producer's code, stylesheet and templates): a new
    release that changes any of them makes new files instead of serving old ones."""
    digest = hashlib.sha256()
    package = Path(producer.__file__).parent
    templates = Path(current_app.root_path) / "templates" / "synthesis"
    for path in sorted(
        [*package.glob("*.py"), *package.glob("*.css"), *templates.glob("document*")]
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- published versions ---------------------------------------------------------------------


def published(
    user: Any, cycle_code: str, region: str, number: int | None = None
) -> SynthesisVersion:
    """A published version (the newest without ``number``), for every logged-in user."""
    cycle = _cycle(user, cycle_code)
    check_region(cycle, region)
    query = select(SynthesisVersion).where(
        SynthesisVersion.cycle_id == cycle.id, SynthesisVersion.region == region
    )
    if number is not None:
        query = query.where(SynthesisVersion.number == number)
    version = db.session.scalar(query.order_by(SynthesisVersion.number.desc()).limit(1))
    if version is None:
        raise NotFound(msg("Für diese Runde und Region ist kein Synthesebericht veröffentlicht."))
    authorize(Action.SYNTHESIS_READ, version, user=user)
    return version


@dataclass(frozen=True)
class VersionInfo:
    """One published version in a list."""

    number: int
    published_at: Any


def versions(cycle: Cycle, region: str) -> list[VersionInfo]:
    """Every published version of a cycle and region, newest first."""
    rows = db.session.execute(
        select(SynthesisVersion.number, SynthesisVersion.published_at)
        .where(SynthesisVersion.cycle_id == cycle.id, SynthesisVersion.region == region)
        .order_by(SynthesisVersion.number.desc())
    )
    return [VersionInfo(number, at) for number, at in rows]


@dataclass(frozen=True)
class Entry:
    """A synthesis in the overview: a cycle and region, with its newest version (if any)."""

    cycle: Cycle
    region: str
    name: str
    latest: int | None
    published_at: Any
    draft_updated_at: Any = None
    has_document: bool = False


@dataclass(frozen=True)
class Overview:
    """What the overview shows a user: published syntheses, and the drafts it manages."""

    published: list[Entry]
    drafts: list[Entry]
    #: Cycles and regions the user may start a synthesis for (its own region per cycle).
    startable: list[Entry]


def overview(user: Any) -> Overview:
    """Published syntheses of the cycles the user sees; the drafts of regions it manages."""
    visible = {c.id: c for c in cycles.visible_cycles(user)}
    newest = (
        select(
            SynthesisVersion.cycle_id,
            SynthesisVersion.region,
            func.max(SynthesisVersion.number).label("number"),
        )
        .group_by(SynthesisVersion.cycle_id, SynthesisVersion.region)
        .subquery()
    )
    rows = db.session.execute(
        select(SynthesisVersion).join(
            newest,
            (SynthesisVersion.cycle_id == newest.c.cycle_id)
            & (SynthesisVersion.region == newest.c.region)
            & (SynthesisVersion.number == newest.c.number),
        )
    ).scalars()
    published_entries = [
        Entry(visible[v.cycle_id], v.region, region_name(v.region), v.number, v.published_at)
        for v in rows
        if v.cycle_id in visible
    ]
    published_entries.sort(key=lambda e: (-e.cycle.period_end.toordinal(), e.region))
    drafts: list[Entry] = []
    if can(user, Action.SYNTHESIS_MANAGE):
        latest = {(e.cycle.id, e.region): e for e in published_entries}
        for draft in db.session.scalars(select(SynthesisDraft)):
            if draft.cycle_id in visible and can(user, Action.SYNTHESIS_MANAGE, draft):
                known = latest.get((draft.cycle_id, draft.region))
                drafts.append(
                    Entry(
                        visible[draft.cycle_id],
                        draft.region,
                        region_name(draft.region),
                        known.latest if known else None,
                        known.published_at if known else None,
                        draft.updated_at,
                        draft.document is not None,
                    )
                )
        drafts.sort(key=lambda e: (-e.cycle.period_end.toordinal(), e.region))
    startable: list[Entry] = []
    own = _own_region(user)
    if own is not None:
        have = {(e.cycle.id, e.region) for e in drafts}
        for cycle in visible.values():
            try:
                check_region(cycle, own)
            except NotFound:
                continue
            if (cycle.id, own) not in have:
                startable.append(Entry(cycle, own, region_name(own), None, None))
        startable.sort(key=lambda e: -e.cycle.period_end.toordinal())
    return Overview(published_entries, drafts, startable)


def _own_region(user: Any) -> str | None:
    """The region a user manages syntheses for by default: a reviewer's scope, the
    operator's Germany; None for everybody else."""
    if not can(user, Action.SYNTHESIS_MANAGE):
        return None
    scope = getattr(user, "scope", None)
    region = "" if getattr(user, "role", None) == "admin" else (scope or "")
    return region if valid_region(region) and can(user, Action.SYNTHESIS_MANAGE, region) else None
