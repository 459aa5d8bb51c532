"""The report exchange format ``omk-report/1``: validation, canonical form and diffs.

Documents are plain dicts, one per report revision. Forms, file uploads, the CLI and the API
all turn their input into such a document and go through :func:`check_document`; the database
is written from the validated document only (omk.services.reports). Until it is validated a
document is ``Any`` (or a ``Mapping``); once validated, or built by the product, it is an
``omk.document_types.ReportDocument`` (unknown keys carried at run time, see there).

Paths into a document (used by review comments, diffs and error messages) follow DOMAIN.md:
``indicators.<code>``, ``practices[<id>].<field>``, ``practices[<id>].actors[<n>].name``.
A practice without an id is addressed by its 1-based position: ``practices[#2]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from omk.content import Content, ReportTemplate
from omk.document_types import (
    ActorEntry,
    Change,
    PracticeDocument,
    ReportDocument,
    practice_with_extra,
)
from omk.errors import FieldError, ValidationFailed
from omk.messages import msg
from omk.wording import quoted

FORMAT = "omk-report/1"

#: The practice fields of the format, in their canonical order, with their empty value.
PRACTICE_FIELDS: dict[str, Any] = {
    "id": None,
    "title": "",
    "criterion": "",
    "fields": [],
    "recommendations": [],
    "summary": "",
    "description": "",
    "site": None,
    "actors": [],
    "target_groups": [],
    "started": None,
    "ended": None,
    "status": None,
    "budget_eur": None,
    "staff_fte": None,
    "funding": None,
    "outcomes": None,
    "transferability": None,
    "contact": None,
    "sources": [],
    "adopted_from": None,
}
#: At most this many actors per practice (the JSON Schema's maxItems; a test holds them equal).
MAX_ACTORS = 50
LIST_FIELDS = frozenset(k for k, v in PRACTICE_FIELDS.items() if v == [])
MARKDOWN_FIELDS = ("description", "outcomes", "transferability")
TOP_LEVEL = ("format", "municipality", "cycle", "indicators", "indicator_practices", "practices")

#: Bounds on unknown keys (DOMAIN.md): carried verbatim, but at most this many per object,
#: this many bytes per value (as compact JSON) and this deep.
MAX_UNKNOWN_KEYS = 20
MAX_UNKNOWN_BYTES = 10 * 1024
MAX_UNKNOWN_DEPTH = 5
#: No document of the format nests deeper than this (unknown values included); checked first,
#: without recursion, so a hostile document cannot exhaust the stack of any later check.
MAX_DOCUMENT_DEPTH = 4 + MAX_UNKNOWN_DEPTH


@cache
def _validator(schema_path: Path) -> Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_path(content: Content) -> Path:
    """Where the shipped JSON Schema of the format lives."""
    return content.root / "schema" / "omk-report-1.schema.json"


# --- paths -------------------------------------------------------------------------------


def practice_ref(practice: Any, index: int) -> str:
    """``practices[<id>]`` when the practice has an id, else ``practices[#<position>]``."""
    pid = practice.get("id") if isinstance(practice, dict) else None
    if isinstance(pid, str) and pid:
        return f"practices[{pid}]"
    return f"practices[#{index + 1}]"


def format_path(doc: Any, parts: Iterable[Any]) -> str:
    """Turn a JSON path (list of keys and indexes) into the format's path notation."""
    out = ""
    parts = list(parts)
    for i, part in enumerate(parts):
        if isinstance(part, int):
            if i == 1 and parts[0] == "practices":
                practices = doc.get("practices") if isinstance(doc, dict) else None
                item = (
                    practices[part] if isinstance(practices, list) and part < len(practices) else {}
                )
                out = practice_ref(item, part)
            else:
                out += f"[{part}]"
        elif i == 1 and parts[0] in ("indicators", "indicator_practices"):
            out += f".{part}"
        else:
            out += f".{part}" if out else str(part)
    return out or "document"


# --- reading JSON ---------------------------------------------------------------------------

#: Integers with more digits than this are refused (no count, euro amount or id needs more;
#: Python would otherwise parse 4,300 digits and fail later converting them to float).
MAX_INT_DIGITS = 18
#: Unpaired UTF-16 surrogates cannot be stored or encoded as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: How a surrogate or NUL can enter text decoded from UTF-8: only as a JSON escape.
_ESCAPED_SURROGATE_OR_NUL = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


class _Refused:
    """A JSON value the parser could not take as it is, marked for the path check."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _parse_int(text: str) -> int | _Refused:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Refused(
            msg(
                "Zahl mit %(digits)s Stellen; höchstens %(most)s sind erlaubt.",
                digits=digits,
                most=MAX_INT_DIGITS,
            )
        )
    return int(text)


def _parse_float(text: str) -> float | _Refused:
    if len(text) > 40:
        return _Refused(msg("Zahl mit zu vielen Stellen."))
    value = float(text)
    return value if math.isfinite(value) else _Refused(msg("Zahl außerhalb des Wertebereichs."))


def _parse_constant(name: str) -> _Refused:
    return _Refused(
        msg("Der Wert enthält %(name)s; das ist in JSON keine gültige Zahl.", name=name)
    )


def parse_json(data: bytes | str, where: str = "body", subject: str = "Der Inhalt") -> Any:
    """Parse a JSON document strictly, before anything else looks at it.

    Refused, each with its path and a German reason (ValidationFailed): text that is not
    UTF-8, invalid JSON, NaN and Infinity, integers over :data:`MAX_INT_DIGITS` digits,
    numbers out of range, unpaired surrogates (``"\\ud800"``) and NUL characters, and nesting
    deeper than Python's parser takes.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ValidationFailed(
            [FieldError(where, msg("%(subject)s ist nicht UTF-8-kodiert.", subject=subject))]
        ) from None
    try:
        doc = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [
                FieldError(
                    where,
                    msg(
                        "%(subject)s ist kein gültiges JSON "
                        "(Zeile %(lineno)s, Spalte %(colno)s: %(reason)s).",
                        subject=subject,
                        lineno=exc.lineno,
                        colno=exc.colno,
                        reason=exc.msg,
                    ),
                )
            ]
        ) from None
    except RecursionError:
        message = msg("%(subject)s ist zu tief verschachtelt.", subject=subject)
        raise ValidationFailed([FieldError(where, message)]) from None
    # Valid UTF-8 holds no surrogate and JSON no raw NUL: the texts need a look only when
    # the source has such an escape (a 4 MB body: 4 ms instead of 150 ms).
    texts = not isinstance(data, bytes) or _ESCAPED_SURROGATE_OR_NUL.search(text) is not None
    errors = _value_errors(doc, texts)
    if errors:
        raise ValidationFailed(errors, msg("Der Inhalt ist ungültig; nichts wurde gespeichert."))
    return doc


