"""GET /api/v1/compare: published indicator figures of a peer group, with the scoreboard."""

from __future__ import annotations

from typing import Any, Literal

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from omk.api import bp
from omk.api.openapi import operation
from omk.api.schemas import Error
from omk.api.validation import field_errors
from omk.compare.definitions import ComparisonLevel
from omk.compare.peers import K_DEFAULT, K_MAX, GroupKind
from omk.errors import ValidationFailed
from omk.policy import Action, actor, authorize, permission
from omk.services import compare as service
from omk.services.compare import invalid

TAGS = ("Vergleich",)
Flag = Literal["outlier_high", "outlier_low", "missing", "no_denominator", "too_few_peers"]


class CompareQuery(BaseModel):
    """Exactly one of ``region``, ``ags`` (repeatable) or ``peers_of`` chooses the group."""

    model_config = ConfigDict(extra="forbid")

    cycle: str = Field(max_length=20, description="Code der Berichtsrunde")
    indicator: list[str] = Field(
        default_factory=list, max_length=50, description="Kennzahl (wiederholbar; ohne: alle)"
    )
    region: str | None = Field(
        None, pattern=r"^[0-9]{2}([0-9]|[0-9]{3})?$", description="AGS-Präfix: Land, RB, Kreis"
    )
    ags: list[str] = Field(
        default_factory=list, max_length=200, description="Kommunen (wiederholbar, jede Ebene)"
    )
    peers_of: str | None = Field(None, pattern=r"^[0-9]{5,8}$", description="die Ähnlichsten zu")
    k: int = Field(K_DEFAULT, ge=1, le=K_MAX, description="Zahl der Ähnlichsten (peers_of)")
    level: Literal["district", "municipal", "all"] | None = Field(
        None,
        description="Ebene: district (Kreise, kreisfreie Städte), municipal (kreisangehörige "
        "Gemeinden) oder all; ohne: bei region mit 2–3 Stellen district, sonst municipal; "
        "bei peers_of die Ebene der Kommune",
    )


class ValueOut(BaseModel):
    ags: str
    name: str
    raw: float | None
    value: float | None = Field(description="auf die Basis bezogen (ohne Basis: der Rohwert)")
    previous_cycle: str | None
    previous_value: float | None
    change: float | None
    level_band: str | None
    category: str | None
    flags: list[Flag]


class IndicatorOut(BaseModel):
    code: str
    basis: str
    direction: Literal["higher", "lower"] | None
    n: int
    missing: int
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    sd: float | None
    values: list[ValueOut]


class NotReportedOut(BaseModel):
    ags: str
    name: str
    status: Literal["none", "submitted", "returned"]


class CompareOut(BaseModel):
    cycle: str
    members: list[str]
    indicators: list[IndicatorOut]
    not_reported: list[NotReportedOut] | None = Field(
        None,
        description="Nur für Prüfstellen (ihre Region) und den Betrieb: wer nicht berichtet "
        "hat; für Berichtende nur die eigene Kommune (unabhängig von der Vergleichsgruppe)",
    )


def _args() -> CompareQuery:
    data: dict[str, Any] = {}
    for name in request.args:
        values = [v for v in request.args.getlist(name) if v != ""]
        if values:
            data[name] = values if name in ("indicator", "ags") else values[0]
    try:
        args = CompareQuery.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, "query."), "Ungültige Abfrageparameter.") from exc
    chosen = [n for n in ("region", "ags", "peers_of") if getattr(args, n)]
    if len(chosen) != 1:
        raise invalid(
            "query.region", "Genau einer der Parameter region, ags oder peers_of ist nötig."
        )
    return args


def _level(args: CompareQuery, default: ComparisonLevel | None) -> ComparisonLevel | None:
    if args.level == "all":
        return None
    if args.level is not None:
        return ComparisonLevel(args.level)
    return default


def spec_from(args: CompareQuery) -> service.GroupSpec:
    """The peer group the query names."""
    if args.region:
        default = ComparisonLevel.DISTRICT if len(args.region) < 5 else ComparisonLevel.MUNICIPAL
        return service.GroupSpec(GroupKind.REGION, region=args.region, level=_level(args, default))
    if args.ags:
        keys = tuple(service.resolve_key(a).key for a in args.ags)
        return service.GroupSpec(GroupKind.NAMES, keys=keys, level=None)
    focus = service.resolve_key(args.peers_of or "")
    return service.GroupSpec(
        GroupKind.SIMILAR,
        focus=focus.key,
        k=args.k,
        level=_level(args, focus.comparison_level),
    )


def serialize(result: service.Comparison) -> dict[str, Any]:
    """The comparison as the API answers it."""
    out = CompareOut(
        cycle=result.cycle.code,
        members=[m.ags for m in result.members],
        indicators=[
            IndicatorOut(
                code=ic.indicator.code,
                basis=ic.basis,
                direction=ic.direction,
                n=ic.summary.n,
                missing=ic.summary.missing,
                median=ic.summary.median,
                q1=ic.summary.q1,
                q3=ic.summary.q3,
                mean=ic.summary.mean,
                sd=ic.summary.sd,
                values=[
                    ValueOut(
                        ags=r.member.ags,
                        name=r.member.name,
                        raw=r.raw,
                        value=r.value,
                        previous_cycle=r.previous_cycle,
                        previous_value=r.previous_value,
                        change=r.change,
                        level_band=r.level_band,
                        category=r.category,
                        flags=r.flags,
                    )
                    for r in ic.rows
                ],
            )
            for ic in result.indicators
        ],
        not_reported=(
            [
                NotReportedOut(ags=n.member.ags, name=n.member.name, status=n.status)
                for n in result.not_reported
            ]
            if result.not_reported is not None
            else None
        ),
    )
    data = out.model_dump(mode="json")
    if result.not_reported is None:
        data.pop("not_reported")
    return data


@bp.get("/compare")
@permission(Action.COMPARE_READ)
@operation(
    "get",
    "/api/v1/compare",
    "Kennzahlen einer Vergleichsgruppe mit Scoreboard (nur veröffentlichte Berichte)",
    query=CompareQuery,
    responses={200: CompareOut, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def compare() -> ResponseReturnValue:
    authorize(Action.COMPARE_READ)
    args = _args()
    cycle = service.get_cycle(args.cycle)
    result = service.compare(
        actor(), cycle, spec_from(args), args.indicator or None, with_trend=False
    )
    return jsonify(serialize(result))
