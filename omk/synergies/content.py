"""The synergy content of ``content/synergies/``: the federations list, the partner names that
identify no organisation, and the rubric.

Read through the app's content root (``OMK_CONTENT_DIR``), validated once per file version.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app
from pydantic import BaseModel, Field

from omk.synergies import partners


class Mark(BaseModel):
    value: int = Field(ge=0, le=9)
    label: str
    label_en: str


class Criterion(BaseModel):
    code: str = Field(pattern=r"^[a-z_]+$")
    label: str
    label_en: str
    question: str
    question_en: str
    source: str
    source_en: str = ""

    def label_in(self, locale: str) -> str:
        """The criterion's name in the page's language."""
        return self.label_en if locale == "en" else self.label

    def source_in(self, locale: str) -> str:
        """Where the criterion comes from, in the page's language (the German wording names
        the published English term in brackets)."""
        return (self.source_en or self.source) if locale == "en" else self.source


class Question(BaseModel):
    code: str = Field(pattern=r"^(effective|objectives|transfer)$")
    label: str
    label_en: str


class Rubric(BaseModel):
    """The validation rubric and the peer-review questions."""

    version: str
    marks: list[Mark] = Field(min_length=2)
    criteria: list[Criterion] = Field(min_length=1)
    peer_review_questions: list[Question] = Field(min_length=3, max_length=3)

    @property
    def mark_values(self) -> list[int]:
        return [m.value for m in self.marks]

    def mark_label(self, value: int, locale: str = "de") -> str:
        for m in self.marks:
            if m.value == value:
                return m.label_en if locale == "en" else m.label
        return str(value)


class FederationEntry(BaseModel):
    code: str = Field(pattern=r"^[a-z_]+$")
    label: str
    patterns: list[str] = Field(min_length=1)


class FederationList(BaseModel):
    version: str
    federations: list[FederationEntry]


class PartnerNameLists(BaseModel):
    version: str
    filler: list[str]
    local_bodies: list[str]
    generic: list[str]


def _root() -> Path:
    root: Path = current_app.extensions["omk_content"].root
    return root / "synergies"


@lru_cache(maxsize=8)
def _rubric(path: Path, mtime: float) -> Rubric:
    return Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=8)
def _federations(path: Path, mtime: float) -> tuple[partners.Federation, ...]:
    data = FederationList.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return partners.federations_from(
        partners.FederationSpec(code=f.code, label=f.label, patterns=f.patterns)
        for f in data.federations
    )


@lru_cache(maxsize=8)
def _partner_names(path: Path, mtime: float) -> partners.NameLists:
    data = PartnerNameLists.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return partners.name_lists_from(
        partners.NameListsSpec(
            filler=data.filler, local_bodies=data.local_bodies, generic=data.generic
        )
    )


def rubric() -> Rubric:
    """The rubric of ``content/synergies/rubric.yaml``."""
    path = _root() / "rubric.yaml"
    return _rubric(path, path.stat().st_mtime)


def federations() -> tuple[partners.Federation, ...]:
    """The federations of ``content/synergies/federations.yaml``."""
    path = _root() / "federations.yaml"
    return _federations(path, path.stat().st_mtime)


def partner_names() -> partners.NameLists:
    """The lists of ``content/synergies/partner_names.yaml``."""
    path = _root() / "partner_names.yaml"
    return _partner_names(path, path.stat().st_mtime)


def version() -> tuple[float, ...]:
    """When the synergy content files and the taxonomy were last changed (what the kept
    suggestions of :mod:`omk.synergies.cache` depend on besides the database)."""
    files = [_root() / name for name in ("federations.yaml", "partner_names.yaml", "rubric.yaml")]
    files.append(Path(current_app.extensions["omk_content"].root) / "taxonomy.yaml")
    return tuple(path.stat().st_mtime if path.exists() else 0.0 for path in files)
