"""The change view's rows as people read them: a German label for each changed field and its
old and new value formatted as Germans write them ("1.375.000", "17,8", "Mai 2019", "C2 –
Sprachförderung …"), never a document path, a code or a practice id."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

from flask_babel import get_locale
from flask_babel import gettext as _

from omk import exchange
from omk.content import Content, Indicator, ReportTemplate
from omk.document_types import Change, ReportDocument
from omk.messages import localise
from omk.numbers import format_decimal, month_field
from omk.wording import quoted, term_text

Kind = Literal["changed", "added", "removed"]


class ChangeRow(TypedDict):
    """One row of the change view."""

    path: str  # the document path: an anchor for comments, never shown
    label: str
    old: str | None  # None: the field was empty
    new: str | None
    kind: Kind


#: Practice fields whose values are codes of a taxonomy list.
CODE_LISTS = {
    "criterion": "criteria",
    "fields": "fields",
    "recommendations": "recommendations",
    "target_groups": "target_groups",
    "status": "practice_statuses",
}
#: A format hint in a field's label ("Beginn (JJJJ oder JJJJ-MM)"), for the workbook's column
#: headings; pages show the value formatted, so the hint is left out there.
_FORMAT_HINT = re.compile(r" \((?:JJJJ|Zahl)[^)]*\)")
_PRACTICE = re.compile(r"^practices\[([^\]]+)\](?:\.(\w+)(?:\[(\d+)\](?:\.(\w+))?)?)?$")


def decimal(value: float | int, money: bool = False) -> str:
    """A number as the reader's locale writes it, thousands grouped and decimals kept
    (``5.400.000,5``; money with two decimals when it has any: ``5.400.000,50``)."""
    if float(value).is_integer():
        return format_decimal(int(value), "#,##0")
    pattern = "#,##0.00" if money else "#,##0.######"
    return format_decimal(value, pattern)


def month(value: str) -> str:
    """A practice month (``2019-05``) as "Mai 2019"; a year stays a year."""
    from datetime import date

    from flask_babel import format_date

    m = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if m and 1 <= int(m.group(2)) <= 12:
        return str(format_date(date(int(m.group(1)), int(m.group(2)), 1), "MMMM y"))
    return month_field(value)


def code_label(content: Content, list_name: str, code: str) -> str:
    """The label of a taxonomy code in the reader's language; a recommendation with its code
    first ("C2 – Sprachförderung …"), as the report form lists them."""
    return term_text(content.taxonomy, list_name, code, str(get_locale() or "de"))


def _titles(docs: Sequence[ReportDocument | None]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for doc in docs:
        for p in (doc.get("practices") or []) if doc else []:
            if p.get("id") and p.get("title"):
                titles.setdefault(str(p["id"]), str(p["title"]))
    return titles


def _indicator_value(value: Any, indicator: Indicator | None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = decimal(value, money=indicator is not None and indicator.type == "money")
    if indicator is not None and indicator.unit:
        return f"{text} {indicator.unit}"
    return text


def _actor(value: Mapping[str, Any], content: Content) -> str:
    text = str(value.get("name") or "")
    if value.get("type"):
        text += f" ({code_label(content, 'actor_types', str(value['type']))})"
    if value.get("lead"):
        text += ", " + _("federführend")
    return text


def _practice_value(
    name: str | None, sub: str | None, value: Any, content: Content, titles: Mapping[str, str]
) -> str:
    if name is None:  # the whole practice, added or removed: its title
        return str(value)
    if name == "actors":
        if sub == "type":
            return code_label(content, "actor_types", str(value))
        if sub == "lead":
            return str(_("ja") if value else _("nein"))
        if isinstance(value, Mapping):
            return _actor(value, content)
        return str(value)
    if name in CODE_LISTS:
        codes = value if isinstance(value, list) else [value]
        return "; ".join(code_label(content, CODE_LISTS[name], str(c)) for c in codes)
    if name in ("started", "ended"):
        return month(str(value))
    if name in ("budget_eur", "staff_fte") and isinstance(value, int | float):
        text = decimal(value, money=name == "budget_eur")
        return f"{text} €" if name == "budget_eur" else f"{text} {_('VZÄ')}"
    if name == "adopted_from" and isinstance(value, Mapping):
        practice = titles.get(str(value.get("practice") or ""))
        return quoted(practice) if practice else _("Maßnahme einer anderen Kommune")
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def display(
    path: str,
    value: Any,
    content: Content,
    titles: Mapping[str, str],
) -> str | None:
    """One old or new value of a change as people read it; None when empty."""
    if _empty(value):
        return None
    if path.startswith("indicators."):
        return _indicator_value(value, content.indicators.get(path[len("indicators.") :]))
    if path.startswith("indicator_practices."):
        refs = value if isinstance(value, list) else [value]
        return "; ".join(
            quoted(titles[str(r)]) if str(r) in titles else _("(entfernt)") for r in refs
        )
    match = _PRACTICE.match(path)
    if match:
        _pid, name, _row, sub = match.groups()
        return _practice_value(name, sub, value, content, titles)
    return str(value)


def label(
    path: str, docs: Sequence[ReportDocument | None], content: Content, template: ReportTemplate
) -> str:
    """A document path in words ("Maßnahme „Sprachcafé“ – Ergebnisse"); a practice is looked
    up in each of ``docs`` (e.g. before and after a change)."""
    origin = exchange.ORIGIN_PATH.match(path)
    if origin:  # no template field: named here, in the reader's language
        practice = label(origin.group(1), docs, content, template)
        return f"{practice} – {origin_label(origin.group(2))}"
    merged: ReportDocument = {
        "format": exchange.FORMAT,
        "municipality": "",
        "cycle": "",
        "indicators": {},
        "practices": [],
    }
    for doc in docs:
        if doc:
            merged["practices"] += doc.get("practices") or []
    return _FORMAT_HINT.sub("", exchange.describe(path, merged, content, template))


def origin_label(part: str) -> str:
    """An adopted practice's origin (``adopted_from``) or one of its two parts in words, in
    the reader's language: "Übernommen von: Kommune" (``exchange.ORIGIN_LABELS``)."""
    found = exchange.ORIGIN_LABELS.get(part)
    return localise(found) if found is not None else part


