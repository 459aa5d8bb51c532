"""Build the synthesis report of a cycle and a region from published figures only.

Every figure comes from the services the app already has: the comparison
(:mod:`omk.services.compare`, the scoreboard of :mod:`omk.compare`), the coverage of the
recommendations (:mod:`omk.services.coverage`), the validated good practices, peer reviews,
confirmed synergies and the learning trace (:mod:`omk.synergies`), and the participation
(:mod:`omk.synthesis.participation`). Nothing is recomputed differently here: the report's
medians and categories are the comparison module's. Texts are generated in the current
locale (German by default) and frozen with the document.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask_babel import gettext as _

from omk.models.reporting import Cycle
from omk.services import compare as compare_service
from omk.synthesis import annex, indicators, participation, practices
from omk.synthesis.base import Builder, Context, Progress, check_region, locale, region_name
from omk.synthesis.document import SCHEMA_VERSION, Chapter, SynthesisDocument


def build(
    cycle_code: str,
    region: str,
    *,
    names: bool,
    progress: Progress | None = None,
) -> SynthesisDocument:
    """The synthesis report of ``cycle_code`` in ``region`` (an AGS prefix, '' for Germany)
    from published (accepted) revisions only. ``names`` lists who did (not) report by name;
    otherwise participation is given in counts. Needs an app context."""
    step = progress or (lambda message: None)
    check_region(region)
    cycle: Cycle = compare_service.get_cycle(cycle_code)
    builder = Builder()
    context = Context(cycle=cycle, region=region, names=names, locale=locale())
    started = time.perf_counter()
    step(_("Beteiligung"))
    part = participation.chapter(builder, context)
    step(_("Kennzahlen"))
    ind, synthetic = indicators.chapter(builder, context)
    step(_("Umsetzung der Empfehlungen"))
    cov = practices.coverage_chapter(builder, context)
    step(_("Gute Praxis"))
    good = practices.good_practice_chapter(builder, context)
    step(_("Synergien und Wissenstransfer"))
    syn = practices.synergy_chapter(builder, context)
    step(_("Anhang"))
    body = [part, ind, cov, good, syn]
    summary = summary_chapter(context, body)
    end = annex.chapter(builder, context, synthetic)
    context.seconds = time.perf_counter() - started
    return SynthesisDocument(
        schema=SCHEMA_VERSION,
        cycle=cycle.code,
        cycle_title=cycle.title or cycle.code,
        period_start=cycle.period_start.isoformat(),
        period_end=cycle.period_end.isoformat(),
        deadline=cycle.deadline.isoformat(),
        region=region,
        region_name=region_name(region),
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        locale=context.locale,
        synthetic=synthetic,
        names_shown=names,
        chapters=[summary, *body, end],
    )


def summary_chapter(context: Context, body: list[Chapter]) -> Chapter:
    """The first chapter: what the report covers and every key message of the chapters."""
    chapter = Chapter(
        id="summary",
        title=_("Das Wichtigste in Kürze"),
        paragraphs=[
            _(
                "Dieser Synthesebericht fasst die angenommenen Berichte der Kommunen in "
                "%(region)s aus der Berichtsrunde %(cycle)s zusammen. Er zeigt, wer berichtet "
                "hat, wie sich die Kennzahlen entwickelt haben, welche Empfehlungen umgesetzt "
                "werden, welche Maßnahmen als gute Praxis bestätigt wurden und wo Kommunen "
                "voneinander lernen.",
                region=region_name(context.region),
                cycle=context.cycle.code,
            )
        ],
        tables=[],
        figures=[],
        messages=[m for chapter in body for m in chapter["messages"]],
    )
    return chapter
