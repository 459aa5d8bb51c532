"""Write audit entries: who did what to which record, when."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from omk.extensions import db
from omk.models.audit import AuditEntry
from omk.policy import Actor


def client_address() -> str | None:
    """The client's address as the WSGI server (or the trusted proxy fix) reports it."""
    if not has_request_context():
        return None
    return request.remote_addr


def record(
    actor: Actor | None,
    action: str,
    obj: Any = None,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry to the current unit of work (never contains secrets or bodies)."""
    object_type = object_id = None
    if obj is not None:
        object_type = type(obj).__name__.lower()
        object_id = str(getattr(obj, "id", None) or getattr(obj, "key", ""))
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        from_state=from_state,
        to_state=to_state,
        address=client_address(),
        detail=detail,
    )
    db.session.add(entry)
    return entry