def rows(
    changes: Sequence[Change],
    content: Content,
    template: ReportTemplate,
    *docs: ReportDocument | None,
) -> list[ChangeRow]:
    """The change view's rows for ``changes`` (``exchange.diff``), practice titles looked up
    in ``docs`` (the newer revision first)."""
    titles = _titles(docs)
    result: list[ChangeRow] = []
    for c in changes:
        path = str(c["field"])
        old = display(path, c.get("old"), content, titles)
        new = display(path, c.get("new"), content, titles)
        kind: Kind = "added" if old is None else "removed" if new is None else "changed"
        result.append(
            ChangeRow(
                path=path, label=label(path, docs, content, template), old=old, new=new, kind=kind
            )
        )
    return result


class VersionChange(TypedDict):
    """One field that changed between two published versions of a practice."""

    label: str
    is_long: bool  # a long text: the page says only that it changed
    old: str  # "–" when the field was empty; "" for a long text
    new: str


#: Practice fields whose old and new values the versions list shows; the others (long texts,
#: actors, sources) are named as changed only.
SHORT_FIELDS = frozenset(
    {
        "title",
        "criterion",
        "fields",
        "recommendations",
        "site",
        "target_groups",
        "started",
        "ended",
        "status",
        "budget_eur",
        "staff_fte",
        "funding",
        "contact",
    }
)


def practice_label(name: str, template: ReportTemplate) -> str:
    """A practice field's plain name in the reader's language ("Ende", not the form's "Ende
    (JJJJ oder JJJJ-MM)"); the template's label, without its hint, for a field not known here."""
    labels = {
        "title": _("Titel"),
        "summary": _("Zusammenfassung"),
        "criterion": _("Kriterium"),
        "description": _("Beschreibung"),
        "fields": _("Handlungsfelder"),
        "recommendations": _("Handlungsempfehlungen"),
        "site": _("Ort oder Stadtteil"),
        "actors": _("Beteiligte"),
        "target_groups": _("Zielgruppen"),
        "started": _("Beginn"),
        "ended": _("Ende"),
        "status": _("Stand"),
        "budget_eur": _("Budget"),
        "staff_fte": _("Personal"),
        "funding": _("Finanzierung"),
        "outcomes": _("Ergebnisse"),
        "transferability": _("Übertragbarkeit"),
        "contact": _("Kontakt"),
        "sources": _("Quellen"),
    }
    if name == "adopted_from":
        return origin_label(name)
    if name in labels:
        return str(labels[name])
    field = template.practice_field(name)
    return _FORMAT_HINT.sub("", field.label) if field else name


def version_changes(
    changes: Sequence[Change], content: Content, template: ReportTemplate
) -> list[VersionChange]:
    """What changed in a practice since its version before (``changes`` by field path, without
    the practice ref), one entry per field in format order: old → new for short fields."""
    by_name: dict[str, list[Change]] = {}
    for c in changes:
        by_name.setdefault(str(c["field"]).split(".")[0].split("[")[0], []).append(c)
    result: list[VersionChange] = []
    for name in exchange.PRACTICE_FIELDS:
        if name not in by_name:
            continue
        found = by_name[name]
        text = practice_label(name, template)
        if name in SHORT_FIELDS and len(found) == 1 and found[0]["field"] == name:
            old, new = (
                "–" if _empty(v) else _practice_value(name, None, v, content, {})
                for v in (found[0].get("old"), found[0].get("new"))
            )
            result.append(VersionChange(label=text, is_long=False, old=old, new=new))
        else:
            result.append(VersionChange(label=text, is_long=True, old="", new=""))
    return result


def upload_label(
    path: str, doc: ReportDocument | None, content: Content, template: ReportTemplate
) -> str:
    """An uploaded file's error path in words, practice titles looked up in the draft ``doc``;
    a practice only the file has is named by its position there or as "in der Datei"."""
    if path in ("file", "workbook", ""):
        return str(_("Datei"))
    text = label(path, [doc], content, template)
    match = _PRACTICE.match(path)
    if match and "Maßnahme (entfernt)" in text:
        pid = match.group(1)
        named = (
            _("Maßnahme Nr. %(n)s in der Datei", n=pid[1:])
            if pid.startswith("#")
            else _("Maßnahme in der Datei")
        )
        text = text.replace("Maßnahme (entfernt)", named)
    return text
