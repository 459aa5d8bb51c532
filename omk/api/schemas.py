"""Pydantic schemas of the API: they validate requests and generate the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from omk.api.envelope import ListEnvelope, PageQuery

LevelName = Literal["land", "regierungsbezirk", "region", "kreis", "gemeindeverband", "gemeinde"]


class ErrorItem(BaseModel):
    field: str = Field(
        description="Pfad des Feldes, z. B. `practices[<id>].title` oder `query.page`"
    )
    message: str
    location: str | None = None


class Error(BaseModel):
    """Every error answer of the API."""

    message: str = Field(description="Was schiefging, auf Deutsch")
    status: int
    errors: list[ErrorItem] | None = None


class MunicipalityQuery(PageQuery):
    """Filters of the municipality list (``page`` and ``per_page`` from PageQuery)."""

    q: str = Field("", max_length=100, description="Name (Teil) oder Schlüssel (Anfang)")
    land: str | None = Field(None, pattern=r"^[0-9]{2}$", description="Landesschlüssel, z. B. 05")
    level: LevelName | None = Field(None, description="Ebene des Verzeichnisses")
    urbanisation: int | None = Field(
        None, ge=1, le=3, description="Besiedlung: 1 dicht, 2 mittel, 3 gering besiedelt"
    )


class Urbanisation(BaseModel):
    """Degree of urbanisation (Verstädterung) from the register."""

    code: Literal[1, 2, 3]
    label: str = Field(description="dicht besiedelt, mittlere Besiedlungsdichte, gering besiedelt")


class ParentRef(BaseModel):
    """The entry directly above (Gemeinde → Gemeindeverband → Kreis → … → Land)."""

    ags: str = Field(description="Schlüssel wie bei `ags` (Kreis: 5 Ziffern + 000)")
    key: str
    name: str
    level: LevelName


class MunicipalityOut(BaseModel):
    """One entry of the official register."""

    ags: str = Field(description="Schlüssel: 8 Ziffern (Gemeinde, Kreis + 000); sonst 2/3/4/5/9")
    key: str = Field(description="Schlüssel im Verzeichnis (Kreis: 5 Ziffern)")
    name: str
    level: LevelName
    type: str | None = Field(None, description="Art laut Verzeichnis, z. B. Landkreis")
    population: int | None
    area_km2: float | None
    density: float | None = Field(description="Einwohner je km²")
    urbanisation: Urbanisation | None
    lat: float | None
    lon: float | None
    postcode: str | None
    is_kreisfrei: bool
    is_current: bool = Field(description="false: in einem neueren Verzeichnis nicht mehr enthalten")
    parent: ParentRef | None


class MunicipalityList(ListEnvelope[MunicipalityOut]):
    """One page of register entries and the number of all matches."""


class Me(BaseModel):
    id: int
    email: str
    role: Literal["reporter", "staff", "reviewer", "admin"]
    municipality: str | None
    scope: str | None


class ReportMeta(BaseModel):
    """Where a report stands (not part of the exchange document)."""

    state: Literal["draft", "submitted", "returned", "accepted"]
    template_version: str
    edit_version: int = Field(description="Edit check; also sent as ETag")
    revisions: int = Field(description="Number of frozen revisions")
    published_revision: int | None = Field(description="Number of the published revision")
    content: Literal["draft", "revision", "published"] = Field(
        description="What the document shows: the draft (own municipality), the latest "
        "revision (reviewers of the region) or the published revision"
    )


class SaveResult(BaseModel):
    municipality: str
    cycle: str
    state: str
    changed: bool = Field(description="false when the document equalled the draft already")
    edit_version: int


class TransitionResult(BaseModel):
    municipality: str
    cycle: str
    state: str
    revision: int | None


class ReviewCommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=300,
        description="Path into the document, e.g. indicators.unterbringung.zuweisungen, "
        "practices[<id>].outcomes, or report",
    )
    text: str = Field(min_length=1, max_length=5000)


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comments: list[ReviewCommentIn] = Field(min_length=1, max_length=200)


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=5000,
        description="Why the accepted report needs a correction (the municipality reads it)",
    )


class VersionOut(BaseModel):
    number: int
    submitted_at: str
    outcome: Literal["returned", "accepted"] | None
    decided_at: str | None
    published: bool


class VersionList(BaseModel):
    versions: list[VersionOut]


class DiffQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int = Field(alias="from", ge=1)
    to: int = Field(ge=1)


class Change(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class DiffOut(BaseModel):
    changes: list[Change]


class ReportListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle: str | None = Field(None, max_length=20)
    state: Literal["draft", "submitted", "returned", "accepted"] | None = None
    region: str | None = Field(None, pattern=r"^\d{1,9}$")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(100, ge=1, le=500)


class ReportSummary(BaseModel):
    municipality: str
    name: str
    cycle: str
    state: str
    revisions: int
    published_revision: int | None


class ReportList(BaseModel):
    total: int
    items: list[ReportSummary]


class CycleRegionQuery(BaseModel):
    """A cycle and a region (an AGS prefix; empty: all of Germany)."""

    model_config = ConfigDict(extra="forbid")

    cycle: str = Field(max_length=20, description="Code der Berichtsrunde")
    region: str = Field(
        "",
        pattern=r"^(\d{2}|\d{3}|\d{5})?$",
        description="Land (2 Ziffern), Regierungsbezirk (3) oder Kreis (5); leer: Deutschland",
    )
