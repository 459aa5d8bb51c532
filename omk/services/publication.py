"""The published report as a document: normalised indicator values, the page and the PDF.

Everything shown on the published page and in its PDF comes from :func:`published_report`,
which reads only the accepted revision (never the working copy): a correction in progress
changes nothing here until it is accepted. Normalised values divide by the population
the revision was published with (and its register's reference date) or by the report's own
allocations, and never by zero (the rules live in :mod:`omk.compare.bases`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import mimetypes
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from flask import current_app, url_for
from sqlalchemy import select

from omk.compare import definitions
from omk.compare.bases import BASES, Basis, Normalised, allocated_of, normalise
from omk.content import Indicator, ReportTemplate
from omk.document_types import PracticeDocument, ReportDocument
from omk.errors import NotFound
from omk.extensions import db
from omk.links import page_base_url
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Report, Revision
from omk.services import register, reports

log = logging.getLogger("omk.publication")


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of the published report with its value and the practices explaining it."""

    code: str
    indicator: Indicator
    value: float | None
    normalised: Normalised | None
    practices: list[PracticeDocument]


@dataclass(frozen=True)
class Section:
    criterion: str
    rows: list[IndicatorRow]


@dataclass
class PublishedReport:
    """Everything the published page and its PDF show, from the accepted revision only."""

    report: Report
    revision: Revision
    doc: ReportDocument
    template: ReportTemplate
    municipality: Municipality
    sections: list[Section]
    #: The population the per-capita values divide by: kept on the revision when it was
    #: published (see omk.services.register.stamp_denominator), so later imports change nothing.
    population: int | None
    allocated: float | None
    #: The register's reference date (Gebietsstand) of ``population``; None if not recorded.
    population_as_of: date | None = None
    #: Land, Regierungsbezirk and Kreis the municipality lies in (from the register).
    region: list[Municipality] = field(default_factory=list)
    #: Practice id → codes of the indicators it explains.
    explains: dict[str, list[str]] = field(default_factory=dict)

    @property
    def bases(self) -> list[Basis]:
        """The bases actually used on this report, in catalogue order."""
        used = {r.normalised.basis.code for s in self.sections for r in s.rows if r.normalised}
        return [b for code, b in BASES.items() if code in used]

    @property
    def title(self) -> str:
        return f"{self.municipality.name}: {self.report.cycle.title}"


def published_report(report: Report) -> PublishedReport:
    """The accepted revision of ``report`` as a document; NotFound if none is published."""
    revision = (
        db.session.get(Revision, report.published_revision_id)
        if report.published_revision_id is not None
        else None
    )
    if revision is None:
        raise NotFound("Dieser Bericht ist noch nicht veröffentlicht.")
    doc = reports.revision_document(revision)
    content = reports.content()
    template = content.template(revision.template_version)
    municipality = report.municipality
    indicators = doc.get("indicators") or {}
    links = doc.get("indicator_practices") or {}
    by_id = {p["id"]: p for p in doc.get("practices") or []}
    stamped = revision.population is not None or revision.population_as_of is not None
    population = revision.population if stamped else municipality.population
    allocated = allocated_of(indicators)
    sections = []
    explains: dict[str, list[str]] = {}
    for section in template.sections:
        rows = []
        for item in section.indicators:
            indicator = content.indicators[item.code]
            value = indicators.get(item.code)
            linked = [pid for pid in links.get(item.code, []) if pid in by_id]
            practices = [by_id[pid] for pid in linked]
            for pid in linked:
                explains.setdefault(pid, []).append(item.code)
            rows.append(
                IndicatorRow(
                    item.code,
                    indicator,
                    value,
                    normalise(indicator, value, population=population, allocated=allocated),
                    practices,
                )
            )
        sections.append(Section(section.criterion, rows))
    return PublishedReport(
        report=report,
        revision=revision,
        doc=doc,
        template=template,
        municipality=municipality,
        sections=sections,
        population=population,
        allocated=allocated,
        population_as_of=revision.population_as_of,
        region=[
            a
            for a in register.ancestors(municipality)
            if a.level in (Level.LAND, Level.REGIERUNGSBEZIRK, Level.KREIS)
            and a.name != municipality.name
        ],
        explains=explains,
    )


