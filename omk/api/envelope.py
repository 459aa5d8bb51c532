"""The API list envelope (DOMAIN.md, "Shared definitions"): every list answers
``{"total", "page", "per_page", "items": [...]}``, paged by strictly parsed, bounded
``page`` and ``per_page`` query parameters. One definition for every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

T = TypeVar("T")

#: Upper bounds: a page number beyond any real list, and the most items one answer carries.
MAX_PAGE = 100_000
MAX_PER_PAGE = 500


def _strict_int(value: Any) -> Any:
    """Only plain decimal digits (``"2"``), never ``" 2"``, ``"+2"``, ``"2.0"``, ``"1_0"``
    or a boolean: a query parameter that reads differently to people and to Python is
    refused (as ``int_parsing``, which the API words "Ganze Zahl erwartet."), not guessed."""
    if isinstance(value, bool) or (
        isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) < 100)
    ):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return int(value) if isinstance(value, str) else value


class PageQuery(BaseModel):
    """``page`` (from 1) and ``per_page`` (1 to 500) of a list; subclasses add filters and may
    set another default for ``per_page``."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Seite, ab 1")
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE, description="Einträge je Seite (1–500)")

    _strict_page = field_validator("page", "per_page", mode="before")(_strict_int)

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.per_page


class ListEnvelope(BaseModel, Generic[T]):
    """One page of a list and the number of all matches (for the OpenAPI document)."""

    total: int = Field(description="Anzahl aller Treffer")
    page: int
    per_page: int
    items: list[T]


def envelope(total: int, query: PageQuery, items: Sequence[Any]) -> dict[str, Any]:
    """The list answer: ``{"total", "page", "per_page", "items"}``."""
    return {"total": total, "page": query.page, "per_page": query.per_page, "items": list(items)}
