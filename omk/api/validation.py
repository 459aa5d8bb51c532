"""Validate API input with pydantic and turn its errors into German field errors."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from omk.errors import FieldError, ValidationFailed

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "Pflichtfeld fehlt.",
    "extra_forbidden": "Unbekanntes Feld.",
    "int_parsing": "Ganze Zahl erwartet.",
    "float_parsing": "Zahl erwartet.",
    "string_pattern_mismatch": "Ungültiges Format.",
    "literal_error": "Unzulässiger Wert.",
    "greater_than_equal": "Wert ist zu klein.",
    "less_than_equal": "Wert ist zu groß.",
    "string_too_long": "Text ist zu lang.",
}


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every pydantic error as a FieldError with a German message."""
    errors = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"])
        errors.append(FieldError(prefix + path, _MESSAGES.get(err["type"], err["msg"])))
    return errors


def query_args(model: type[M]) -> M:
    """Parse the query string into ``model``; 422 with every problem on failure."""
    data: dict[str, Any] = {k: v for k, v in request.args.items() if v != ""}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, "query."), "Ungültige Abfrageparameter.") from exc
