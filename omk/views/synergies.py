"""Synergies and good practices: the synergy page (every kind through its provider), the
judgement of a suggestion, the candidates for validation, the validation with the rubric, peer
reviews, and the rubric itself."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from omk.errors import Conflict, FieldError, NotFound, ValidationFailed
from omk.models.accounts import Role
from omk.models.reporting import Cycle
from omk.policy import Action, actor, authorize, can, permission
from omk.services import cycles, practices
from omk.synergies import (
    adoption,
    cache,
    candidates,
    content,
    invitees,
    judgements,
    learning,
    peer_review,
    suggestions,
    validation,
)
from omk.synergies.partner_provider import names_of
from omk.synergies.validation import MarkIn
from omk.views.helpers import RegionFilter, bounded_int, region_filter
from omk.views.reports import CsrfForm

bp = Blueprint("synergies", __name__)

_REGION = re.compile(r"^[0-9]{0,9}$")
_KEY = re.compile(r"^[0-9]{5,9}$")
MAX_SHOWN = 200
OVERVIEW_SHOWN = 10  # per kind when every kind is shown
PER_PAGE = 25  # when one kind is shown


def _checked_form() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400)


def _default_region(user: Any) -> str:
    if getattr(user, "role", None) == Role.REVIEWER:
        return str(user.scope or "")
    return ""


def _region_filter(user: Any) -> RegionFilter:
    return region_filter(_default_region(user))


def _cycle_arg(user: Any, name: str = "cycle") -> Cycle | None:
    """The cycle asked for, else the newest the user may see."""
    visible = sorted(
        cycles.visible_cycles(user), key=lambda c: (c.period_end, c.code), reverse=True
    )
    code = request.values.get(name, "").strip()
    if not code:
        return visible[0] if visible else None
    for cycle in visible:
        if cycle.code == code:
            return cycle
    raise NotFound(_("Diese Berichtsrunde gibt es nicht."))


@bp.get("/synergien/")
@permission(Action.SYNERGY_READ)
def index() -> ResponseReturnValue:
    """Synergy suggestions of a cycle and a region, by kind, with their judgements."""
    user = actor()
    cycle = _cycle_arg(user)
    chosen = _region_filter(user)
    region = chosen.key or ""
    kind = request.args.get("kind", "").strip()
    if kind and kind not in suggestions.KINDS:
        kind = ""
    # a region name that named none or several: the form with the candidates, no results
    found, fresh = (
        judgements.view_with_freshness(cycle, region, kind or None)
        if cycle and chosen.error is None
        else ({}, None)
    )
    sections, page, pages = [], 1, 1
    for p in suggestions.providers():
        if kind and p.kind != kind:
            continue
        items = found.get(p.kind, [])
        if kind:
            pages = max(1, -(-len(items) // PER_PAGE))
            try:
                page = bounded_int(
                    request.args.get("page"), name="page", lower=1, upper=pages, default=1
                )
            except ValidationFailed:
                page = 1
            shown = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        else:
            shown = items[:OVERVIEW_SHOWN]
        # the kept suggestions are shared: the user's view of them is set on copies
        shown = [suggestions.copied(s, may_judge=can(user, Action.SYNERGY_JUDGE, s)) for s in shown]
        sections.append(
            {
                "kind": p.kind,
                "label": _(p.label),
                "total": len(items),
                "first": (page - 1) * PER_PAGE + 1 if kind else 1,
                "items": shown,
                "groups": sorted({s.group for s in shown}, key=lambda g: g != "organisation"),
            }
        )
    adoptable = {
        s.identity for section in sections for s in section["items"] if adoption.adoptable(user, s)
    }
    own = adoption.choices(user) if adoptable else []
    transfers: list[learning.Transfer] = []
    if chosen.error is None and cycle is not None:  # kept like the suggestions
        until = cycle
        transfers = cache.remembered(
            "network", cycle, region, lambda: learning.network(region, until=until)
        )
    elif chosen.error is None:
        transfers = learning.network(region)
    return render_template(
        "synergies/index.html",
        cycle=cycle,
        cycles=sorted(cycles.visible_cycles(user), key=lambda c: c.period_end, reverse=True),
        region=region,
        region_filter=chosen,
        kind=kind,
        kinds=[(p.kind, _(p.label)) for p in suggestions.providers()],
        sections=sections,
        fresh=fresh,
        page=page,
        pages=pages,
        transfers=transfers,
        drawing=learning.layout(transfers) if learning.drawable(transfers) else None,
        lanes=learning.lanes(transfers),
        form=CsrfForm(),
        adoptable=adoptable if own else set(),
        own_practices=own,
    ), (422 if chosen.error else 200)


@bp.post("/synergien/uebernahme")
@permission(Action.REPORT_EDIT, per_object=True)
def adopt() -> ResponseReturnValue:
    """Record a confirmed transfer as the origin of a practice of the own draft."""
    _checked_form()
    user = actor()
    cycle = _cycle_arg(user)
    if cycle is None:
        raise NotFound(_("Diese Berichtsrunde gibt es nicht."))
    form = request.form
    report = adoption.record(user, cycle, form.get("origin", ""), form.get("practice", ""))
    flash(
        _("Übernahme im Entwurf erfasst; sie zählt, sobald der Bericht veröffentlicht ist."),
        "success",
    )
    ags = report.municipality.reporting_ags or report.municipality_key
    return redirect(url_for("reports.detail", cycle=report.cycle.code, ags=ags) + "#massnahmen")


@bp.post("/synergien/urteil")
@permission(Action.SYNERGY_JUDGE, per_object=True)
def judge() -> ResponseReturnValue:
    """Confirm or dismiss a suggestion (the service checks the region), then back."""
    _checked_form()
    user = actor()
    form = request.form
    status = form.get("status", "")
    back_region = form.get("region", "")
    cycle_code = form.get("cycle", "")
    if not _REGION.match(back_region):
        back_region = ""
    if status not in judgements.JUDGED:
        raise ValidationFailed(message=_("Bitte „bestätigen“ oder „verwerfen“ wählen."))
    cycle = _cycle_arg(user)
    if cycle is None:
        raise NotFound(_("Diese Berichtsrunde gibt es nicht."))
    judgements.judge(
        user,
        cycle,
        form.get("kind", ""),
        form.get("a", ""),
        form.get("b", ""),
        form.get("subject", ""),
        status,
        form.get("note", ""),
    )
    labels = {
        "confirmed": _("Vorschlag bestätigt."),
        "dismissed": _(
            "Vorschlag verworfen. Verworfene Vorschläge stehen am Ende ihrer Liste; dort lässt "
            "sich die Entscheidung zurücknehmen."
        ),
        "open": _("Vorschlag wieder offen."),
    }
    flash(labels[status], "success")
    view_kind = form.get("view_kind", "")
    back_page = form.get("page", "")
    return redirect(
        url_for(
            "synergies.index",
            cycle=cycle_code,
            region=back_region,
            kind=view_kind if view_kind in suggestions.KINDS else None,
            page=back_page if back_page.isdigit() and back_page != "1" else None,
        )
        + "#s-"
        + form.get("kind", "")
    )


@bp.get("/synergien/kandidaten")
@permission(Action.PRACTICE_VALIDATE, per_object=True)
def candidate_list() -> ResponseReturnValue:
    """Published practices of the reviewer's region ranked by the explainable score."""
    user = actor()
    chosen = _region_filter(user)
    region = chosen.key if chosen.key is not None else _default_region(user)
    authorize(Action.PRACTICE_VALIDATE, region, user=user)
    cycle = _cycle_arg(user) if request.args.get("cycle") else None
    return render_template(
        "synergies/candidates.html",
        found=candidates.candidates(region, cycle)[:MAX_SHOWN] if chosen.error is None else [],
        region=region,
        region_filter=chosen,
        cycle=cycle,
        cycles=sorted(cycles.visible_cycles(user), key=lambda c: c.period_end, reverse=True),
    ), (422 if chosen.error else 200)