def previous_cycle(municipality_key: str, cycle: Cycle) -> Cycle | None:
    """The previous cycle of a municipality for ``cycle`` (DOMAIN.md): the most recent earlier
    cycle by period end in which it has a published report; None if there is none."""
    rows = db.session.scalars(
        select(Cycle)
        .join(Report, Report.cycle_id == Cycle.id)
        .where(
            Report.municipality_key == municipality_key,
            Report.published_revision_id.is_not(None),
            Cycle.period_end < cycle.period_end,
        )
    ).all()
    by_code = {c.code: c for c in rows}
    found = definitions.previous_cycle(
        definitions.CycleRef(cycle.code, cycle.period_end),
        (definitions.CycleRef(c.code, c.period_end) for c in rows),
    )
    return by_code[found.code] if found is not None else None


def document_url(report: Report) -> str:
    """The published page's public address (from BASE_URL, never from the request's Host
    but in debug mode with the default base: omk/links.py)."""
    path = url_for(
        "reports.published",
        cycle=report.cycle.code,
        ags=report.municipality.reporting_ags or report.municipality_key,
    )
    return page_base_url() + path


def practice_url(practice_id: str) -> str:
    """A practice page's public address (the published report's PDF links it)."""
    return page_base_url() + url_for("practices.detail", practice_id=practice_id)


# --- PDF ------------------------------------------------------------------------------------


def pdf_filename(report: Report) -> tuple[str, str]:
    """The download name, e.g. ``Bericht_Essen_2025.pdf``: (ASCII fallback, Unicode name)."""
    name = re.sub(r"[^\w.-]+", "_", report.municipality.short_name).strip("_") or "Kommune"
    cycle = re.sub(r"[^\w.-]+", "_", report.cycle.code).strip("_")
    unicode_name = f"Bericht_{name}_{cycle}.pdf"
    umlauts = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
    folded = unicodedata.normalize("NFKD", unicode_name.translate(umlauts).replace("ß", "ss"))
    ascii_name = folded.encode("ascii", "ignore").decode("ascii")
    return ascii_name, unicode_name


def _static_fetcher(static_folder: Path, static_url: str) -> Any:
    """A WeasyPrint URL fetcher that serves files below ``static_folder`` for URLs below
    ``static_url`` and refuses everything else: no network, no ``file:``, no ``data:``."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_folder.resolve()

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
        refused: list[str]

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(static_url):
                self.refused.append(url)
                log.warning("pdf: refused to fetch %s", url[:200])
                raise ValueError("Die PDF-Erzeugung lädt nur eigene statische Dateien.")
            relative = unquote(urlsplit(url).path[len(urlsplit(static_url).path) :])
            manifest = current_app.extensions.get("omk_assets")
            if manifest is not None:  # a fingerprinted name (omk/assets.py): its source
                relative = manifest.original(relative)
            path = (root / relative).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                self.refused.append(url)
                raise ValueError(f"Keine statische Datei: {relative}")
            if path.suffix == ".woff2":
                data = _woff2_as_truetype(str(path), path.stat().st_mtime)
                return URLFetcherResponse(url, data, {"Content-Type": "font/ttf"})
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    fetcher = StaticOnlyFetcher(allowed_protocols=("http", "https"))
    fetcher.refused = []
    return fetcher


@functools.lru_cache(maxsize=16)
def _woff2_as_truetype(path: str, mtime: float) -> bytes:
    """A WOFF2 font decompressed once per process: fontTools rebuilds WOFF2 glyphs in pure
    Python (about a second per face), which WeasyPrint would otherwise do on every PDF."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no stubs

    font = TTFont(path)
    font.flavor = None
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@dataclass
class RenderedPdf:
    """A rendered PDF with what its rendering refused to fetch and how long it took."""

    data: bytes
    refused: list[str]
    seconds: float


def pdf_for(html: str) -> bytes:
    """The PDF of ``html``, rendered once: kept under ``<instance>/pdf-cache`` by a hash of
    the HTML, so a changed revision, register entry, language or template renders anew and
    repeated downloads cost no rendering."""
    folder = Path(current_app.instance_path) / "pdf-cache"
    path = folder / (hashlib.sha256(html.encode("utf-8")).hexdigest() + ".pdf")
    if path.is_file():
        return path.read_bytes()
    data = render_pdf(html).data
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
    return data


def render_pdf(html: str) -> RenderedPdf:
    """Render HTML to PDF with WeasyPrint, loading only the app's own static files."""
    from weasyprint import HTML

    base_url = current_app.config["BASE_URL"].rstrip("/") + "/"
    static_url = urljoin(base_url, url_for("static", filename=""))
    fetcher = _static_fetcher(Path(current_app.static_folder or "static"), static_url)
    started = time.perf_counter()
    data = HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
    seconds = time.perf_counter() - started
    log.info("pdf: rendered %d bytes in %.2f s", len(data), seconds)
    return RenderedPdf(data, list(fetcher.refused), seconds)
