"""The official municipality register (Destatis Gemeindeverzeichnis), all levels in one table."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from omk.compare import definitions
from omk.extensions import Base
from omk.models.types import UTCDateTime, utcnow


class Level(StrEnum):
    """Levels of the register, from the Land down to the Gemeinde (DOMAIN.md keys)."""

    LAND = "land"  # key: 2 digits
    REGIERUNGSBEZIRK = "regierungsbezirk"  # key: 3 digits
    REGION = "region"  # key: 4 digits (land + rb + region digit), Baden-Württemberg only
    KREIS = "kreis"  # key: 5 digits; reports under key + "000"
    GEMEINDEVERBAND = "gemeindeverband"  # key: 9 digits (prefix of the Regionalschlüssel)
    GEMEINDE = "gemeinde"  # key: 8 digits, the AGS


LEVEL_KEY_LENGTH = {
    Level.LAND: 2,
    Level.REGIERUNGSBEZIRK: 3,
    Level.REGION: 4,
    Level.KREIS: 5,
    Level.GEMEINDEVERBAND: 9,
    Level.GEMEINDE: 8,
}

#: Degree of urbanisation (Verstädterung, DEGURBA) with the register's German labels.
URBANISATION_LABELS = {
    1: "dicht besiedelt",
    2: "mittlere Besiedlungsdichte",
    3: "gering besiedelt",
}

#: Kreis types (textkennzeichen) that make a Kreis a city of its own.
KREISFREI_TYPES = frozenset({"41", "42"})

#: German labels of the register's textkennzeichen.
TYPE_LABELS = {
    "41": "Kreisfreie Stadt",
    "42": "Stadtkreis",
    "43": "Kreis",
    "44": "Landkreis",
    "45": "Regionalverband",
    "50": "Verbandsfreie Gemeinde",
    "51": "Amt",
    "52": "Samtgemeinde",
    "53": "Verbandsgemeinde",
    "54": "Verwaltungsgemeinschaft",
    "55": "Kirchspielslandgemeinde",
    "56": "Verwaltungsverband",
    "57": "Verwaltungsgemeinschaft (Trägermodell)",
    "58": "Erfüllende Gemeinde",
    "60": "Markt",
    "61": "Kreisfreie Stadt",
    "62": "Stadtkreis",
    "63": "Stadt",
    "64": "Kreisangehörige Gemeinde",
    "65": "Gemeindefreies Gebiet, bewohnt",
    "66": "Gemeindefreies Gebiet, unbewohnt",
    "67": "Große Kreisstadt",
}


def search_name_of(text: str) -> str:
    """A name or query as the name search compares it: case-folded (umlauts kept, ß → ss),
    whitespace squeezed. The migration that added ``search_name`` has a copy of this rule."""
    return " ".join(text.casefold().split())


class Municipality(Base):
    """One entry of the register: a Land, Regierungsbezirk, Region, Kreis, Gemeindeverband
    or Gemeinde, identified by its official key."""

    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint(
            "level IN ('land','regierungsbezirk','region','kreis','gemeindeverband','gemeinde')",
            name="level",
        ),
        CheckConstraint("urbanisation IS NULL OR urbanisation IN (1, 2, 3)", name="urbanisation"),
        Index("ix_municipality_level_land", "level", "land_key"),
        # The name search reads only this index: current entries of a level, by folded name
        # (prefixes as ranges, substrings by scanning the index, never the table).
        Index("ix_municipality_current_level_search", "is_current", "level", "search_name"),
    )

    key: Mapped[str] = mapped_column(String(9), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), index=True)
    # The name as searched: case-folded, whitespace squeezed (search_name_of); kept in step
    # with ``name`` (here and in the import); see ix_municipality_current_level_search.
    search_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    type_code: Mapped[str | None] = mapped_column(String(2))
    land_key: Mapped[str] = mapped_column(String(2))
    parent_key: Mapped[str | None] = mapped_column(ForeignKey("municipality.key"), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    urbanisation: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str | None] = mapped_column(String(5))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # True for a Gemeinde that is a kreisfreie Stadt / Stadtkreis (its key is also the Kreis's).
    is_kreisfrei: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once a newer extract no longer lists the key (merger); kept so no report is orphaned.
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Municipality | None] = relationship(remote_side=[key], lazy="joined")

    @validates("name")
    def _keep_search_name(self, _key: str, value: str) -> str:
        self.search_name = search_name_of(value)
        return value

    @property
    def density(self) -> float | None:
        """Inhabitants per km², from population and area (None where either is missing)."""
        if not self.population or not self.area_km2:
            return None
        return round(self.population / self.area_km2, 1)

    @property
    def short_name(self) -> str:
        """The name without the register's suffix (", Stadt", ", Landeshauptstadt" …)."""
        return self.name.split(", ")[0]

    @property
    def reporting_ags(self) -> str | None:
        """The 8-digit key it reports under (a Kreis: key + '000'); None if it cannot report."""
        if self.level == Level.GEMEINDE:
            return self.key
        if self.level == Level.KREIS:
            return self.key + "000"
        return None

    @property
    def comparison_level(self) -> definitions.ComparisonLevel | None:
        """District level (Kreis, kreisfreie Stadt) or municipal level (kreisangehörige
        Gemeinde); None for the levels that do not report."""
        return definitions.comparison_level(self.level, self.is_kreisfrei)

    @property
    def size_class(self) -> definitions.SizeClass | None:
        """The BBSR population size class (None without inhabitants)."""
        return definitions.size_class(self.population)

    @property
    def type_label(self) -> str | None:
        """German label of the register's type code."""
        return TYPE_LABELS.get(self.type_code or "")

    @property
    def urbanisation_label(self) -> str | None:
        """German label of the degree of urbanisation."""
        return URBANISATION_LABELS.get(self.urbanisation or 0)

    def __repr__(self) -> str:
        return f"<Municipality {self.key} {self.name!r}>"


class RegisterImport(Base):
    """One run of ``omk municipalities import``: when, which file, which Gebietsstand.

    The newest row's ``reference_date`` is the register's current reference date (Destatis
    *Gebietsstand*); published revisions keep the one their population was taken from.
    """

    __tablename__ = "register_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The Gebietsstand of the extract; None when nobody could say (an import by the service
    # without a date and no README next to the file naming one).
    reference_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<RegisterImport {self.id} {self.reference_date}>"
