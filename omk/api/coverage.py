"""GET /api/v1/coverage: the coverage matrix of a cycle and region (published reports only)."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from omk.api import bp
from omk.api.openapi import operation
from omk.api.schemas import CycleRegionQuery, Error
from omk.api.validation import query_args
from omk.compare.coverage import Dimension
from omk.content import Content
from omk.policy import Action, actor, permission
from omk.services import coverage

TAGS = ("Vergleich",)


class CoverageQuery(CycleRegionQuery):
    """A cycle, a region (AGS prefix) and what the columns are."""

    dimension: Dimension = Field(
        Dimension.RECOMMENDATIONS,
        description="Spalten: Handlungsempfehlungen (A1–C4), Handlungsfelder oder Kriterien",
    )


class CoverageRow(BaseModel):
    ags: str
    name: str
    cells: dict[str, list[str]] = Field(
        description="Je Spalte die ids der veröffentlichten Maßnahmen (leer: keine)"
    )
    gaps: list[str] = Field(
        description="Spalten, die mehr als die Hälfte der Vergleichskommunen umsetzt, "
        "diese Kommune aber nicht"
    )


class CoverageResult(BaseModel):
    columns: list[str]
    rows: list[CoverageRow]


@bp.get("/coverage")
@permission(Action.COMPARE_READ)
@operation(
    "get",
    "/api/v1/coverage",
    "Abdeckung: welche Kommune setzt welche Handlungsempfehlung mit welchen Maßnahmen um, "
    "mit Lücken (nur veröffentlichte Berichte)",
    query=CoverageQuery,
    responses={200: CoverageResult, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def get_coverage() -> ResponseReturnValue:
    args = query_args(CoverageQuery)
    content: Content = current_app.extensions["omk_content"]
    result = coverage.coverage(actor(), content, args.cycle, args.region, args.dimension)
    matrix = result.matrix
    body = CoverageResult(
        columns=matrix.columns,
        rows=[
            CoverageRow(
                ags=result.ags(key),
                name=result.name(key),
                cells={
                    code: matrix.cells[key][code].practice_ids if code in matrix.cells[key] else []
                    for code in matrix.columns
                },
                gaps=matrix.gaps[key],
            )
            for key in matrix.rows
        ],
    )
    return jsonify(body.model_dump(mode="json"))
