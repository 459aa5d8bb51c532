"""Synergy suggestions stored once computed, so that no reviewer waits for them.

Each kind's suggestions of a cycle, for all of Germany, are computed from published material
only, once for every language of the interface (a suggestion's reason is facts its provider
puts in words when shown; municipality names that read differently in another language,
"Augsburg (Landkreis)" / "Augsburg (district)", are stored beside the list). They are stored
as a row (``synergy_snapshot``: the index that finds and filters them) and blocks of
:data:`BLOCK` suggestions (``synergy_snapshot_block``, read when shown), with the published
state they were made from (:func:`omk.synergies.cache.signature`) and the moment that state
was read (their "Stand").
The newest row counts; the one before stays for requests still reading it. They are computed

* by the outbox consumer ``synergies`` after a publication, a correction, a validation or a
  register update (after the response, once the similar pairs and the stored figures it reads
  are up to date; when the last computation took longer than a web worker may work after a
  response, the entries stay pending for cron's ``omk outbox drain``);
* by ``omk synergies sync`` (cron; after the similar practices, or alone with
  ``--suggestions-only``), which computes every stale snapshot;
* after the response of a page that found its snapshot stale (a published peer review
  writes no outbox entry), within the same time limit;
* at once, in the request, only when that is cheap: the last computation of the snapshot
  (for one never computed, as of a new cycle: the slowest stored one of its kind) took at
  most ``SYNERGY_INLINE_SECONDS`` (0.5 s; a small installation is never stale), or none is
  stored at all and at most :data:`INLINE_REPORTS` reports are published. Outside a request
  (commands, tests, the demo) a stale snapshot is computed when read.

Otherwise the page shows the stored suggestions with their "Stand" and says that newer
publications are being added; without any snapshot it says they are being computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
from flask import Response, after_this_request, current_app, g, has_request_context
from flask_babel import force_locale, get_locale
from sqlalchemy import delete, func, select, text

from omk.errors import Conflict
from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.reporting import Cycle, Report
from omk.models.synergies import SynergySnapshot, SynergySnapshotBlock
from omk.models.types import utcnow
from omk.services import outbox
from omk.services import register as municipality_register
from omk.services.transaction import unit_of_work
from omk.synergies.suggestions import Provider, Side, Suggestion, best_first, providers

log = logging.getLogger("omk.synergies")

CONSUMER = "synergies"
#: The consumers whose results the suggestions read (stored similar pairs, stored figures).
AFTER = ("similarity", "compare")
#: Without any snapshot yet, a request computes one itself up to this many published reports.
INLINE_REPORTS = 200
#: Suggestions per stored block: a page reads one or two blocks of each kind.
BLOCK = 200
#: Stored lists kept per cycle, kind and language: the newest, and the one before for
#: requests still reading it.
KEPT_GENERATIONS = 2
#: Arbitrary constant naming the advisory lock that serialises writers on PostgreSQL.
_WRITE_LOCK = 0x6F6D6B05
_SCHEDULED = "omk_synergy_refresh_scheduled"


@dataclass(frozen=True)
class Header:
    """A stored snapshot without its suggestions."""

    id: int
    cycle_id: int
    kind: str
    state: str
    computed_at: datetime
    seconds: float
    count: int


def state_text(state: Sequence[Any]) -> str:
    """The published state as stored: JSON, dates as text."""
    return json.dumps(list(state), default=str, separators=(",", ":"))


def languages() -> list[str]:
    """The languages of the interface; suggestions are computed in the first."""
    return [str(x) for x in current_app.config["LANGUAGES"]]


def language() -> str:
    """The language suggestions are shown in: the request's, if the interface has it."""
    chosen = str(get_locale() or "")
    known = languages()
    return chosen if chosen in known else known[0]


# --- the suggestions as stored ----------------------------------------------------------


def _as_stored(s: Suggestion) -> list[Any]:
    return [
        s.kind,
        dict(s.a),
        dict(s.b),
        s.score,
        s.reason,
        list(s.municipality_keys),
        list(s.versions),
        s.subject,
        s.practice_id,
        list(s.terms),
        s.group,
        [[label, [list(p) for p in items]] for label, items in s.details],
        list(s.revisions),
    ]


#: The fields a stored suggestion does not have: those a view sets (a judgement, the user).
_UNJUDGED = {
    "status": "open",
    "note": "",
    "judged_region": None,
    "was_dismissed": False,
    "may_judge": False,
}