def _value_errors(doc: Any, texts: bool = True) -> list[FieldError]:
    """Refused numbers, surrogates and NUL (unless ``texts`` is false) anywhere in a parsed
    document, by path (no recursion: the depth is still unchecked here)."""
    errors: list[FieldError] = []
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack and len(errors) < 50:
        node, parts = stack.pop()
        if isinstance(node, _Refused):
            errors.append(FieldError(format_path(doc, parts), node.reason))
        elif isinstance(node, str) and texts:
            problem = _text_problem(node)
            if problem:
                errors.append(FieldError(format_path(doc, parts), problem))
        elif isinstance(node, dict):
            for key, value in node.items():
                problem = _text_problem(key) if texts and isinstance(key, str) else None
                if problem:
                    errors.append(FieldError(format_path(doc, parts), problem))
                stack.append((value, [*parts, key]))
        elif isinstance(node, list):
            stack.extend((value, [*parts, i]) for i, value in enumerate(node))
    return sorted(errors, key=lambda e: e.field)


def _text_problem(text: str) -> str | None:
    if _SURROGATE.search(text):
        return msg("Der Text enthält ein ungültiges Zeichen (ein einzelnes UTF-16-Surrogat).")
    if "\x00" in text:
        return msg("Der Text enthält ein NUL-Zeichen.")
    return None


