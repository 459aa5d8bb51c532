"""Chapters on what municipalities do: coverage of the recommendations A1–C4 and the gaps,
validated good practices with their peer reviews, confirmed synergies and the learning trace.

Coverage is the comparison issue's (:mod:`omk.services.coverage` and the rules of
:mod:`omk.compare.coverage`); good practices, peer reviews, judged suggestions and the
learning network are :mod:`omk.synergies`'. Only published material enters.
"""

from __future__ import annotations

import html
from collections import defaultdict

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from omk import charts, markdown
from omk.compare import coverage as rules
from omk.compare.definitions import ComparisonLevel, comparison_level
from omk.content import Content
from omk.services import coverage as coverage_service
from omk.services import register
from omk.synergies import content as synergy_content
from omk.synergies import judgements, learning, peer_review, validation
from omk.synthesis.base import Builder, Context
from omk.synthesis.document import Cell, Chapter
from omk.synthesis.indicators import level_title
from omk.synthesis.numbers import decimal
from omk.wording import quoted

#: An empty cell (a code nobody implements).
_E = rules.Cell()

#: At most this many validated practices are described one by one (all are in the table).
MAX_DESCRIBED = 30


def _content() -> Content:
    found: Content = current_app.extensions["omk_content"]
    return found


def _label(context: Context, name: str, code: str) -> str:
    return _content().taxonomy.label(name, code, context.locale)


def plain_text(text: str | None) -> str:
    """A Markdown text of a practice or review (justification, synthesis) as one line of
    plain text for a sentence or a table cell: markup removed (never shown as ``**``)."""
    return " ".join(html.unescape(markdown.plain(text)).split())


# --- coverage of the recommendations ---------------------------------------------------------