def built(row: list[Any]) -> Suggestion:
    """A suggestion as :func:`_as_stored` stored it (without ``__init__``: a first request
    builds hundreds of thousands; every field is set here)."""
    kind, a, b, score, reason, keys, versions, subject, practice_id = row[:9]
    terms, group, details, revisions = row[9:]
    s: Suggestion = object.__new__(Suggestion)
    s.__dict__.update(
        kind=kind,
        a=a,
        b=b,
        score=score,
        reason=reason,
        municipality_keys=tuple(keys),
        versions=tuple(versions),
        subject=subject,
        practice_id=practice_id,
        terms=terms,
        group=group,
        details=[(label, [(p[0], p[1]) for p in items]) for label, items in details],
        revisions=tuple(revisions),
        _worded={},
        **_UNJUDGED,
    )
    return s


#: Municipality names in another language where they differ: key → (as computed, as shown).
Names = dict[str, tuple[str, str]]


def localised(s: Suggestion, names: Names) -> Suggestion:
    """``s`` with the names of its municipalities as ``names`` has them in another language:
    a municipality side's label, a practice side's "Titel (Name)" and the details' headings."""
    renamed = {names[k][0]: names[k][1] for k in s.municipality_keys if k in names}
    if not renamed:
        return s

    def label(text: str) -> str:
        if text in renamed:
            return renamed[text]
        for computed, shown in renamed.items():
            if text.endswith(f" ({computed})"):
                return f"{text[: -len(computed) - 3]} ({shown})"
        return text

    return replace(
        s,
        a=Side(type=s.a["type"], id=s.a["id"], label=label(s.a["label"])),
        b=Side(type=s.b["type"], id=s.b["id"], label=label(s.b["label"])),
        details=[(label(heading), items) for heading, items in s.details],
    )


def other_names(items: Sequence[Suggestion]) -> dict[str, Names]:
    """For each other language of the interface, the names of the suggestions' municipalities
    that read differently there ("Augsburg (Landkreis)" / "Augsburg (district)")."""
    from omk.synergies.partner_provider import display_names_of

    display = display_names_of({key for s in items for key in s.municipality_keys})
    first, *others = languages()
    with force_locale(first):
        computed = {k: municipality_register.shown(name) for k, name in display.items()}
    found = {}
    for locale in others:
        with force_locale(locale):
            shown = {k: municipality_register.shown(name) for k, name in display.items()}
        found[locale] = {k: (computed[k], shown[k]) for k in display if shown[k] != computed[k]}
    return found


@dataclass(frozen=True)
class Encoded:
    """A list of suggestions as stored: what finds and filters them, and their blocks."""

    index: bytes
    blocks: list[bytes]
    count: int


def encode(items: Iterable[Suggestion], names: Mapping[str, Names] | None = None) -> Encoded:
    """The suggestions as stored, in their order: what a view needs to filter and find them
    (compressed JSON of the register keys and each Land's positions, and a hash of each
    identity), the names that read differently in another language (:func:`other_names`),
    and the whole suggestions in blocks of :data:`BLOCK`, one JSON text per line, read only
    when shown."""
    listed = list(items)
    index = {
        "keys": [list(s.municipality_keys) for s in listed],
        "lands": _by_land(listed),
        "names": dict(names or {}),
    }
    hashes = np.fromiter((identity_hash(s.identity) for s in listed), "<u8", len(listed))
    # block by block: the JSON of 400,000 suggestions at once took 500 MB
    blocks = [
        zlib.compress(
            b"\n".join(
                json.dumps(_as_stored(s), ensure_ascii=False, separators=(",", ":")).encode()
                for s in listed[start : start + BLOCK]
            ),
            6,
        )
        for start in range(0, len(listed), BLOCK)
    ]
    parts = {
        name: zlib.compress(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6
        )
        for name, value in index.items()
    }
    parts["hashes"] = zlib.compress(hashes.tobytes(), 1)
    header = {"count": len(listed), "parts": [[name, len(part)] for name, part in parts.items()]}
    packed = json.dumps(header).encode() + b"\n" + b"".join(parts.values())
    return Encoded(packed, blocks, len(listed))