# --- schema validation ----------------------------------------------------------------------

_TYPE_NAMES = {
    "number": "eine Zahl",
    "integer": "eine ganze Zahl",
    "string": "ein Text",
    "array": "eine Liste",
    "object": "ein Objekt",
    "boolean": "true oder false",
    "null": "null",
}
_PATTERN_HINTS = {
    "^[0-9]{8}$": "8 Ziffern erwartet (AGS).",
    "^[0-9]{4}(-(0[1-9]|1[0-2]))?$": msg("JJJJ oder JJJJ-MM erwartet."),
    "^https?://[^\\s]+$": msg("Ein Link muss mit http:// oder https:// beginnen."),
}


def _message(error: SchemaError) -> str:
    v, value = error.validator, error.instance
    expected: Any = error.validator_value
    if v == "required":
        return msg("Pflichtfeld fehlt.")
    if v == "type":
        expected = expected
        names = [expected] if isinstance(expected, str) else list(expected)
        return "Erwartet wird " + " oder ".join(_TYPE_NAMES.get(n, n) for n in names) + "."
    if v == "enum":
        allowed = ", ".join(str(x) for x in expected[:15])
        return msg(
            "Unbekannter Code %(value)s. Erlaubt: %(allowed)s.", value=repr(value), allowed=allowed
        )
    if v == "const":
        return msg("Muss %(expected)s sein.", expected=repr(expected))
    if v == "pattern":
        if "[0-9a-fA-F]{8}" in str(expected):
            return msg("Keine gültige ID (UUID).")
        return _PATTERN_HINTS.get(str(expected), msg("Ungültiges Format."))
    if v == "minLength":
        return msg("Darf nicht leer sein.")
    if v == "maxLength":
        return msg("Höchstens %(expected)s Zeichen.", expected=expected)
    if v == "minimum":
        return msg("Der Wert muss mindestens %(expected)s sein.", expected=expected)
    if v == "maximum":
        return msg("Der Wert darf höchstens %(expected)s sein.", expected=expected)
    if v == "uniqueItems":
        return msg("Einträge sind doppelt.")
    if v in ("maxItems", "maxProperties"):
        return msg("Höchstens %(expected)s Einträge.", expected=expected)
    if v == "additionalProperties":
        return msg("Unbekanntes Feld.")
    if v == "anyOf":
        # nullable: report the more specific of the alternatives
        best = min(error.context or [], key=lambda e: len(e.schema_path), default=None)
        return _message(best) if best is not None else msg("Ungültiger Wert.")
    return msg("Ungültiger Wert.")


def schema_errors(doc: Any, content: Content) -> list[FieldError]:
    """Every JSON Schema violation of ``doc``, with paths in the format's notation."""
    errors: list[FieldError] = []
    validator = _validator(schema_path(content))
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        errors += _field_errors(doc, error)
    return errors


def _field_errors(doc: Any, error: SchemaError) -> list[FieldError]:
    parts = list(error.absolute_path)
    if error.validator == "required":
        names: Any = error.validator_value
        given: Any = error.instance or {}
        missing = [p for p in names if p not in given]
        return [FieldError(format_path(doc, [*parts, name]), _message(error)) for name in missing]
    if error.validator == "propertyNames":
        return [FieldError(format_path(doc, parts), msg("Ungültiger Kennzahl-Code."))]
    if error.validator == "anyOf" and error.instance is not None:
        # a nullable field that is given (any ``anyOf [X, null]``: ``adopted_from``,
        # ``budget_eur``, ``status`` …): what is wrong with its value, at its own path
        # ("…adopted_from.municipality: 8 Ziffern erwartet", "…budget_eur: mindestens 0"),
        # not "Erwartet wird null."
        inner = [
            e
            for e in error.context or []
            if not (e.validator == "type" and e.validator_value == "null")
        ]
        branches = {e.schema_path[0] if e.schema_path else None for e in inner}
        if inner and len(branches) == 1:
            return [f for e in inner for f in _field_errors(doc, e)]
    return [FieldError(format_path(doc, parts), _message(error))]