def _marks_from(form: Any) -> dict[str, MarkIn]:
    return {
        c.code: MarkIn(mark=form.get(f"mark-{c.code}"), note=form.get(f"note-{c.code}", ""))
        for c in content.rubric().criteria
    }


def _error_summary(errors: list[FieldError]) -> list[tuple[str, str]]:
    """The rubric form's errors for the list above the form, as (field, text): a criterion's
    errors name the criterion ("Messbare Ergebnisse: Bitte eine Bewertung wählen.")."""
    locale = str(get_locale() or "de")
    labels = {c.code: c.label_in(locale) for c in content.rubric().criteria}
    found = []
    for e in errors:
        part, _dot, code = e.field.partition(".")
        if part in ("marks", "notes") and code in labels:
            text = _("%(criterion)s: %(message)s", criterion=labels[code], message=_(e.message))
        else:
            text = _(e.message)
        found.append((e.field, text))
    return found


@bp.route("/massnahmen/<practice_id>/validierung", methods=["GET", "POST"])
@permission(Action.PRACTICE_VALIDATE, per_object=True)
def validate(practice_id: str) -> ResponseReturnValue:
    """Validate a published practice of one's region with the rubric."""
    user = actor()
    lineage = practices.get_published(user, practice_id)
    authorize(Action.PRACTICE_VALIDATE, lineage.latest.report, user=user)
    typed: dict[str, MarkIn] = {}
    errors: dict[str, list[str]] = {}
    summary: list[tuple[str, str]] = []
    justification, verdict, status = "", "", 200
    if request.method == "POST":
        _checked_form()
        typed = _marks_from(request.form)
        justification = request.form.get("justification", "")
        verdict = request.form.get("verdict", "")
        try:
            validation.validate(user, lineage.practice_id, typed, justification, verdict)
        except ValidationFailed as exc:
            for e in exc.errors:
                errors.setdefault(e.field, []).append(_(e.message))
            summary = _error_summary(exc.errors)
            status = 422
        else:
            flash(_("Die Bewertung ist gespeichert."), "success")
            return redirect(url_for("practices.detail", practice_id=lineage.practice_id))
    score = candidates.score_of(lineage.practice_id)
    return (
        render_template(
            "synergies/validate.html",
            published=lineage,
            p=lineage.latest.practice,
            rubric=content.rubric(),
            typed=typed,
            errors=errors,
            summary=summary,
            justification=justification,
            verdict=verdict,
            score=score,
            form=CsrfForm(),
        ),
        status,
    )


