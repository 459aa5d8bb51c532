"""The OpenAPI document and a documentation page rendered by the app itself (no CDN)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from omk import __version__
from omk.api import bp
from omk.api.openapi import build
from omk.policy import Action, permission


def document() -> dict[str, Any]:
    """The OpenAPI document, built once per process."""
    cached = current_app.extensions.get("omk_openapi")
    if cached is None:
        from omk.api.reports import openapi_components

        cached = build(
            "OMK – Wissensdatenbank kommunale Integration", __version__, openapi_components()
        )
        current_app.extensions["omk_openapi"] = cached
    return cached


@bp.get("/openapi.json")
@permission(Action.PUBLIC)
def openapi_json() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/docs")
@permission(Action.PUBLIC)
def docs() -> ResponseReturnValue:
    return render_template("api/docs.html", spec=document())