def coverage_chapter(builder: Builder, context: Context) -> Chapter:
    """Chapter "Umsetzung der Empfehlungen": who implements A1–C4, and the gaps."""
    chapter = builder.chapter("coverage", _("Umsetzung der Empfehlungen"))
    members = coverage_service.members(context.cycle, context.region)
    dimension = rules.Dimension.RECOMMENDATIONS
    codes = coverage_service.columns(_content(), dimension)
    entries = [
        rules.Member(m.key, str(comparison_level(m.level, m.is_kreisfrei) or m.level))
        for m in members
    ]
    matrix = rules.build(
        entries,
        coverage_service.facts(context.cycle, context.region),
        dimension,
        codes,
        _content().taxonomy.codes("actor_types"),
    )
    total = len(members)
    practices_per_code = {
        code: len(
            {p.practice_id for k in matrix.rows for p in matrix.cells[k].get(code, _E).practices}
        )
        for code in codes
    }
    gaps_per_code = {code: sum(1 for k in matrix.rows if code in matrix.gaps[k]) for code in codes}
    rows: list[list[Cell]] = [
        [
            code,
            _label(context, "recommendations", code),
            matrix.implemented_by[code],
            round(100 * matrix.implemented_by[code] / total, 1) if total else None,
            practices_per_code[code],
            gaps_per_code[code],
        ]
        for code in codes
    ]
    table = builder.table(
        chapter,
        "t-coverage",
        _("Umsetzung der Empfehlungen A1 bis C4"),
        [
            _("Empfehlung"),
            _("Bezeichnung"),
            _("Kommunen mit Maßnahmen"),
            _("Anteil (%)"),
            _("Maßnahmen"),
            _("Kommunen mit Lücke"),
        ],
        rows,
    )
    chapter["paragraphs"].append(
        _(
            "Eine Empfehlung gilt in einer Kommune als umgesetzt, wenn ihr angenommener Bericht "
            "mindestens eine Maßnahme dazu nennt. Eine Lücke liegt vor, wenn mehr als die Hälfte "
            "der Vergleichskommunen derselben Ebene die Empfehlung umsetzt, die Kommune selbst "
            "aber nicht."
        )
    )
    if not total:
        chapter["paragraphs"].append(_("Es liegen keine angenommenen Berichte vor."))
        return chapter
    svg_title = _("Anteil der Kommunen mit Maßnahmen je Empfehlung")
    desc = _(
        "Ein Balken je Empfehlung: der Anteil der %(num)s Kommunen, deren Bericht mindestens "
        "eine Maßnahme dazu nennt. Die Zahlen stehen in Tabelle %(table)s.",
        num=total,
        table=table["number"],
    )
    svg = charts.bars(
        [(code, 100 * matrix.implemented_by[code] / total) for code in codes],
        title=svg_title,
        desc=desc,
        axis_label=_("Anteil der Kommunen (%)"),
    )
    builder.figure(chapter, "f-coverage", svg_title, desc, svg, table)
    most = max(codes, key=lambda c: (matrix.implemented_by[c], c))
    least = min(codes, key=lambda c: (matrix.implemented_by[c], c))
    if not matrix.implemented_by[most]:
        text = _(
            "Keine der %(total)s Kommunen nennt in ihrem Bericht eine Maßnahme zu einer "
            "Empfehlung.",
            total=total,
        )
        builder.message(chapter, text, table)
        return chapter
    builder.message(
        chapter,
        ngettext(
            "Am häufigsten umgesetzt ist die Empfehlung %(code)s „%(label)s“: in %(count)s von "
            "%(num)s Kommune.",
            "Am häufigsten umgesetzt ist die Empfehlung %(code)s „%(label)s“: in %(count)s von "
            "%(num)s Kommunen.",
            total,
            code=most,
            label=_label(context, "recommendations", most),
            count=matrix.implemented_by[most],
        ),
        table,
    )
    zeros = [c for c in codes if matrix.implemented_by[c] == 0]
    if zeros:
        text = ngettext(
            "Zur Empfehlung %(codes)s nennt keine der %(total)s Kommunen eine Maßnahme.",
            "Zu den Empfehlungen %(codes)s nennt keine der %(total)s Kommunen eine Maßnahme.",
            len(zeros),
            codes=", ".join(zeros),
            total=total,
        )
    else:
        text = ngettext(
            "Am seltensten umgesetzt ist die Empfehlung %(code)s „%(label)s“: in %(count)s von "
            "%(num)s Kommune.",
            "Am seltensten umgesetzt ist die Empfehlung %(code)s „%(label)s“: in %(count)s von "
            "%(num)s Kommunen.",
            total,
            code=least,
            label=_label(context, "recommendations", least),
            count=matrix.implemented_by[least],
        )
    builder.message(chapter, text, table)
    names = register.display_names(members)
    with_gaps = [m for m in members if matrix.gaps.get(m.key)]
    if with_gaps:
        gaps = builder.table(
            chapter,
            "t-gaps",
            _("Lücken: Empfehlungen, die die meisten Vergleichskommunen umsetzen"),
            [_("Schlüssel"), _("Kommune"), _("Lücken")],
            [
                [
                    m.reporting_ags or m.key,
                    str(names.get(m.key) or m.name),
                    ", ".join(matrix.gaps[m.key]),
                ]
                for m in with_gaps
            ],
        )
        chapter["paragraphs"].append(
            ngettext(
                "%(num)s Kommune hat mindestens eine Lücke (Tabelle %(table)s).",
                "%(num)s Kommunen haben mindestens eine Lücke (Tabelle %(table)s).",
                len(with_gaps),
                table=gaps["number"],
            )
        )
        chapter["paragraphs"].append(_gap_basis(entries, total))
    return chapter


def _gap_basis(entries: list[rules.Member], total: int) -> str:
    """One sentence on what a gap is measured against: the peers of the same level, so that
    a recommendation most municipalities of a level implement can be a gap although fewer
    than half of all municipalities implement it."""
    sizes: dict[str, int] = defaultdict(int)
    for entry in entries:
        sizes[entry.level] += 1
    levels = [
        ngettext(
            "%(level)s: %(num)s Vergleichskommune",
            "%(level)s: %(num)s Vergleichskommunen",
            sizes[level.value] - 1,
            level=level_title(level),
        )
        for level in ComparisonLevel
        if sizes.get(level.value, 0) > 1
    ]
    return str(
        _(
            "Gemessen wird jede Kommune nur an den anderen Kommunen ihrer Ebene in der Region "
            "(%(levels)s), nicht an allen %(total)s Kommunen: eine Empfehlung, die insgesamt "
            "nur eine Minderheit umsetzt, kann deshalb eine Lücke sein.",
            levels="; ".join(levels),
            total=total,
        )
    )


# --- validated good practices -----------------------------------------------------------------


