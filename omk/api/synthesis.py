"""GET /api/v1/synthesis: a synthesis report as JSON with every table, or as a file.

The newest published version by default (every logged-in user), ``version=N`` for an older
one, ``state=draft`` for the region's reviewers (and the operator). ``format`` asks for a
file instead: pdf, md (Markdown), zip (every table as CSV) or html (printable).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from omk import downloads
from omk.api import bp
from omk.api.openapi import operation
from omk.api.schemas import CycleRegionQuery, Error
from omk.api.validation import query_args
from omk.errors import NotFound
from omk.models.synthesis import SynthesisDraft, SynthesisVersion
from omk.policy import Action, actor, permission
from omk.services import synthesis as service

TAGS = ("Synthesebericht",)


class State(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"


class Format(StrEnum):
    JSON = "json"
    PDF = "pdf"
    MD = "md"
    ZIP = "zip"
    HTML = "html"


class SynthesisQuery(CycleRegionQuery):
    """A cycle and a region; a version or the draft; the answer's format."""

    version: int | None = Field(
        None, ge=1, le=100_000, description="Veröffentlichte Fassung; ohne: die neueste"
    )
    state: State = Field(
        State.PUBLISHED,
        description="published: veröffentlichte Fassung; draft: der Entwurf (nur für die "
        "Prüfstellen der Region)",
    )
    format: Format = Field(
        Format.JSON,
        description="json (mit allen Tabellen) oder eine Datei: pdf, md, zip (CSV), html",
    )


class TableOut(BaseModel):
    id: str
    number: int
    title: str
    chapter: str = Field(description="id des Kapitels")
    columns: list[str]
    rows: list[list[str | float | int | None]]
    csv_name: str


class SynthesisOut(BaseModel):
    cycle: str
    region: str = Field(description="AGS-Präfix; leer: Deutschland")
    region_name: str
    state: State
    version: int | None = Field(description="Nummer der Fassung; beim Entwurf: null")
    versions: list[int] = Field(description="Alle veröffentlichten Fassungen, neueste zuerst")
    published_at: datetime | None
    generated_at: datetime | None
    names_shown: bool = Field(description="Die Beteiligung nennt Kommunen mit Namen")
    introduction: str = Field(description="Einleitung (Markdown)")
    comments: dict[str, str] = Field(description="Kommentar je Kapitel-id (Markdown)")
    tables: list[TableOut] = Field(description="Jede Tabelle des Berichts")
    document: dict[str, Any] = Field(
        description="Der vollständige Bericht: Kapitel mit Absätzen, Tabellen, Abbildungen "
        "(SVG) und Kernaussagen"
    )


def _record(args: SynthesisQuery) -> SynthesisDraft | SynthesisVersion:
    user = actor()
    if args.state == State.DRAFT:
        _cycle, draft = service.find_draft(user, args.cycle, args.region)
        if draft is None or draft.document is None:
            raise NotFound("Für diese Runde und Region ist noch kein Entwurf erzeugt.")
        return draft
    return service.published(user, args.cycle, args.region, args.version)


def _tables(document: dict[str, Any]) -> list[TableOut]:
    return [
        TableOut(chapter=str(chapter["id"]), **table)
        for chapter in document.get("chapters", [])
        for table in chapter.get("tables", [])
    ]


@bp.get("/synthesis")
@permission(Action.SYNTHESIS_READ, per_object=True)
@operation(
    "get",
    "/api/v1/synthesis",
    "Synthesebericht einer Runde und Region: die neueste veröffentlichte Fassung (oder "
    "version=N, oder state=draft für die Prüfstellen der Region) als JSON mit allen Tabellen "
    "oder als Datei (format=pdf, md, zip, html)",
    query=SynthesisQuery,
    responses={200: SynthesisOut, 401: Error, 403: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def get_synthesis() -> ResponseReturnValue:
    args = query_args(SynthesisQuery)
    record = _record(args)
    if args.format != Format.JSON:
        data, name, mimetype = service.rendered_file(record, args.format.value)
        return downloads.attachment(data, name, mimetype)
    document: dict[str, Any] = record.document or {}
    is_version = isinstance(record, SynthesisVersion)
    body = SynthesisOut(
        cycle=record.cycle.code,
        region=record.region,
        region_name=service.region_name(record.region),
        state=State.PUBLISHED if is_version else State.DRAFT,
        version=record.number if isinstance(record, SynthesisVersion) else None,
        versions=[v.number for v in service.versions(record.cycle, record.region)],
        published_at=record.published_at if isinstance(record, SynthesisVersion) else None,
        generated_at=record.generated_at,
        names_shown=record.names_shown,
        introduction=record.introduction or "",
        comments=dict(record.comments or {}),
        tables=_tables(document),
        document=document,
    )
    return jsonify(body.model_dump(mode="json"))