# --- checks against the template and the taxonomy ---------------------------------------------


def _number_problem(value: Any, indicator: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return msg("Bitte eine Zahl angeben.")
    if indicator.type == "count" and float(value) != int(value):
        return msg("Bitte eine ganze Zahl angeben.")
    if value < indicator.min:
        return msg("Der Wert darf nicht kleiner als %(min)s sein.", min=_fmt(indicator.min))
    if indicator.max is not None and value > indicator.max:
        return msg("Der Wert darf nicht größer als %(max)s sein.", max=_fmt(indicator.max))
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


#: Control characters no text may carry (tab, line feed and carriage return are fine);
#: PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_errors(doc: Any) -> list[FieldError]:
    """Every string of the document that holds a control character, by path."""
    errors: list[FieldError] = []

    def walk(node: Any, parts: list[Any]) -> None:
        if isinstance(node, str):
            if _SURROGATE.search(node):
                errors.append(
                    FieldError(
                        format_path(doc, parts), msg("Der Text enthält ein ungültiges Zeichen.")
                    )
                )
            elif _CONTROL.search(node):
                errors.append(
                    FieldError(
                        format_path(doc, parts), msg("Der Text enthält unzulässige Steuerzeichen.")
                    )
                )
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _CONTROL.search(key):
                    errors.append(
                        FieldError(format_path(doc, parts), msg("Unzulässiges Steuerzeichen."))
                    )
                walk(value, [*parts, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*parts, i])

    walk(doc, [])
    return errors


def depth(node: Any) -> int:
    """How deeply containers nest in ``node`` (a scalar 0, ``{"a": 1}`` 1), without recursion."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
    return deepest


def unknown_keys(obj: Mapping[str, object], known: Iterable[str]) -> list[str]:
    """The keys of ``obj`` the format does not define (carried verbatim, shown nowhere)."""
    names = set(known)
    return [k for k in obj if k not in names]


def _unknown_errors(obj: Any, known: Iterable[str], path: str) -> list[FieldError]:
    """Unknown keys of one object beyond the bounds of DOMAIN.md, by path."""
    if not isinstance(obj, dict):
        return []
    errors: list[FieldError] = []
    extra = unknown_keys(obj, known)
    if len(extra) > MAX_UNKNOWN_KEYS:
        errors.append(
            FieldError(
                path,
                msg(
                    "Zu viele unbekannte Felder (%(count)s); höchstens %(most)s.",
                    count=len(extra),
                    most=MAX_UNKNOWN_KEYS,
                ),
            )
        )
    for key in extra[: MAX_UNKNOWN_KEYS + 1]:
        value = obj[key]
        where = f"{path}.{key}" if path != "document" else str(key)
        if depth(value) > MAX_UNKNOWN_DEPTH:
            errors.append(
                FieldError(
                    where,
                    msg(
                        "Unbekanntes Feld zu tief verschachtelt (höchstens %(most)s).",
                        most=MAX_UNKNOWN_DEPTH,
                    ),
                )
            )
        elif len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) > (
            MAX_UNKNOWN_BYTES
        ):
            errors.append(FieldError(where, msg("Unbekanntes Feld zu groß (höchstens 10 KB).")))
    return errors


def bound_errors(doc: Mapping[str, Any]) -> list[FieldError]:
    """Unknown keys of the document and its practices beyond the bounds, by path (``doc``
    is not validated yet)."""
    errors = _unknown_errors(doc, (*TOP_LEVEL, "template_version"), "document")
    practices = doc.get("practices")
    for i, practice in enumerate(practices if isinstance(practices, list) else []):
        errors += _unknown_errors(practice, PRACTICE_FIELDS, practice_ref(practice, i))
    return errors


def content_errors(
    doc: Mapping[str, Any], content: Content, template: ReportTemplate
) -> list[FieldError]:
    """Checks the schema cannot make: codes of the template, bounds, references, duplicates,
    control characters (``doc`` is not validated yet: every value is checked for its type)."""
    errors: list[FieldError] = _control_errors(doc)
    codes = set(template.indicator_codes())
    indicators = doc.get("indicators")
    for code, value in (indicators if isinstance(indicators, dict) else {}).items():
        path = f"indicators.{code}"
        if code not in codes:
            errors.append(
                FieldError(
                    path,
                    msg(
                        "Unbekannte Kennzahl %(code)s (Vorlage %(version)s).",
                        code=repr(code),
                        version=template.version,
                    ),
                )
            )
            continue
        problem = _number_problem(value, content.indicators[code])
        if problem:
            errors.append(FieldError(path, problem))
    practices = doc.get("practices")
    practices = practices if isinstance(practices, list) else []
    ids: dict[str, int] = {}
    for i, practice in enumerate(practices):
        if not isinstance(practice, dict):
            continue
        pid = practice.get("id")
        if isinstance(pid, str) and pid:
            key = pid.lower()
            if key in ids:
                errors.append(
                    FieldError(
                        practice_ref(practice, i) + ".id",
                        msg("ID doppelt (auch Maßnahme %(number)s).", number=ids[key] + 1),
                    )
                )
            ids[key] = i
        for name in ("budget_eur", "staff_fte"):
            number_value = practice.get(name)
            if isinstance(number_value, float) and not math.isfinite(number_value):
                errors.append(
                    FieldError(
                        practice_ref(practice, i) + f".{name}", msg("Bitte eine Zahl angeben.")
                    )
                )
        started, ended = practice.get("started"), practice.get("ended")
        if isinstance(started, str) and isinstance(ended, str) and ended < started:
            errors.append(
                FieldError(
                    practice_ref(practice, i) + ".ended", msg("Das Ende liegt vor dem Beginn.")
                )
            )
        actors = practice.get("actors") or []
        if (
            isinstance(actors, list)
            and sum(1 for a in actors if isinstance(a, dict) and a.get("lead")) > 1
        ):
            errors.append(
                FieldError(
                    practice_ref(practice, i) + ".actors",
                    msg("Nur ein Akteur kann federführend sein."),
                )
            )
    links = doc.get("indicator_practices")
    for code, refs in (links if isinstance(links, dict) else {}).items():
        path = f"indicator_practices.{code}"
        if code not in codes:
            errors.append(FieldError(path, msg("Unbekannte Kennzahl %(code)s.", code=repr(code))))
            continue
        for ref in refs if isinstance(refs, list) else []:
            if isinstance(ref, str) and ref.lower() not in ids:
                errors.append(
                    FieldError(
                        path, msg("Die Maßnahme %(ref)s gibt es in diesem Bericht nicht.", ref=ref)
                    )
                )
    return errors


def check_document(doc: Any, content: Content, template: ReportTemplate) -> list[FieldError]:
    """Every problem of a document at once: the JSON Schema, then template and reference
    checks (each reported once per field and message)."""
    if not isinstance(doc, dict):
        return [
            FieldError("document", msg("Erwartet wird ein JSON-Objekt im Format omk-report/1."))
        ]
    if depth(doc) > MAX_DOCUMENT_DEPTH:
        return [FieldError("document", msg("Das Dokument ist zu tief verschachtelt."))]
    errors = bound_errors(doc)
    if errors:
        return errors
    errors = schema_errors(doc, content)
    seen = {(e.field, e.message) for e in errors}
    schema_fields = {e.field for e in errors}
    for error in content_errors(doc, content, template):
        # A value the schema already refused (wrong type, out of range) is reported once.
        if error.field in schema_fields or (error.field, error.message) in seen:
            continue
        errors.append(error)
    return errors


# --- canonical form --------------------------------------------------------------------------


def number(value: Any) -> int | float | None:
    """A number as the format writes it: integral values as int."""
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() else f


def canonical_practice(practice: Mapping[str, Any]) -> PracticeDocument:
    """A practice with every known field present (empty values filled) in canonical order;
    unknown fields kept after the known ones (``practice`` is schema-valid)."""
    out: dict[str, Any] = {}
    for name, empty in PRACTICE_FIELDS.items():
        value = practice.get(name, empty)
        if value is None and name in LIST_FIELDS:
            value = []
        if name == "actors":
            value = [canonical_actor(a) for a in value]
        if name in ("budget_eur", "staff_fte"):
            value = number(value)
        if isinstance(value, str) and name not in ("title", "summary", "description", "criterion"):
            value = value.strip() or None
        out[name] = list(value) if isinstance(value, list) else value
    return practice_with_extra(out, practice)


def canonical_actor(actor: Mapping[str, Any]) -> ActorEntry:
    """An actor with its three keys (type ``sonstige`` and lead false if absent)."""
    return {
        "name": actor.get("name", ""),
        "type": actor.get("type") or "sonstige",
        "lead": bool(actor.get("lead", False)),
    }


def canonical(doc: Mapping[str, Any], template: ReportTemplate | None = None) -> ReportDocument:
    """The document in canonical form (ordering, empty values, numbers) for storage and diffs.

    ``doc`` is schema-valid (or a ``ReportDocument``); ``template_version`` and unknown
    top-level keys are not kept, unknown practice keys are."""
    order = template.indicator_codes() if template else sorted(doc.get("indicators") or {})
    indicators = doc.get("indicators") or {}
    ordered = [c for c in order if c in indicators] + sorted(
        c for c in indicators if c not in order
    )
    links = doc.get("indicator_practices") or {}
    # A workbook being read may lack them: canonical form keeps None then (and
    # check_document refuses the document), so these two are not narrowed to ``str``.
    municipality: Any = doc.get("municipality")
    cycle: Any = doc.get("cycle")
    return {
        "format": FORMAT,
        "municipality": municipality,
        "cycle": cycle,
        "indicators": {c: number(indicators[c]) for c in ordered if indicators[c] is not None},
        "indicator_practices": {c: list(links[c]) for c in ordered + sorted(links) if links.get(c)},
        "practices": [canonical_practice(p) for p in doc.get("practices") or []],
    }


# --- diffs ---------------------------------------------------------------------------------


def diff(old: ReportDocument, new: ReportDocument) -> list[Change]:
    """What changed from ``old`` to ``new``: ``[{"field", "old", "new"}]`` by path.

    Practices are matched by id, so reordering is not a change; a removed practice is one
    change ``practices[<id>]`` (old: its title, new: null), an added one the reverse.
    Unknown keys are not compared (they are shown nowhere but in exports).
    """
    changes: list[Change] = []

    def add(field: str, a: object, b: object) -> None:
        if a != b:
            changes.append({"field": field, "old": a, "new": b})

    old_ind, new_ind = old.get("indicators") or {}, new.get("indicators") or {}
    for code in _union(old_ind, new_ind):
        add(f"indicators.{code}", old_ind.get(code), new_ind.get(code))
    old_links, new_links = (
        old.get("indicator_practices") or {},
        new.get("indicator_practices") or {},
    )
    for code in _union(old_links, new_links):
        add(
            f"indicator_practices.{code}",
            sorted(old_links.get(code) or []),
            sorted(new_links.get(code) or []),
        )

    old_p = {p["id"]: p for p in old.get("practices") or [] if p.get("id")}
    new_p = {p["id"]: p for p in new.get("practices") or [] if p.get("id")}
    for pid in _union(old_p, new_p):
        ref = f"practices[{pid}]"
        a, b = old_p.get(pid), new_p.get(pid)
        if a is None or b is None:
            add(ref, a and a.get("title"), b and b.get("title"))
            continue
        for name in PRACTICE_FIELDS:
            if name == "id" or (name not in a and name not in b):
                continue
            if name == "actors":
                _diff_actors(ref, a.get("actors") or [], b.get("actors") or [], add)
            else:
                add(f"{ref}.{name}", a.get(name), b.get(name))
    return changes


def _diff_actors(
    ref: str,
    old: list[ActorEntry],
    new: list[ActorEntry],
    add: Callable[[str, object, object], None],
) -> None:
    for n in range(max(len(old), len(new))):
        a = old[n] if n < len(old) else None
        b = new[n] if n < len(new) else None
        if a is None or b is None:
            add(f"{ref}.actors[{n}]", a, b)
            continue
        for key in ("name", "type", "lead"):
            add(f"{ref}.actors[{n}].{key}", a.get(key), b.get(key))


def _union(a: Iterable[str | None], b: Iterable[str | None]) -> list[str]:
    seen = [k for k in a if k is not None]
    return seen + [k for k in b if k is not None and k not in seen]


_PATH = re.compile(r"^practices\[([^\]]+)\](?:\.(\w+)(?:\[(\d+)\](?:\.(\w+))?)?)?$")
ORIGIN_PATH = re.compile(r"^(practices\[[^\]]+\])\.(adopted_from(?:\.practice|\.municipality)?)$")
#: The origin of an adopted practice and its two parts in words (the document has no template
#: field for them): German where this module's texts are German, in the reader's language on a
#: page (``messages.localise``). The workbook's column headings are its own (workbook.columns).
ORIGIN_LABELS = {
    "adopted_from": msg("Übernommen von"),
    "adopted_from.practice": msg("Übernommen von: Maßnahme"),
    "adopted_from.municipality": msg("Übernommen von: Kommune"),
}


def practice_field_label(name: str, template: ReportTemplate) -> str:
    """A practice field's label: the template's, or the origin's ("Übernommen von")."""
    field = template.practice_field(name)
    return field.label if field else ORIGIN_LABELS.get(name, name)


def describe(
    path: str, doc: ReportDocument | None, content: Content, template: ReportTemplate
) -> str:
    """A path as people read it.

    ``practices[<id>].outcomes`` becomes Maßnahme „Sprachcafé“ – Ergebnisse.
    """
    if path == "report":
        return "Bericht insgesamt"
    if path == "practices":
        return "Maßnahmen"
    for prefix, fmt in (("indicators.", "{}"), ("indicator_practices.", "Maßnahmen zu: {}")):
        if path.startswith(prefix):
            code = path[len(prefix) :]
            indicator = content.indicators.get(code)
            return fmt.format(indicator.label if indicator else code)
    origin = ORIGIN_PATH.match(path)
    if origin:
        owner = describe(origin.group(1), doc, content, template)
        return f"{owner} – {ORIGIN_LABELS[origin.group(2)]}"
    match = _PATH.match(path)
    if not match:
        return path
    pid, name, row, sub = match.groups()
    practices = (doc.get("practices") or []) if doc else []
    practice = next((p for p in practices if p.get("id") == pid), None)
    text = f"Maßnahme {quoted(practice['title'])}" if practice else "Maßnahme (entfernt)"
    if name:
        text += " – " + practice_field_label(name, template)
    if row is not None:
        text += f", Zeile {int(row) + 1}"
        if sub:
            text += {"name": " (Name)", "type": " (Art)", "lead": " (Federführung)"}.get(
                sub, f" ({sub})"
            )
    return text


def touches(change_field: str, comment_field: str) -> bool:
    """Whether a change at ``change_field`` answers a comment on ``comment_field``.

    A comment on the report as a whole is answered by any change.
    """
    return (
        comment_field == "report"
        or change_field == comment_field
        or change_field.startswith(comment_field + ".")
        or change_field.startswith(comment_field + "[")
        or comment_field.startswith(change_field + ".")  # the whole practice was removed
    )
