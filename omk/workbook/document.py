"""The document of a workbook and what identifies a workbook: the draft it was made from, the
fingerprints of its values and its content hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field

from omk import exchange
from omk.document_types import ReportDocument

# --- the document and what identifies a workbook --------------------------------------------


@dataclass(frozen=True)
class WorkbookInfo:
    """What the hidden sheet records: for whom the workbook was made, from which draft."""

    cycle: str
    municipality: str  # the reporting AGS; "" for the blank template of a cycle
    template_version: str
    base: str  # content_hash of the draft the workbook was filled from
    municipality_name: str = ""
    cycle_title: str = ""
    created_at: str = ""
    #: path → keyed fingerprint of the draft's value (see :func:`fingerprints`)
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: practice id → the title the origin column shows instead of the id (a title that the
    #: upload reads back as exactly that practice; see ``learning.origin_titles``)
    origin_titles: dict[str, str] = field(default_factory=dict)


def empty_document(municipality: str, cycle: str) -> ReportDocument:
    """A document without indicators and practices (what a blank template stands for)."""
    return {
        "format": exchange.FORMAT,
        "municipality": municipality,
        "cycle": cycle,
        "indicators": {},
        "indicator_practices": {},
        "practices": [],
    }


#: Paths of the fingerprint rows on the hidden sheet.
_PATH_KEY = re.compile(r"^(indicators\.|indicator_practices\.|practices\[)")
_ABSENT = "-"


def fingerprints(doc: ReportDocument, key: bytes) -> dict[str, str]:
    """A keyed fingerprint (HMAC, 16 hex digits) of every value of a canonical document, by
    path: ``indicators.<code>``, ``indicator_practices.<code>``, ``practices[<id>].<field>``.

    The workbook keeps them hidden, so an upload can tell which values someone changed in the
    draft after the download; keyed, so they reveal nothing about the values."""

    def mark(value: object) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    out: dict[str, str] = {}
    for code, value in (doc.get("indicators") or {}).items():
        out[f"indicators.{code}"] = mark(value)
    for code, refs in (doc.get("indicator_practices") or {}).items():
        out[f"indicator_practices.{code}"] = mark(sorted(refs or []))
    for practice in doc.get("practices") or []:
        pid = str(practice.get("id") or "").lower()
        for name, field_value in practice.items():
            if name != "id" and pid:
                out[f"practices[{pid}].{name}"] = mark(field_value)
    return out


def overwritten(
    base: dict[str, str], current: dict[str, str], uploaded: dict[str, str]
) -> list[str]:
    """Paths someone changed in the draft since the workbook was made (``base``) that the
    upload would set back or to something else: the changes an upload would silently lose."""
    paths = sorted(set(base) | set(current))
    return [
        path
        for path in paths
        if current.get(path, _ABSENT) != base.get(path, _ABSENT)
        and uploaded.get(path, _ABSENT) != current.get(path, _ABSENT)
    ]


def content_hash(doc: ReportDocument) -> str:
    """A fingerprint of a document's content (indicators, links, practices), for the edit check."""
    body = {
        "indicators": doc.get("indicators") or {},
        "indicator_practices": doc.get("indicator_practices") or {},
        "practices": doc.get("practices") or [],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
