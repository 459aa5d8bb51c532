"""The types of an ``omk-report/1`` document (content/schema/omk-report-1.schema.json).

These describe a document that is known to be valid (it passed ``exchange.check_document``)
or that the product built itself (read from rows, canonical form). Input from a request, a
file or the CLI is ``Any`` (or ``Mapping[str, object]``) until it has been validated; the one
place that turns a validated value into a ``ReportDocument`` is :func:`validated`.

Unknown keys. The format carries keys it does not know verbatim (DOMAIN.md: a newer
instance's fields survive a round trip through an older one). A ``TypedDict`` cannot say
"and any other keys", so mypy sees only the known keys; at run time the dicts still hold the
unknown ones and the functions that copy documents keep them: ``exchange.canonical_practice``
appends them after the known fields, the rows keep them in ``Practice.extra`` and
``practice_to_dict`` puts them back. Code that needs them reads them through
:func:`extra_fields` (a plain ``dict``), never by key on the typed dict.
"""

# No ``from __future__ import annotations`` here: TypedDict works out ``__required_keys__``
# from evaluated annotations only (Required/NotRequired inside a string are not seen on 3.11).
from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, Required, TypedDict, cast


class ActorEntry(TypedDict):
    """``practices[].actors[]``: who carries a practice. Canonical form has all three keys."""

    name: str
    type: NotRequired[str]  # an actor type code (DOMAIN.md); canonical form: "sonstige" if none
    lead: NotRequired[bool]  # false if absent


class AdoptedFrom(TypedDict):
    """``practices[].adopted_from``: the practice this one was taken over from."""

    practice: str  # the other practice's id (UUID)
    municipality: str  # the other municipality's AGS


class PracticeDocument(TypedDict, total=False):
    """A practice of the exchange format. ``title``, ``criterion``, ``summary`` and
    ``description`` are required; in canonical form (``exchange.canonical_practice``) every
    key is present, empty values filled (lists ``[]``, the rest ``None``)."""

    id: str | None  # UUID; assigned when a practice is stored
    title: Required[str]
    criterion: Required[str]  # a criterion code
    fields: list[str]
    recommendations: list[str]
    summary: Required[str]
    description: Required[str]
    site: str | None
    actors: list[ActorEntry]
    target_groups: list[str]
    started: str | None  # YYYY or YYYY-MM
    ended: str | None
    status: str | None  # planned, active, ended
    budget_eur: int | float | None
    staff_fte: int | float | None
    funding: str | None
    outcomes: str | None
    transferability: str | None
    contact: str | None
    sources: list[str]
    adopted_from: AdoptedFrom | None


class ReportDocument(TypedDict):
    """A report revision in the exchange format (``"format": "omk-report/1"``)."""

    format: str
    municipality: str  # the reporting AGS (8 digits)
    cycle: str  # the cycle's code
    template_version: NotRequired[str]  # informative; not kept in canonical form
    indicators: dict[str, int | float | None]  # canonical form drops the None values
    indicator_practices: NotRequired[dict[str, list[str]]]  # always present when canonical
    practices: list[PracticeDocument]


class Change(TypedDict):
    """One entry of ``exchange.diff``: a path (``indicators.<code>``, ``practices[<id>]``,
    ``practices[<id>].<field>``, ``practices[<id>].actors[<n>].<key>``) and its values
    before and after (any JSON value; ``None`` where it was or is absent)."""

    field: str
    old: Any
    new: Any


def validated(doc: object) -> ReportDocument:
    """``doc`` as a ``ReportDocument``, for a value that ``exchange.check_document`` has
    accepted (or that the product built in the format itself).

    The one cast of the module: the JSON schema, not mypy, proves the shape here.
    """
    return cast(ReportDocument, doc)


def practice_of(fields: Mapping[str, Any]) -> PracticeDocument:
    """A practice assembled field by field under the format's names (canonical form, a
    form's input); it is validated with its document when the document is saved."""
    # Built by name from the format's field list (exchange.PRACTICE_FIELDS), so its shape is
    # PracticeDocument's; the extra keys are invisible to the TypedDict (module docstring).
    return cast(PracticeDocument, dict(fields))


def practice_with_extra(
    known: Mapping[str, Any], extra: Mapping[str, Any] | None
) -> PracticeDocument:
    """A practice built from its known fields (``known``, keyed by the names of
    ``PracticeDocument``) followed by the unknown ones carried verbatim (``extra``)."""
    out: dict[str, Any] = dict(known)
    for name, value in (extra or {}).items():
        out.setdefault(name, value)
    return practice_of(out)


def extra_fields(practice: Mapping[str, object], known: Iterable[str]) -> dict[str, Any]:
    """The keys of ``practice`` the format does not know, carried verbatim."""
    names = set(known)
    return {k: v for k, v in practice.items() if k not in names}
