"""Load and validate ``content/``: taxonomy, indicator catalogue, report templates, help pages.

Content is data, not code. It is validated once at start-up; a broken file stops the app
with the file, the key and the problem named (:class:`ContentError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from omk.paths import CONTENT_DIR as DEFAULT_CONTENT_DIR

CODE = r"^[a-z][a-z0-9_]*$"


#: libyaml's safe loader when PyYAML was built with it (several times faster), else Python's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(Exception):
    """A content file is missing or invalid: names the file, the key and the problem."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.path, self.key, self.problem = path, key, problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """A code with its German (and English) label."""

    code: str
    label: str
    label_en: str = ""
    covers: str = ""
    explanation: str = ""
    #: Where a recommendation applies, when not everywhere: ``rural`` (rural areas, such as
    #: "Potenziale des ländlichen Raums nutzen"): never a coverage gap of a city.
    applies_to: Literal["rural"] | None = None


class Taxonomy(_Strict):
    """The code lists of DOMAIN.md."""

    criteria: list[Term]
    fields: list[Term]
    recommendations: list[Term]
    actor_types: list[Term]
    target_groups: list[Term]
    practice_statuses: list[Term]
    report_states: list[Term]

    def codes(self, name: str) -> list[str]:
        """The codes of one list, in order (name: 'criteria', 'fields', …)."""
        return [t.code for t in getattr(self, name)]

    def label(self, name: str, code: str, locale: str = "de") -> str:
        """The label of a code in a list; the code itself when unknown."""
        for term in getattr(self, name):
            if term.code == code:
                return str(term.label_en if locale == "en" and term.label_en else term.label)
        return code


class Indicator(_Strict):
    """An indicator of the catalogue."""

    code: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    criterion: str
    label: str
    label_en: str = ""
    unit: str
    type: Literal["count", "number", "percent", "money"]
    normalise: Literal[
        "none",
        "per_1000_inhabitants",
        "per_10000_inhabitants",
        "per_inhabitant",
        "per_100_allocated",
    ]
    min: float = 0
    max: float | None = None
    # Scoreboard (issue 11): higher or lower is better, or None for a context figure that is
    # shown but never judged; and the factor beyond which a change from the previous
    # published value is flagged (a warning, never a block).
    direction: Literal["higher", "lower"] | None = None
    jump_factor: float | None = Field(default=None, gt=1)

    @model_validator(mode="after")
    def _percent_default_max(self) -> Indicator:
        if self.type == "percent" and self.max is None:
            object.__setattr__(self, "max", 100.0)
        return self


class Catalogue(_Strict):
    indicators: list[Indicator]


class TemplateIndicator(_Strict):
    code: str
    required: bool = False
    help: str = ""


class TemplateSection(_Strict):
    criterion: str
    intro: str = ""
    indicators: list[TemplateIndicator]


class PracticeField(_Strict):
    name: str
    label: str
    required: bool = False
    markdown: bool = False
    max_length: int | None = None


class ReportTemplate(_Strict):
    """A versioned report template: sections per criterion, indicators and practice fields."""

    version: str
    title: str
    valid_from: date
    min_practices: int = 0
    sections: list[TemplateSection]
    practice_fields: list[PracticeField]

    def indicator_codes(self) -> list[str]:
        """All indicator codes of the template, in form order."""
        return [i.code for s in self.sections for i in s.indicators]

    def required_indicators(self) -> list[str]:
        return [i.code for s in self.sections for i in s.indicators if i.required]

    def practice_field(self, name: str) -> PracticeField | None:
        return next((f for f in self.practice_fields if f.name == name), None)


@dataclass(frozen=True)
class HelpPage:
    """A help page in Markdown with its front matter."""

    slug: str
    title: str
    title_en: str
    order: int
    body: str
    body_en: str


@dataclass
class Content:
    """Everything loaded from the content directory."""

    root: Path
    taxonomy: Taxonomy
    indicators: dict[str, Indicator]
    templates: dict[str, ReportTemplate]
    help_pages: dict[str, HelpPage] = field(default_factory=dict)

    @property
    def current_template(self) -> ReportTemplate:
        """The newest template version (by valid_from, then version)."""
        return max(self.templates.values(), key=lambda t: (t.valid_from, t.version))

    def template(self, version: str) -> ReportTemplate:
        return self.templates[version]


# --- loading --------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ContentError(path, "-", "Datei fehlt")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ContentError(path, _yaml_position(exc), f"kein gültiges YAML: {exc}") from exc


def _yaml_position(exc: yaml.YAMLError) -> str:
    """Where a YAML error is ("Zeile 7"), or "-" when the parser does not say."""
    mark = getattr(exc, "problem_mark", None)
    return f"Zeile {mark.line + 1}" if mark is not None else "-"


def _validated(model: type[BaseModel], path: Path, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "-"
        raise ContentError(path, key, first["msg"]) from exc


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _read_help(path: Path, *, required: bool = True) -> tuple[dict[str, Any], str]:
    """Front matter and body of a help page; the front matter may be absent if not required."""
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        if not required:
            return {}, text
        raise ContentError(path, "front matter", "fehlt (--- title: … --- am Anfang)")
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ContentError(
            path, "front matter", f"kein gültiges YAML: {_yaml_position(exc)}"
        ) from exc
    if not isinstance(meta, dict):
        raise ContentError(path, "front matter", "muss aus Schlüsseln bestehen (title: …)")
    if required and not meta.get("title"):
        raise ContentError(path, "title", "fehlt in der front matter")
    if "order" in meta and not isinstance(meta["order"], int):
        raise ContentError(path, "order", f"muss eine ganze Zahl sein, nicht {meta['order']!r}")
    return meta, text[match.end() :]


def _check_bounds(path: Path, i: int, ind: Indicator) -> None:
    """min ≤ max, and a percentage stays within 0–100."""
    if ind.max is not None and ind.max < ind.min:
        raise ContentError(
            path, f"indicators.{i}.max", f"{ind.max:g} ist kleiner als min {ind.min:g}"
        )
    if ind.type == "percent":
        if ind.min < 0:
            raise ContentError(path, f"indicators.{i}.min", "ein Prozentwert beginnt bei 0")
        if ind.max is not None and ind.max > 100:
            raise ContentError(path, f"indicators.{i}.max", "ein Prozentwert endet bei 100")


def load_content(root: Path | None = None) -> Content:
    """Load and cross-check the whole content directory; raise ContentError on a problem."""
    root = root or DEFAULT_CONTENT_DIR
    tax_path = root / "taxonomy.yaml"
    taxonomy: Taxonomy = _validated(Taxonomy, tax_path, _read_yaml(tax_path))
    for name in Taxonomy.model_fields:
        seen: set[str] = set()
        for i, code in enumerate(taxonomy.codes(name)):
            if code in seen:
                raise ContentError(tax_path, f"{name}.{i}.code", f"doppelter Code {code!r}")
            seen.add(code)
    for name in ("criteria", "fields", "actor_types", "target_groups", "practice_statuses"):
        for i, code in enumerate(taxonomy.codes(name)):
            if not re.match(CODE, code):
                raise ContentError(tax_path, f"{name}.{i}.code", f"ungültiger Code {code!r}")

    cat_path = root / "indicators.yaml"
    catalogue: Catalogue = _validated(Catalogue, cat_path, _read_yaml(cat_path))
    indicators: dict[str, Indicator] = {}
    criteria = set(taxonomy.codes("criteria"))
    for i, ind in enumerate(catalogue.indicators):
        if ind.code in indicators:
            raise ContentError(cat_path, f"indicators.{i}.code", f"doppelt: {ind.code}")
        if ind.criterion not in criteria:
            raise ContentError(
                cat_path, f"indicators.{i}.criterion", f"unbekanntes Kriterium {ind.criterion!r}"
            )
        if not ind.code.startswith(ind.criterion + "."):
            raise ContentError(cat_path, f"indicators.{i}.code", "muss mit dem Kriterium beginnen")
        _check_bounds(cat_path, i, ind)
        indicators[ind.code] = ind

    templates: dict[str, ReportTemplate] = {}
    for path in sorted((root / "templates").glob("*.yaml")):
        tpl: ReportTemplate = _validated(ReportTemplate, path, _read_yaml(path))
        if tpl.version in templates:
            raise ContentError(path, "version", f"Version {tpl.version} gibt es schon")
        for s, section in enumerate(tpl.sections):
            if section.criterion not in criteria:
                raise ContentError(
                    path, f"sections.{s}.criterion", f"unbekanntes Kriterium {section.criterion!r}"
                )
            for j, item in enumerate(section.indicators):
                if item.code not in indicators:
                    raise ContentError(
                        path,
                        f"sections.{s}.indicators.{j}.code",
                        f"nicht im Kennzahlenkatalog: {item.code}",
                    )
        templates[tpl.version] = tpl
    if not templates:
        raise ContentError(root / "templates", "-", "keine Berichtsvorlage gefunden")

    help_pages: dict[str, HelpPage] = {}
    for path in sorted((root / "help").glob("*.en.md")):
        german = path.with_name(path.name.removesuffix(".en.md") + ".md")
        if not german.is_file():
            raise ContentError(path, "-", f"englische Fassung ohne deutsche Seite {german.name}")
    for path in sorted((root / "help").glob("*.md")):
        if path.name.endswith(".en.md"):
            continue
        meta, body = _read_help(path)
        en_path = path.with_name(path.stem + ".en.md")
        body_en = _read_help(en_path, required=False)[1] if en_path.is_file() else ""
        help_pages[path.stem] = HelpPage(
            slug=path.stem,
            title=str(meta["title"]),
            title_en=str(meta.get("title_en", meta["title"])),
            order=int(meta.get("order", 100)),
            body=body,
            body_en=body_en,
        )
    return Content(
        root=root,
        taxonomy=taxonomy,
        indicators=indicators,
        templates=templates,
        help_pages=dict(sorted(help_pages.items(), key=lambda kv: kv[1].order)),
    )
