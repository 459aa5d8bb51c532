"""GET /api/v1/good-practices, /api/v1/practices/<id>/peer-reviews and /api/v1/synergies."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from omk.api import bp
from omk.api.envelope import ListEnvelope, PageQuery
from omk.api.openapi import operation
from omk.api.schemas import Error
from omk.api.validation import query_args
from omk.errors import NotFound
from omk.links import response_url
from omk.models.reporting import Cycle
from omk.policy import Action, actor, permission
from omk.services import cycles, practices
from omk.synergies import judgements, peer_review, suggestions, validation
from omk.synergies.partner_provider import names_of

TAGS = ("Gute Praxis und Synergien",)
REGION = r"^[0-9]{0,9}$"


class GoodPracticeQuery(PageQuery):
    cycle: str | None = Field(None, max_length=20, description="nur Fassungen dieser Runde")
    region: str = Field("", pattern=REGION, description="Schlüssel-Präfix, leer: alle")


class Mark(BaseModel):
    mark: int | None
    note: str


class GoodPractice(BaseModel):
    practice_id: str
    url: str
    title: str
    ags: str
    name: str
    cycle: str
    validated_at: datetime
    rubric_version: str
    marks: dict[str, Mark] = Field(description="Note und Begründung je Kriterium")
    justification: str


class GoodPracticeList(ListEnvelope[GoodPractice]):
    """Validated good practices, best marked first."""


def _cycle(code: str | None) -> Cycle | None:
    if not code:
        return None
    for cycle in cycles.visible_cycles(actor()):
        if cycle.code == code:
            return cycle
    raise NotFound("Diese Berichtsrunde gibt es nicht.")


@bp.get("/good-practices")
@permission(Action.PRACTICE_READ)
@operation(
    "get",
    "/api/v1/good-practices",
    "Als gute Praxis validierte Maßnahmen einer Runde und Region",
    query=GoodPracticeQuery,
    responses={200: GoodPracticeList, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def good_practices() -> ResponseReturnValue:
    args = query_args(GoodPracticeQuery)
    found = validation.good_practices(args.region, _cycle(args.cycle))
    page = found[args.offset : args.offset + args.per_page]
    names = names_of({g.version.municipality_key for g in page})
    items = [
        GoodPractice(
            practice_id=g.version.practice_id,
            url=response_url("practices.detail", practice_id=g.version.practice_id),
            title=g.version.practice.title,
            ags=g.version.report.municipality.reporting_ags or g.version.municipality_key,
            name=names[g.version.municipality_key],
            cycle=g.version.cycle.code,
            validated_at=g.validation.validated_at,
            rubric_version=g.validation.rubric_version,
            marks={k: Mark.model_validate(v) for k, v in (g.validation.marks or {}).items()},
            justification=g.validation.justification,
        )
        for g in page
    ]
    body = GoodPracticeList(total=len(found), page=args.page, per_page=args.per_page, items=items)
    return jsonify(body.model_dump(mode="json"))


class Place(BaseModel):
    ags: str
    name: str


class PeerAnswer(BaseModel):
    ags: str
    name: str
    effective: str = Field(description="Ist die Maßnahme wirksam?")
    objectives: str = Field(description="Dient sie den Zielen der Berichtsrunde?")
    transfer: str = Field(description="Übertragbar zu uns, unter welchen Bedingungen?")


class PeerReviewOut(BaseModel):
    id: int
    url: str
    status: str = Field(description="open oder published")
    opened_at: datetime
    published_at: datetime | None
    host: Place
    invited: list[Place]
    synthesis: str | None
    comments: list[PeerAnswer]


class PeerReviewList(ListEnvelope[PeerReviewOut]):
    """Peer reviews of a practice, newest first."""


class PeerReviewQuery(PageQuery):
    per_page: int = Field(20, ge=1, le=100)


@bp.get("/practices/<practice_id>/peer-reviews")
@permission(Action.PRACTICE_READ, per_object=True)
@operation(
    "get",
    "/api/v1/practices/{practice_id}/peer-reviews",
    "Peer Reviews einer Maßnahme: veröffentlichte für alle; offene für Prüfende der Region "
    "und die eingeladenen Kommunen",
    query=PeerReviewQuery,
    responses={200: PeerReviewList, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def practice_peer_reviews(practice_id: str) -> ResponseReturnValue:
    user = actor()
    published = practices.get_published(user, practice_id)  # NotFound, policy
    args = query_args(PeerReviewQuery)
    found = peer_review.for_practice(user, published.practice_id)
    page = found[args.offset : args.offset + args.per_page]
    keys = {k for r in page for k in (r.municipality_key, *r.invited_keys)}
    names = names_of(keys | {c.municipality_key for r in page for c in r.comments})
    items = [
        PeerReviewOut(
            id=r.id,
            url=response_url("synergies.peer_review", review_id=r.id),
            status=r.status,
            opened_at=r.opened_at,
            published_at=r.published_at,
            host=Place(ags=r.municipality_key, name=names[r.municipality_key]),
            invited=[Place(ags=k, name=names[k]) for k in r.invited_keys],
            synthesis=r.synthesis,
            comments=[
                PeerAnswer(
                    ags=c.municipality_key,
                    name=names[c.municipality_key],
                    effective=c.effective,
                    objectives=c.objectives,
                    transfer=c.transfer,
                )
                for c in r.comments
            ],
        )
        for r in page
    ]
    body = PeerReviewList(total=len(found), page=args.page, per_page=args.per_page, items=items)
    return jsonify(body.model_dump(mode="json"))


class SynergyQuery(PageQuery):
    cycle: str | None = Field(None, max_length=20, description="Runde, sonst die neueste")
    region: str = Field("", pattern=REGION, description="Schlüssel-Präfix, leer: alle")
    kind: str | None = Field(None, pattern="^(similar|transfer|partner)$")


class SideOut(BaseModel):
    type: str = Field(description="practice, municipality oder organisation")
    id: str
    label: str


class SynergyOut(BaseModel):
    kind: str
    a: SideOut
    b: SideOut
    practice_id: str | None
    score: float = Field(
        description="Wert, nach dem innerhalb einer Art geordnet wird (ähnliche Maßnahmen: "
        "standardisierte Ähnlichkeit; "
        "Übertragungen und Partner: 0 bis 1); zwischen Arten nicht vergleichbar"
    )
    terms: list[str]
    explanation: str
    status: str = Field(description="open, confirmed oder dismissed")


class SynergyList(ListEnvelope[SynergyOut]):
    """Synergy suggestions, best first; without ``kind`` the kinds take turns (scores compare
    within a kind only)."""


@bp.get("/synergies")
@permission(Action.SYNERGY_READ)
@operation(
    "get",
    "/api/v1/synergies",
    "Synergie-Vorschläge einer Runde und Region (ähnliche Maßnahmen, Übertragungen, "
    "gemeinsame Partner), "
    "mit dem Urteil, das in dieser Region gilt",
    query=SynergyQuery,
    responses={200: SynergyList, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def list_synergies() -> ResponseReturnValue:
    user = actor()
    args = query_args(SynergyQuery)
    cycle = _cycle(args.cycle)
    if cycle is None:
        visible = sorted(cycles.visible_cycles(user), key=lambda c: (c.period_end, c.code))
        cycle = visible[-1] if visible else None
    found, fresh = (
        judgements.view_with_freshness(cycle, args.region, args.kind) if cycle else ({}, None)
    )
    total = sum(len(items) for items in found.values())
    page = islice(suggestions.interleave(found), args.offset, args.offset + args.per_page)
    items = [
        SynergyOut(
            kind=s.kind,
            a=SideOut.model_validate(s.a),
            b=SideOut.model_validate(s.b),
            practice_id=s.practice_id,
            score=s.score,
            terms=s.terms,
            explanation=s.explanation,
            status=s.status,
        )
        for s in page
    ]
    body = SynergyList(total=total, page=args.page, per_page=args.per_page, items=items)
    response = jsonify(body.model_dump(mode="json"))
    if fresh is not None and fresh.computed_at is not None:
        response.last_modified = fresh.computed_at  # when the published state was read
    return response
