"""Build the OpenAPI document from the pydantic schemas the API validates with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Operation:
    """One documented API operation."""

    method: str
    path: str
    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_schema: dict[str, Any] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    auth: bool = False
    tags: tuple[str, ...] = ()


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    path: str,
    summary: str,
    *,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    body_schema: dict[str, Any] | None = None,
    responses: dict[int, type[BaseModel] | None] | None = None,
    auth: bool = False,
    tags: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Register a view's contract; the same models validate its requests and answers."""

    def decorate(view: F) -> F:
        OPERATIONS.append(
            Operation(
                method.lower(), path, summary, query, body, body_schema, responses or {}, auth, tags
            )
        )
        return view

    return decorate


def build(
    title: str, version: str, extra_components: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation."""
    from omk.api.schemas import Error

    models: set[type[BaseModel]] = {Error}
    for op in OPERATIONS:
        models.update(m for m in op.responses.values() if m is not None)
        if op.body:
            models.add(op.body)
    _, top = models_json_schema(
        [(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    components = top.get("$defs", {})
    components.update(extra_components or {})
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags)}
        params = []
        if op.query is not None:
            # enums and other models a query parameter refers to become components too
            schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(schema.get("$defs", {}))
            required = set(schema.get("required", []))
            for name, prop in schema["properties"].items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in required,
                        "schema": {k: v for k, v in prop.items() if k != "title"},
                        **({"description": prop["description"]} if "description" in prop else {}),
                    }
                )
        for segment in op.path.split("/"):
            if segment.startswith("{"):
                params.append(
                    {
                        "name": segment.strip("{}"),
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                )
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}
                    }
                },
            }
        elif op.body_schema is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body_schema}},
            }
        responses: dict[str, Any] = {}
        for status, model in sorted(op.responses.items()):
            description = "OK" if status < 300 else "Fehler"
            if model is None:
                responses[str(status)] = {"description": description}
            else:
                responses[str(status)] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                        }
                    },
                }
        entry["responses"] = responses
        if op.auth:
            entry["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Schnittstelle der OMK-Wissensdatenbank. Authentifizierung: "
            "`Authorization: Bearer <Token>` (Token unter „Mein Konto“ oder `omk tokens create`).",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