def good_practice_chapter(builder: Builder, context: Context) -> Chapter:
    """Chapter "Gute Praxis": validated practices per criterion with justification and the
    results of their peer reviews."""
    chapter = builder.chapter("good_practice", _("Gute Praxis"))
    rubric = synergy_content.rubric()
    best = max(rubric.mark_values) * len(rubric.criteria)
    found = validation.good_practices(context.region, context.cycle, of_cycle=True)
    chapter["paragraphs"].append(
        _(
            "Die regionale Stelle bestätigt Maßnahmen als gute Praxis mit einem Bewertungsbogen "
            "aus veröffentlichten Kriterien (%(criteria)s) und einer schriftlichen Begründung. "
            "In einem Peer Review beurteilen eingeladene Kommunen, ob eine Maßnahme wirkt, den "
            "Zielen der Runde dient und übertragbar ist. Gezählt wird die neueste Bewertung "
            "einer Fassung aus dieser oder einer früheren Runde; die Bewertung einer späteren "
            "Fassung gehört zum Bericht der späteren Runde.",
            criteria=", ".join(
                c.label_en if context.locale == "en" else c.label for c in rubric.criteria
            ),
        )
    )
    if not found:
        chapter["paragraphs"].append(
            _("Keine Maßnahme dieser Runde ist in der Region als gute Praxis bestätigt.")
        )
        return chapter
    keys = {g.version.municipality_key for g in found}
    names = _names(keys)
    by_criterion: dict[str, list[validation.Validated]] = defaultdict(list)
    for g in found:
        by_criterion[g.version.practice.criterion].append(g)
    order = _content().taxonomy.codes("criteria")
    rows: list[list[Cell]] = []
    described = 0
    for criterion in sorted(by_criterion, key=lambda c: (order.index(c) if c in order else 99, c)):
        items = by_criterion[criterion]
        criterion_label = _label(context, "criteria", criterion)
        chapter["paragraphs"].append(
            ngettext(
                "%(criterion)s: %(num)s bestätigte Maßnahme.",
                "%(criterion)s: %(num)s bestätigte Maßnahmen.",
                len(items),
                criterion=criterion_label,
            )
        )
        for g in items:
            practice = g.version.practice
            reviews = peer_review.published_for(g.version.practice_id)
            comments = sum(len(r.comments) for r in reviews)
            review_text = (
                ngettext(
                    "%(num)s Peer Review, Stellungnahmen: %(comments)s",
                    "%(num)s Peer Reviews, Stellungnahmen: %(comments)s",
                    len(reviews),
                    comments=comments,
                )
                if reviews
                else _("kein Peer Review")
            )
            score = validation.total_marks(g.validation)
            municipality = names.get(g.version.municipality_key, g.version.municipality_key)
            rows.append(
                [
                    criterion_label,
                    practice.title,
                    municipality,
                    score,
                    best,
                    plain_text(g.validation.justification),
                    review_text,
                ]
            )
            if described < MAX_DESCRIBED:
                described += 1
                text = _(
                    "%(title)s (%(municipality)s), Bewertungsraster %(score)s von %(best)s "
                    "Punkten: %(justification)s",
                    title=quoted(practice.title, context.locale),
                    municipality=municipality,
                    score=score,
                    best=best,
                    justification=plain_text(g.validation.justification),
                )
                syntheses = [plain_text(r.synthesis) for r in reviews if r.synthesis]
                if syntheses:
                    text += " " + _("Ergebnis des Peer Reviews: %(text)s", text=syntheses[0])
                chapter["paragraphs"].append(text)
    table = builder.table(
        chapter,
        "t-good-practice",
        _("Als gute Praxis bestätigte Maßnahmen"),
        [
            _("Kriterium"),
            _("Maßnahme"),
            _("Kommune"),
            _("Bewertungsraster: Punkte"),
            _("höchstens"),
            _("Begründung"),
            _("Peer Review"),
        ],
        rows,
    )
    builder.message(
        chapter,
        ngettext(
            "%(num)s Maßnahme dieser Runde ist als gute Praxis bestätigt.",
            "%(num)s Maßnahmen dieser Runde sind als gute Praxis bestätigt.",
            len(found),
        ),
        table,
    )
    return chapter


def _names(keys: set[str]) -> dict[str, str]:
    from omk.synergies.partner_provider import names_of

    return names_of(keys)


# --- synergies and the learning trace -------------------------------------------------------------


