"""The columns of the practice sheet, derived from the report template."""

from __future__ import annotations

from dataclasses import dataclass

from omk import exchange
from omk.content import ReportTemplate
from omk.workbook.layout import MIN_ACTOR_SLOTS

# --- the columns of the practice sheet -------------------------------------------------------

#: How each practice field is written and read: kind and (for codes) the taxonomy list.
_FIELD_KINDS: dict[str, tuple[str, str | None]] = {
    "title": ("text", None),
    "summary": ("text", None),
    "description": ("markdown", None),
    "site": ("text", None),
    "funding": ("text", None),
    "contact": ("text", None),
    "outcomes": ("markdown", None),
    "transferability": ("markdown", None),
    "criterion": ("code", "criteria"),
    "status": ("code", "practice_statuses"),
    "fields": ("codes", "fields"),
    "recommendations": ("codes", "recommendations"),
    "target_groups": ("codes", "target_groups"),
    "sources": ("urls", None),
    "started": ("month", None),
    "ended": ("month", None),
    "budget_eur": ("number", None),
    "staff_fte": ("number", None),
}
_TEXT_KINDS = ("text", "markdown")
_CODE_LISTS = ("criteria", "practice_statuses", "fields", "recommendations", "target_groups")
_WIDTHS = {
    "id": 38,
    "text": 32,
    "markdown": 60,
    "code": 44,
    "codes": 30,
    "urls": 40,
    "month": 13,
    "number": 14,
    "links": 36,
    "actor_name": 28,
    "actor_type": 28,
    "actor_lead": 13,
    "adopted_practice": 38,
    "adopted_municipality": 16,
}
_HELP = {
    "id": "Verbindet die Zeile mit der Maßnahme im System (auch über Berichtsrunden hinweg). "
    "Nicht ändern. Für eine neue Maßnahme leer lassen.",
    "markdown": "Markdown erlaubt: **fett**, Listen mit „- “. Zeilenumbruch in der Zelle: "
    "Alt+Eingabe.",
    "code": "Bitte aus der Auswahlliste wählen.",
    "codes": "Mehrere durch Semikolon trennen, z. B. „{example}“. Die Bezeichnungen stehen auf dem "
    "Blatt „Hinweise“; die Codes werden auch verstanden.",
    "urls": "Links (https://…), mehrere durch Semikolon oder Zeilenumbruch getrennt.",
    "month": "JJJJ oder JJJJ-MM, z. B. 2019-05.",
    "number": "Zahl wie 1500 oder 0,5.",
    "links": "Kennzahlen, die diese Maßnahme erklärt, durch Semikolon getrennt: Bezeichnung "
    "oder Code vom Blatt „Kennzahlen“.",
    "actor_name": "Name der beteiligten Stelle (Funktion, keine Privatperson).",
    "actor_type": "Art des Akteurs aus der Auswahlliste (leer: Sonstige).",
    "actor_lead": "„ja“ beim federführenden Akteur (höchstens einer).",
    "adopted_practice": "Nur bei übernommenen Maßnahmen: Titel (oder ID) der veröffentlichten "
    "Maßnahme der anderen Kommune.",
    "adopted_municipality": "Nur bei übernommenen Maßnahmen: Name oder AGS der anderen Kommune "
    "(nötig, wenn mehrere Maßnahmen so heißen).",
}


#: The origin column's heading: a title is accepted as well as an id.
ADOPTED_PRACTICE = "Übernommen von: Titel oder ID der Maßnahme"
#: Headings of earlier workbooks, still read as the column they became.
FORMER_HEADINGS = {"Übernommen von: Maßnahme (ID)": ADOPTED_PRACTICE}


@dataclass(frozen=True)
class Column:
    """One column of the practice sheet."""

    key: str  # a practice field, "links", "adopted.practice", "actor.<n>.name|type|lead"
    label: str
    kind: str
    taxonomy: str | None = None
    required: bool = False

    @property
    def heading(self) -> str:
        return f"{self.label} *" if self.required else self.label


def practice_columns(template: ReportTemplate, actor_slots: int = MIN_ACTOR_SLOTS) -> list[Column]:
    """The practice sheet's columns for a template: the hidden ID, the template's fields in
    order, the indicator links, the origin of adopted practices, then the actor groups."""
    columns = [Column("id", "ID", "id")]
    actors_required = False
    for f in template.practice_fields:
        if f.name == "actors":
            actors_required = f.required
            continue
        if f.name not in exchange.PRACTICE_FIELDS or f.name in ("id", "adopted_from"):
            continue
        kind, taxonomy = _FIELD_KINDS.get(f.name, ("text", None))
        columns.append(Column(f.name, f.label, kind, taxonomy, f.required))
    columns.append(Column("links", "Erläutert Kennzahlen", "links"))
    columns.append(Column("adopted.practice", ADOPTED_PRACTICE, "adopted_practice"))
    columns.append(
        Column("adopted.municipality", "Übernommen von: Kommune (AGS)", "adopted_municipality")
    )
    for n in range(1, actor_slots + 1):
        columns.append(
            Column(
                f"actor.{n}.name",
                f"Akteur {n}: Name",
                "actor_name",
                None,
                actors_required and n == 1,  # at least one actor
            )
        )
        columns.append(Column(f"actor.{n}.type", f"Akteur {n}: Typ", "actor_type", "actor_types"))
        columns.append(Column(f"actor.{n}.lead", f"Akteur {n}: federführend", "actor_lead"))
    return columns


INDICATOR_HEADINGS = (
    "Kennzahl",
    "Einheit",
    "Pflicht",
    "Wert",
    "Zulässige Werte",
    "Hinweis",
    "Code",
)