@bp.route("/massnahmen/<practice_id>/peer-review", methods=["GET", "POST"])
@permission(Action.PEER_REVIEW_MANAGE, per_object=True)
def open_review(practice_id: str) -> ResponseReturnValue:
    """Open a peer review of a published practice of one's region: invite municipalities,
    ticked among the suggestions or typed by name or key."""
    user = actor()
    lineage = practices.get_published(user, practice_id)
    authorize(Action.PEER_REVIEW_MANAGE, lineage.latest.report, user=user)
    typed, status = "", 200
    ticked: list[str] = []
    errors: list[str] = []
    if request.method == "POST":
        _checked_form()
        typed = request.form.get("invited", "")  # too long: resolve() says so
        ticked = [k for k in request.form.getlist("peer")[:50] if _KEY.match(k)]
        resolution = invitees.resolve(typed)
        keys = list(dict.fromkeys([*ticked, *resolution.keys]))
        try:
            if resolution.errors:
                raise ValidationFailed([FieldError("invited", e) for e in resolution.errors])
            review = peer_review.open_review(user, lineage.practice_id, keys)
        except ValidationFailed as exc:
            errors = [_(e.message) for e in exc.errors]
            status = 422
        else:
            flash(
                _("Die Peer Review ist eröffnet; die eingeladenen Kommunen sind benachrichtigt."),
                "success",
            )
            return redirect(url_for("synergies.peer_review", review_id=review.id))
    return (
        render_template(
            "synergies/open_review.html",
            published=lineage,
            p=lineage.latest.practice,
            suggested=invitees.suggestions(user, lineage.practice_id),  # only when shown
            ticked=ticked,
            typed=typed,
            errors=errors,
            questions=content.rubric().peer_review_questions,
            form=CsrfForm(),
        ),
        status,
    )