def identity_hash(identity: tuple[str, str, str, str]) -> int:
    """A suggestion's identity in 64 bits: how a stored list finds a judged suggestion
    without holding every identity in memory (a match is confirmed on the suggestion)."""
    digest = hashlib.blake2b("\x1f".join(identity).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _by_land(items: list[Suggestion]) -> dict[str, list[int]]:
    """The positions of the suggestions with a side in each Land (the keys' first two
    digits): a reviewer's region is found without reading all of Germany's."""
    lands: dict[str, list[int]] = {}
    for n, s in enumerate(items):
        for land in sorted({key[:2] for key in s.municipality_keys}):
            lands.setdefault(land, []).append(n)
    return lands


class Replaced(Conflict):
    """A list was computed anew twice while a request read it (its blocks are gone)."""


class Stored:
    """The suggestions of a stored snapshot: found and filtered by its index; each made a
    :class:`~omk.synergies.suggestions.Suggestion` when asked for, from its block, which is
    read (``fetch``) once."""

    def __init__(self, kind: str, index: bytes | None, fetch: Callable[[int], bytes | None]):
        self.kind = kind
        self._parts: dict[str, bytes] = {}
        self._count = 0
        if index:
            head, _, rest = index.partition(b"\n")
            header = json.loads(head)
            self._count = int(header["count"])
            start = 0
            for name, length in header["parts"]:
                self._parts[name] = rest[start : start + length]
                start += length
        self._fetch = fetch
        self._blocks: dict[int, list[bytes]] = {}

    def _part(self, name: str) -> Any:
        """One part of the index, read when first needed: a page of all of Germany needs
        none, a Land's page only the Land's positions, a Kreis's page also the keys."""
        return json.loads(zlib.decompress(self._parts[name])) if name in self._parts else None

    @cached_property
    def _keys(self) -> list[list[str]]:
        return self._part("keys") or []

    @cached_property
    def _lands(self) -> dict[str, list[int]]:
        return self._part("lands") or {}

    @cached_property
    def _names(self) -> dict[str, Names]:
        stored = self._part("names") or {}
        return {
            locale: {key: (pair[0], pair[1]) for key, pair in names.items()}
            for locale, names in stored.items()
        }

    @cached_property
    def _sorted_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """The identities' hashes in ascending order, and the position of each."""
        hashes = np.frombuffer(zlib.decompress(self._parts["hashes"]), "<u8")
        order = np.argsort(hashes, kind="stable")
        return hashes[order], order

    def __len__(self) -> int:
        return self._count

    def candidates(self, identity: tuple[str, str, str, str]) -> list[int]:
        """The positions whose identity has the hash of ``identity`` (:func:`identity_hash`):
        almost always the one suggestion with this identity or none; the caller confirms it
        on the suggestion, once it knows the position is one it reads."""
        hashes, order = self._sorted_hashes
        wanted = np.uint64(identity_hash(identity))
        start = int(np.searchsorted(hashes, wanted, side="left"))
        stop = int(np.searchsorted(hashes, wanted, side="right"))
        return sorted(int(n) for n in order[start:stop])

    def positions(self, region: str) -> Sequence[int]:
        """The positions of the suggestions with a side in ``region`` ('' is all), in order."""
        if not region:
            return range(len(self))
        land = self._lands.get(region[:2], [])
        if len(region) <= 2:
            return (
                land if len(region) == 2 else [n for n in range(len(self)) if self._in(n, region)]
            )
        return [n for n in land if self._in(n, region)]

    def _in(self, n: int, region: str) -> bool:
        return any(key.startswith(region) for key in self._keys[n])

    def suggestion(self, n: int, locale: str = "") -> Suggestion:
        """The suggestion at position ``n``, with the names of ``locale`` (else as computed)."""
        number, line = divmod(n, BLOCK)
        block = self._blocks.get(number)
        if block is None:
            payload = self._fetch(number)
            if payload is None:
                raise Replaced(
                    "Die Vorschläge wurden eben neu berechnet; bitte laden Sie die Seite neu."
                )
            block = self._blocks[number] = zlib.decompress(payload).split(b"\n")
        made = built(json.loads(block[line]))
        names = self._names.get(locale) if locale else None
        return localised(made, names) if names else made


def decode(kind: str, encoded: Encoded, locale: str = "") -> list[Suggestion]:
    """What :func:`encode` stored, every suggestion read (with the names of ``locale``)."""
    blocks = encoded.blocks
    stored = Stored(kind, encoded.index, lambda n: blocks[n] if n < len(blocks) else None)
    return [stored.suggestion(n, locale) for n in range(len(stored))]


# --- reading -----------------------------------------------------------------------------


def headers(cycle_id: int | None = None) -> dict[tuple[int, str], Header]:
    """The stored snapshots (of one cycle, else all) by cycle id and kind, the newest of
    each, without their suggestions."""
    query = select(
        SynergySnapshot.id,
        SynergySnapshot.cycle_id,
        SynergySnapshot.kind,
        SynergySnapshot.state,
        SynergySnapshot.computed_at,
        SynergySnapshot.seconds,
        SynergySnapshot.count,
    )
    if cycle_id is not None:
        query = query.where(SynergySnapshot.cycle_id == cycle_id)
    found = {}  # the newest of each list: the last one read
    query = query.order_by(SynergySnapshot.id)
    for row in db.session.execute(query):
        header = Header(*row)
        found[(header.cycle_id, header.kind)] = header
    return found


def load(header: Header) -> Stored:
    """The suggestions of a stored snapshot, best first (each block read when needed, in the
    session of the request then)."""
    index = db.session.scalar(
        select(SynergySnapshot.payload).where(SynergySnapshot.id == header.id)
    )

    def fetch(number: int) -> bytes | None:
        payload: bytes | None = db.session.scalar(
            select(SynergySnapshotBlock.payload).where(
                SynergySnapshotBlock.snapshot_id == header.id,
                SynergySnapshotBlock.number == number,
            )
        )
        return payload

    return Stored(header.kind, index, fetch)


# --- computing ---------------------------------------------------------------------------


def compute(provider: Provider, cycle: Cycle, state: Sequence[Any]) -> Header | None:
    """Compute one snapshot from the published ``state`` (read just before) and store it,
    unless a snapshot of a newer state was stored meanwhile; returns what is stored then."""
    taken = utcnow()
    started = time.perf_counter()
    with force_locale(languages()[0]):
        items = sorted(provider.suggestions(cycle, ""), key=best_first)
    names = other_names(items)
    seconds = time.perf_counter() - started
    encoded = encode(items, names)
    with unit_of_work():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK})
        where = (
            SynergySnapshot.cycle_id == cycle.id,
            SynergySnapshot.kind == provider.kind,
        )
        newer = db.session.scalar(
            select(func.count()).where(*where, SynergySnapshot.computed_at > taken)
        )
        if not newer:
            row = SynergySnapshot(
                cycle_id=cycle.id,
                kind=provider.kind,
                state=state_text(state),
                payload=encoded.index,
                count=encoded.count,
                computed_at=taken,
                seconds=round(seconds, 3),
            )
            db.session.add(row)
            db.session.flush()
            for number, block in enumerate(encoded.blocks):
                db.session.add(
                    SynergySnapshotBlock(snapshot_id=row.id, number=number, payload=block)
                )
            # the one before stays for requests still reading it; older ones go
            kept = select(SynergySnapshot.id).where(*where).order_by(SynergySnapshot.id.desc())
            old = list(db.session.scalars(kept.offset(KEPT_GENERATIONS)))
            if old:
                db.session.execute(
                    delete(SynergySnapshotBlock).where(SynergySnapshotBlock.snapshot_id.in_(old))
                )
                db.session.execute(delete(SynergySnapshot).where(SynergySnapshot.id.in_(old)))
    log.info(
        "synergies: %s of %s computed: %d suggestions in %.1f s",
        provider.kind,
        cycle.code,
        encoded.count,
        seconds,
    )
    return headers(cycle.id).get((cycle.id, provider.kind))


