"""SQLAlchemy 2 typed models, one module per aggregate."""

from omk.models.accounts import ApiToken, LoginThrottle, Role, User, UserSession
from omk.models.audit import AuditEntry
from omk.models.register import Level, Municipality
from omk.models.reporting import (
    Cycle,
    CycleRegion,
    IndicatorValue,
    Practice,
    PracticeActor,
    Report,
    ReportState,
    ReviewComment,
    ReviewEvent,
    Revision,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Cycle",
    "CycleRegion",
    "IndicatorValue",
    "Level",
    "LoginThrottle",
    "Municipality",
    "Practice",
    "PracticeActor",
    "Report",
    "ReportState",
    "ReviewComment",
    "ReviewEvent",
    "Revision",
    "Role",
    "User",
    "UserSession",
]