def synergy_chapter(builder: Builder, context: Context) -> Chapter:
    """Chapter "Synergien und Wissenstransfer": suggestions confirmed by reviewers, and who
    learned from whom up to this cycle."""
    chapter = builder.chapter("synergies", _("Synergien und Wissenstransfer"))
    chapter["paragraphs"].append(
        _(
            "OMK schlägt vor, wo Kommunen voneinander lernen könnten: ähnliche Maßnahmen in "
            "verschiedenen Kommunen, Übertragungen in Kommunen mit einer Lücke und gemeinsame "
            "Partner. Aufgenommen sind nur Vorschläge zwischen Maßnahmen dieser Runde, die die "
            "regionale Stelle bestätigt hat. Eine Bestätigung gilt für das Paar der Maßnahmen, "
            "auch wenn sie in der Ansicht einer anderen Runde gegeben wurde."
        )
    )
    kinds = {
        "similar": _("ähnliche Maßnahmen"),
        "transfer": _("Übertragung"),
        "partner": _("gemeinsamer Partner"),
    }
    confirmed = [
        s for s in judgements.view(context.cycle, context.region) if s.status == "confirmed"
    ]
    if confirmed:
        table = builder.table(
            chapter,
            "t-synergies",
            _("Bestätigte Synergien und Übertragungsvorschläge"),
            [_("Art"), _("Seite A"), _("Seite B"), _("Begründung"), _("Anmerkung der Prüfung")],
            [
                [kinds.get(s.kind, s.kind), s.a["label"], s.b["label"], s.explanation, s.note]
                for s in confirmed
            ],
        )
        transfers = sum(1 for s in confirmed if s.kind == "transfer")
        text = ngettext(
            "Die regionale Stelle hat %(num)s Synergie zwischen Maßnahmen dieser Runde bestätigt",
            "Die regionale Stelle hat %(num)s Synergien zwischen Maßnahmen dieser Runde bestätigt",
            len(confirmed),
        )
        if transfers:
            text += ngettext(
                ", davon %(num)s Übertragungsvorschlag.",
                ", davon %(num)s Übertragungsvorschläge.",
                transfers,
            )
        else:
            text += _(", darunter keine Übertragungsvorschläge.")
        builder.message(chapter, text, table)
    else:
        chapter["paragraphs"].append(
            _("In dieser Runde wurde in der Region noch kein Vorschlag bestätigt.")
        )
    steps = learning.network(context.region, until=context.cycle)
    this_cycle = sum(1 for t in steps if t.cycle == context.cycle.code)
    if steps:
        trace = builder.table(
            chapter,
            "t-learning",
            _("Lernspur: übernommene Maßnahmen bis zu dieser Runde"),
            [
                _("Runde"),
                _("Ursprung"),
                _("Maßnahme des Ursprungs"),
                _("Übernommen von"),
                _("Maßnahme"),
            ],
            [[t.cycle, t.source_name, t.origin_title, t.target_name, t.title] for t in steps],
        )
        builder.message(
            chapter,
            ngettext(
                "Bis zu dieser Runde hat eine Kommune eine Maßnahme einer anderen übernommen "
                "(in dieser Runde: %(current)s).",
                "Bis zu dieser Runde wurden %(num)s Maßnahmen von anderen Kommunen übernommen "
                "(in dieser Runde: %(current)s).",
                len(steps),
                current=this_cycle,
            ),
            trace,
        )
        if learning.drawable(steps):
            title = _("Lernnetz: wer von wem gelernt hat")
            desc = _(
                "Pfeile von der Kommune, deren Maßnahme übernommen wurde, zur übernehmenden "
                "Kommune. Jede Übernahme steht in Tabelle %(table)s.",
                table=trace["number"],
            )
            svg = render_template(
                "synthesis/document_network.svg",
                drawing=learning.layout(steps),
                title=title,
                desc=desc,
            )
            builder.figure(chapter, "f-learning", title, desc, svg, trace)
        else:
            chapter["paragraphs"].append(
                _(
                    "Zu viele Kommunen für eine Zeichnung: %(num)s Kommunen; die Tabelle zeigt "
                    "alle Übernahmen.",
                    num=decimal(learning.lanes(steps)),
                )
            )
    else:
        chapter["paragraphs"].append(
            _("Bisher hat keine Kommune der Region eine Maßnahme als übernommen gemeldet.")
        )
    return chapter