@dataclass(frozen=True)
class Work:
    """A snapshot to compute and what its last computation took (None: never computed)."""

    cycle: Cycle
    provider: Provider
    seconds: float | None
    #: The cycle's published state when it was found stale: what it is computed from.
    state: tuple[Any, ...]


def stale(cycles: Iterable[Cycle] | None = None, *, every: bool = False) -> list[Work]:
    """The snapshots whose published state changed (or that do not exist yet); ``every``:
    all of them. Those most looked at first: the newest cycle's."""
    from omk.synergies.cache import signature

    chosen = list(cycles) if cycles is not None else list(db.session.scalars(select(Cycle)))
    stored = headers()
    work = []
    newest_first = sorted(chosen, key=lambda c: (c.period_end, c.id), reverse=True)
    for cycle in newest_first:
        state = signature(cycle)
        current = state_text(state)
        for provider in providers():
            header = stored.get((cycle.id, provider.kind))
            if every or header is None or header.state != current:
                seconds = header.seconds if header is not None else None
                work.append(Work(cycle, provider, seconds, state))
    return work


def _guesses() -> dict[str, float]:
    """What a snapshot of each kind took at most, as stored: the guess for one never
    computed (nothing known: 0)."""
    slowest: dict[str, float] = {}
    for header in headers().values():
        slowest[header.kind] = max(slowest.get(header.kind, 0.0), header.seconds)
    return slowest


