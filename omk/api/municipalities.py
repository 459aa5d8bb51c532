"""GET /api/v1/municipalities and /api/v1/municipalities/<ags>; GET /api/v1/me."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from omk.api import bp
from omk.api.envelope import envelope
from omk.api.openapi import operation
from omk.api.schemas import (
    Error,
    Me,
    MunicipalityList,
    MunicipalityOut,
    MunicipalityQuery,
    ParentRef,
    Urbanisation,
)
from omk.api.validation import query_args
from omk.models.register import Municipality
from omk.policy import Action, actor, permission
from omk.services import register


def serialize(m: Municipality) -> dict[str, Any]:
    """A register entry as the API shows it."""
    urbanisation = (
        Urbanisation(code=m.urbanisation, label=m.urbanisation_label or "")
        if m.urbanisation
        else None
    )
    parent = (
        ParentRef(
            ags=m.parent.reporting_ags or m.parent.key,
            key=m.parent.key,
            name=m.parent.name,
            level=m.parent.level,
        )
        if m.parent is not None
        else None
    )
    out = MunicipalityOut(
        ags=m.reporting_ags or m.key,
        key=m.key,
        name=m.name,
        level=m.level,
        type=m.type_label,
        population=m.population,
        area_km2=m.area_km2,
        density=m.density,
        urbanisation=urbanisation,
        lat=m.lat,
        lon=m.lon,
        postcode=m.postcode,
        is_kreisfrei=m.is_kreisfrei,
        is_current=m.is_current,
        parent=parent,
    )
    return out.model_dump(mode="json")


@bp.get("/municipalities")
@permission(Action.PUBLIC)
@operation(
    "get",
    "/api/v1/municipalities",
    "Gemeindeverzeichnis durchsuchen",
    query=MunicipalityQuery,
    responses={200: MunicipalityList, 422: Error},
    tags=("Verzeichnis",),
)
def list_municipalities() -> ResponseReturnValue:
    args = query_args(MunicipalityQuery)
    page = register.search(
        args.q,
        land=args.land,
        level=args.level,
        urbanisation=args.urbanisation,
        page=args.page,
        per_page=args.per_page,
    )
    return jsonify(envelope(page.total, args, [serialize(m) for m in page.items]))


@bp.get("/municipalities/<ags>")
@permission(Action.PUBLIC)
@operation(
    "get",
    "/api/v1/municipalities/{ags}",
    "Ein Eintrag des Gemeindeverzeichnisses",
    responses={200: MunicipalityOut, 404: Error},
    tags=("Verzeichnis",),
)
def get_municipality(ags: str) -> ResponseReturnValue:
    return jsonify(serialize(register.get(ags)))


@bp.get("/me")
@permission(Action.LOGGED_IN)
@operation(
    "get",
    "/api/v1/me",
    "Das Konto hinter dem Token",
    responses={200: Me, 401: Error},
    auth=True,
    tags=("Konto",),
)
def me() -> ResponseReturnValue:
    user = actor()
    return jsonify(
        Me(
            id=user.id,
            email=user.email,
            role=user.role,
            municipality=user.municipality.reporting_ags if user.municipality else None,
            scope=user.scope,
        ).model_dump()
    )
