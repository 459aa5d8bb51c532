"""SQLAlchemy 2 typed models, one module per aggregate."""

from omk.models.accounts import ApiToken, LoginThrottle, Role, User, UserSession
from omk.models.audit import AuditEntry
from omk.models.compare import PublishedFigure, PublishedFigureState
from omk.models.following import SavedSearch
from omk.models.outbox import OutboxCursor, OutboxEntry, OutboxKind
from omk.models.register import Level, Municipality, RegisterImport
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
from omk.models.search import SearchDocument, SearchGeneration, SearchWord
from omk.models.similarity import PracticeVector, SimilarPractice
from omk.models.synergies import (
    PeerReview,
    PeerReviewComment,
    PeerReviewInvitation,
    PracticeValidation,
    SynergyJudgement,
    SynergySnapshot,
    SynergySnapshotBlock,
)
from omk.models.synthesis import SynthesisDraft, SynthesisVersion

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Cycle",
    "CycleRegion",
    "IndicatorValue",
    "Level",
    "LoginThrottle",
    "Municipality",
    "OutboxCursor",
    "OutboxEntry",
    "OutboxKind",
    "PeerReview",
    "PeerReviewComment",
    "PeerReviewInvitation",
    "Practice",
    "PracticeActor",
    "PracticeValidation",
    "PracticeVector",
    "PublishedFigure",
    "PublishedFigureState",
    "RegisterImport",
    "Report",
    "ReportState",
    "ReviewComment",
    "ReviewEvent",
    "Revision",
    "Role",
    "SavedSearch",
    "SearchDocument",
    "SearchGeneration",
    "SearchWord",
    "SimilarPractice",
    "SynergyJudgement",
    "SynergySnapshot",
    "SynergySnapshotBlock",
    "SynthesisDraft",
    "SynthesisVersion",
    "User",
    "UserSession",
]