def estimate(work: Sequence[Work]) -> float:
    """The seconds ``work`` will take, by what it took last time (a snapshot never computed:
    the slowest stored one of its kind)."""
    guesses = _guesses()
    return sum(_seconds(w, guesses) for w in work)


def _seconds(work: Work, guesses: dict[str, float]) -> float:
    return work.seconds if work.seconds is not None else guesses.get(work.provider.kind, 0.0)


def refresh(
    cycles: Iterable[Cycle] | None = None,
    *,
    every: bool = False,
    budget: float | None = None,
    progress: Callable[[Work, int, int], None] | None = None,
) -> int | None:
    """Compute the stale snapshots (``every``: all), those most looked at first
    (:func:`stale`), and return how many; None when some are left: another process is
    computing them, or the next would not end within ``budget`` seconds by what it took last
    time (those are left for the next kick or cron)."""
    with outbox.alone("synergies-compute") as only:  # one process of a machine at a time
        if not only:
            log.debug("synergies: another process is computing the snapshots")
            return None
        work = stale(cycles, every=every)
        guesses = _guesses()
        started = time.perf_counter()
        for n, item in enumerate(work, start=1):
            spent = time.perf_counter() - started
            if budget is not None and spent + _seconds(item, guesses) > budget:
                log.info(
                    "synergies: %d of %d snapshots left for cron (omk outbox drain, "
                    "omk synergies sync): about %.0f s more than %.0f s allow",
                    len(work) - n + 1,
                    len(work),
                    estimate(work[n - 1 :]),
                    budget,
                )
                return None
            if progress is not None:
                progress(item, n, len(work))
            compute(item.provider, item.cycle, item.state)
        return len(work)


# --- when to compute ---------------------------------------------------------------------


def may_compute_now(kind: str, header: Header | None) -> bool:
    """Whether a request may compute this snapshot of ``kind`` itself (see the module's
    summary): when its last computation, or for one never computed the slowest stored one of
    its kind, took at most ``SYNERGY_INLINE_SECONDS``; with none stored at all, when at most
    :data:`INLINE_REPORTS` reports are published."""
    if not has_request_context():
        return True
    limit = float(current_app.config["SYNERGY_INLINE_SECONDS"])
    if header is not None:
        return header.seconds <= limit
    guess = _guesses().get(kind)
    if guess is not None:
        return guess <= limit
    published = db.session.scalar(
        select(func.count(Report.id)).where(Report.published_revision_id.is_not(None))
    )
    return int(published or 0) <= INLINE_REPORTS


def refresh_after_response() -> None:
    """Compute the stale snapshots once this request's response has been sent, within the
    time a web worker may work after a response (else cron does); once per request."""
    if not has_request_context() or g.get(_SCHEDULED):
        return
    g.setdefault(_SCHEDULED, True)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug proxy

    def run() -> None:
        with app.app_context():
            try:
                refresh(budget=outbox.AFTER_RESPONSE_SECONDS)
            except Exception:
                log.exception("synergies: computing the snapshots after a response failed")

    @after_this_request
    def _schedule(response: Response) -> Response:
        response.call_on_close(run)
        return response


# --- the outbox consumer -----------------------------------------------------------------


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: compute the stale snapshots once the consumers they read from
    have applied these entries; after a response only within its time (else cron does)."""
    last = entries[-1].id
    registered = outbox.consumers()
    if any(name in registered and outbox.position(name) < last for name in AFTER):
        raise outbox.ConsumerBusy()  # the similar pairs or figures are not there yet
    budget = outbox.AFTER_RESPONSE_SECONDS if outbox.after_response() else None
    if refresh(budget=budget) is None:
        raise outbox.ConsumerBusy()


def register() -> None:
    """Make the stored snapshots a consumer of the outbox, after those they read from."""
    outbox.register_consumer(CONSUMER, apply_entries, after=AFTER)


def sync(*, every: bool = False, progress: Callable[[Work, int, int], None] | None = None) -> int:
    """Compute the stale snapshots (``every``: all) and mark every outbox entry applied
    (cron: ``omk synergies sync``); waits for another process computing them."""
    start = db.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
    waited = False
    while True:
        done = refresh(every=every, progress=progress)
        if done is not None:
            break
        if not waited:
            log.warning("synergies: another process is computing the lists; waiting for it")
            waited = True
        time.sleep(1.0)
    outbox.advance(CONSUMER, int(start))
    return done