def _review_page(
    review_id: int,
    errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    user = actor()
    review = peer_review.get(user, review_id)
    lineage = practices.get_published(user, review.practice_id)
    mine = None
    if can(user, Action.PEER_REVIEW_COMMENT, review):
        mine = next(
            (c for c in review.comments if c.municipality_key == user.municipality_key), None
        )
    names = names_of(
        {
            review.municipality_key,
            *review.invited_keys,
            *(c.municipality_key for c in review.comments),
        }
    )
    return (
        render_template(
            "synergies/peer_review.html",
            review=review,
            published=lineage,
            p=lineage.latest.practice,
            names=names,
            questions=content.rubric().peer_review_questions,
            may_answer=review.status == "open" and can(user, Action.PEER_REVIEW_COMMENT, review),
            may_manage=review.status == "open" and peer_review.may_manage(user, review),
            mine=mine,
            typed=typed or {},
            errors=errors or {},
            form=CsrfForm(),
        ),
        status,
    )


@bp.get("/peer-reviews/<int:review_id>", endpoint="peer_review")
@permission(Action.PRACTICE_READ, per_object=True)
def peer_review_page(review_id: int) -> ResponseReturnValue:
    """A peer review: the practice, the invited municipalities, answers and synthesis."""
    return _review_page(review_id)


@bp.post("/peer-reviews/<int:review_id>/antwort")
@permission(Action.PEER_REVIEW_COMMENT, per_object=True)
def answer(review_id: int) -> ResponseReturnValue:
    """An invited municipality's answers to the three questions."""
    _checked_form()
    typed = {q: request.form.get(q, "") for q in peer_review.QUESTIONS}
    try:
        peer_review.answer(actor(), review_id, **typed)
    except ValidationFailed as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            errors.setdefault(e.field, []).append(_(e.message))
        return _review_page(review_id, errors, typed, 422)
    except Conflict as exc:
        flash(_(exc.message), "error")
        return redirect(url_for("synergies.peer_review", review_id=review_id)), 409
    flash(_("Ihre Antworten sind gespeichert."), "success")
    return redirect(url_for("synergies.peer_review", review_id=review_id))


@bp.post("/peer-reviews/<int:review_id>/synthese")
@permission(Action.PEER_REVIEW_MANAGE, per_object=True)
def synthesis(review_id: int) -> ResponseReturnValue:
    """Write the synthesis: publishes the peer review with the practice."""
    _checked_form()
    typed = {"synthesis": request.form.get("synthesis", "")}
    try:
        peer_review.publish_synthesis(actor(), review_id, typed["synthesis"])
    except ValidationFailed as exc:
        return _review_page(
            review_id, {"synthesis": [_(e.message) for e in exc.errors]}, typed, 422
        )
    except Conflict as exc:
        flash(_(exc.message), "error")
        return redirect(url_for("synergies.peer_review", review_id=review_id)), 409
    flash(
        _("Die Synthese ist veröffentlicht; die beteiligten Kommunen sind benachrichtigt."),
        "success",
    )
    return redirect(url_for("synergies.peer_review", review_id=review_id))


@bp.get("/gute-praxis/")
@permission(Action.PRACTICE_READ)
def good_practices() -> ResponseReturnValue:
    """Practices validated as good practice, of a cycle and region."""
    user = actor()
    chosen = region_filter()  # not sent: all of Germany
    region = chosen.key or ""
    cycle = _cycle_arg(user) if request.args.get("cycle") else None
    return render_template(
        "synergies/good_practices.html",
        found=validation.good_practices(region, cycle) if chosen.error is None else [],
        region=region,
        region_filter=chosen,
        cycle=cycle,
        cycles=sorted(cycles.visible_cycles(user), key=lambda c: c.period_end, reverse=True),
        rubric=content.rubric(),
    ), (422 if chosen.error else 200)


@bp.get("/gute-praxis/bewertungsraster")
@permission(Action.PUBLIC)
def rubric() -> ResponseReturnValue:
    """The rubric good practices are validated with, and the peer-review questions."""
    return render_template("synergies/rubric.html", rubric=content.rubric())
