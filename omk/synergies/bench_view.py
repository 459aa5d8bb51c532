"""The synergy page and API at scale: ``omk bench synergies --view``.

Builds a throwaway database (SQLite in a temporary folder, or ``--database-url``), loads the
full register and writes, through ``omk bench compare``'s generator, two cycles of published
reports of ``n`` real register municipalities each (the same municipalities in both, spread
over every Land). Each report gets three to five practices whose texts, criteria, fields,
recommendations, target groups, outcomes, transferability and sources are those of a demo
practice (``content/practices/practices.jsonl``); a practice keeps its lineage id in both
cycles. The actors are what reports name: the municipality itself as lead; local branches of
federations, by place ("AWO Ortsverein Alheim", "DRK Kreisverband Borken", "Caritas", "Der
Paritätische"); organisations shared by the municipalities of one Kreis ("Bildungswerk Kreis
Borken e.V.") or of one Land ("Flüchtlingsrat Nordrhein-Westfalen e.V."); local bodies
("Jobcenter", "Volkshochschule") and generic names ("Ehrenamtliche"). One practice in a
hundred of the newer cycle names a practice of another municipality as its origin; one in
fifty is validated as good practice. The stored similar pairs (what the outbox consumer
``similarity`` writes, up to 20 per practice above the threshold) are generated among
practices made from the same demo practice: the all-pairs computation that writes them is
``omk bench synergies``' other half.

Then it times requests as a browser or an API client makes them (Flask's test client, every
request in its own app context, logged in through the form or with a token): the synergy page
of one Land (its reviewer) and of all of Germany (an admin), with every kind and with one kind
each, and ``GET /api/v1/synergies?per_page=500`` for both. Median wall clock of ``repeat``
runs after one warm-up request (a case whose runs pass :data:`CASE_BUDGET` seconds stops
early: the table says how many ran) and this process's CPU time. With ``profile`` the slowest
case is run once more under cProfile and its heaviest functions are printed.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from omk.paths import REGISTER_FILE

SEED = 20261207
LAND = "05"  # Nordrhein-Westfalen: the Land of the reviewer measured
PRACTICES = (3, 5)  # per report, inclusive
ADOPTED = 0.01  # of the newer cycle's practices
VALIDATED = 0.02
NEIGHBOURS = 8  # stored similar practices per practice, at most (the store keeps 20)
CASE_BUDGET = 60.0  # seconds of runs per case before it stops repeating
PASSWORD = "bench-password-0123456789"  # noqa: S105 - throwaway accounts of a temp database
FEDERATIONS = (
    "AWO",
    "Caritasverband",
    "Diakonisches Werk",
    "DRK",
    "Der Paritätische",
    "Malteser Hilfsdienst",
    "Johanniter-Unfall-Hilfe",
)


@dataclass(frozen=True)
class Timing:
    """One case on one corpus: median wall and CPU seconds of ``runs`` requests."""

    what: str
    municipalities: int
    practices: int
    items: int  # suggestions on the page (total of the kinds shown) or the API's total
    seconds: float
    cpu: float
    runs: int
    variant: str = ""


def _demo_practices(root: Path) -> list[dict[str, Any]]:
    path = root / "practices" / "practices.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _actors(
    rng: random.Random, name: str, kreis: str, land: str, lead: str
) -> list[dict[str, Any]]:
    """A practice's actors as reports name them: the municipality first, then partners."""
    found: list[tuple[str, str]] = [(lead, "verwaltung")]
    federation = rng.choice(FEDERATIONS)
    roll = rng.random()
    if roll < 0.35:
        found.append((f"{federation} Ortsverein {name}", "wohlfahrtsverband"))
    elif roll < 0.6:
        found.append((f"{federation} Kreisverband {kreis}", "wohlfahrtsverband"))
    elif roll < 0.7:
        found.append((federation, "wohlfahrtsverband"))  # a branch, which one is unknown
    roll = rng.random()
    if roll < 0.15:
        found.append((f"Bildungswerk {kreis} e.V.", "bildungstraeger"))
    elif roll < 0.2:
        found.append((f"Flüchtlingsrat {land} e.V.", "verein"))
    elif roll < 0.25:
        found.append((f"Integrationsnetzwerk {kreis} gGmbH", "sonstige"))
    if rng.random() < 0.3:
        found.append(("Jobcenter", "jobcenter"))
    if rng.random() < 0.3:
        found.append((f"Volkshochschule {name}", "bildungstraeger"))
    if rng.random() < 0.3:
        found.append(("Ehrenamtliche", "ehrenamt"))
    return [
        {"name": n, "type": t, "is_lead": i == 0, "position": i} for i, (n, t) in enumerate(found)
    ]


def add_practices(progress: Callable[[str], None] = lambda s: None) -> int:
    """Give every published report practices (see the module's text); returns how many."""
    from flask import current_app

    from omk.extensions import db
    from omk.models.register import Municipality
    from omk.models.reporting import Cycle, CycleRegion, Practice, PracticeActor, Report
    from omk.models.similarity import SimilarPractice
    from omk.models.synergies import PracticeValidation
    from omk.synergies import content as synergy_content

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not secrets
    demo = _demo_practices(Path(current_app.extensions["omk_content"].root))
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.period_end)))
    # the generated cycles cover all of Germany (a reviewer sees a cycle touching its region)
    db.session.execute(insert(CycleRegion), [{"cycle_id": c.id, "prefix": ""} for c in cycles])
    reports = db.session.execute(
        select(Report.id, Report.cycle_id, Report.municipality_key).where(
            Report.published_revision_id.is_not(None)
        )
    ).all()
    keys = {key for _id, _cycle, key in reports}
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for m in db.session.scalars(select(Municipality)):
        names[m.key] = m.name
        kinds[m.key] = str(m.level)
    now = datetime.now(UTC)
    lineages: dict[str, list[tuple[str, int]]] = {}  # key: [(uuid, template)]
    for key in sorted(keys):
        count = rng.randint(*PRACTICES)
        lineages[key] = [
            (str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.randrange(len(demo)))
            for _ in range(count)
        ]
    order = {c.id: n for n, c in enumerate(cycles)}
    newest = cycles[-1].id
    practice_rows: list[dict[str, Any]] = []
    actor_rows: list[dict[str, Any]] = []
    by_template: dict[int, list[tuple[str, str, int]]] = defaultdict(list)  # newest cycle
    practice_id = 0
    earlier: list[tuple[str, str]] = []  # (uuid, key) of the older cycles
    for report_id, cycle_id, key in sorted(reports, key=lambda r: (order[r[1]], r[0])):
        name = names.get(key, key)
        kreis = names.get(key[:5], name)
        land = names.get(key[:2], "")
        lead = f"{'Kreis' if kinds.get(key) == 'kreis' else 'Stadt'} {name}"
        for position, (lineage, template) in enumerate(lineages[key]):
            t = demo[template]
            practice_id += 1
            adopted = None
            if cycle_id == newest and earlier and rng.random() < ADOPTED:
                adopted = rng.choice(earlier)
                if adopted[1] == key:
                    adopted = None
            practice_rows.append(
                {
                    "id": practice_id,
                    "uuid": lineage,
                    "report_id": report_id,
                    "revision_id": report_id,
                    "position": position,
                    "title": str(t["title"])[:300],
                    "criterion": t["criterion"],
                    "fields": list(t.get("fields") or []),
                    "recommendations": list(t.get("recommendations") or []),
                    "summary": t.get("summary") or "",
                    "description": t.get("description") or "",
                    "target_groups": list(t.get("target_groups") or []),
                    "status": t.get("status"),
                    "outcomes": t.get("outcomes"),
                    "transferability": t.get("transferability"),
                    "sources": list(t.get("sources") or []),
                    "adopted_from_practice": adopted[0] if adopted else None,
                    "adopted_from_municipality": adopted[1] if adopted else None,
                    "extra": {},
                }
            )
            for actor in _actors(rng, name, kreis, land, lead):
                actor_rows.append({"practice_id": practice_id, **actor})
            if cycle_id == newest:
                by_template[template].append((lineage, key, report_id))
            else:
                earlier.append((lineage, key))
    for start in range(0, len(practice_rows), 20_000):
        db.session.execute(insert(Practice), practice_rows[start : start + 20_000])
    for start in range(0, len(actor_rows), 50_000):
        db.session.execute(insert(PracticeActor), actor_rows[start : start + 50_000])
    similar_rows = []
    for members in by_template.values():
        for lineage, key, _report in members:
            others = [m for m in rng.sample(members, min(len(members), 2 * NEIGHBOURS))]
            others = [m for m in others if m[1] != key][: rng.randint(0, NEIGHBOURS)]
            for rank, (other, *_rest) in enumerate(others, start=1):
                similar_rows.append(
                    {
                        "practice_id": lineage,
                        "other_id": other,
                        "rank": rank,
                        "score": round(4.0 - rank * 0.25 + rng.random() * 0.2, 4),
                        "terms": ["Patenschaften", "Sprachcafé"][: rng.randint(1, 2)],
                        "reasons": [
                            ["gleiches Kriterium", {}],
                            ["gemeinsame Begriffe: %(terms)s", {"terms": "Patenschaften"}],
                        ],
                        "method": "lexical",
                        "computed_at": now,
                    }
                )
    for start in range(0, len(similar_rows), 50_000):
        db.session.execute(insert(SimilarPractice), similar_rows[start : start + 50_000])
    rubric = synergy_content.rubric()
    validated = [
        member for members in by_template.values() for member in members if rng.random() < VALIDATED
    ]
    marks = {c.code: {"mark": 3, "note": "belegt"} for c in rubric.criteria}
    db.session.execute(
        insert(PracticeValidation),
        [
            {
                "practice_id": lineage,
                "revision_id": report_id,
                "municipality_key": key,
                "rubric_version": rubric.version,
                "marks": marks,
                "justification": "Wirksam, belegt und übertragbar (Benchmark).",
                "verdict": "validated",
                "validated_at": now,
            }
            for lineage, key, report_id in validated
        ],
    )
    db.session.commit()
    progress(
        f"  {len(practice_rows)} Maßnahmen, {len(actor_rows)} Akteure, {len(similar_rows)}"
        f" gespeicherte ähnliche Paare, {len(validated)} validiert"
    )
    return len(practice_rows)


@dataclass(frozen=True)
class Case:
    """One request measured: what, who makes it, the URL."""

    what: str
    who: str  # "reviewer", "admin" (a logged-in browser) or "api" (a staff member's token)
    url: str


def cases(cycle: str) -> list[Case]:
    """The requests measured: a Land's reviewer and an admin (all of Germany), every kind and
    each kind alone, and the API's largest page for both regions."""
    found = []
    for where, who, region in ((f"Land {LAND}", "reviewer", LAND), ("Deutschland", "admin", "")):
        base = f"/synergien/?cycle={cycle}&region={region}"
        found.append(Case(f"/synergien/ {where}, alle Arten", who, base))
        for kind in ("similar", "transfer", "partner"):
            found.append(Case(f"/synergien/ {where}, {kind}", who, f"{base}&kind={kind}"))
    for where, region in ((f"Land {LAND}", LAND), ("Deutschland", "")):
        found.append(
            Case(
                f"API {where}, per_page=500",
                "api",
                f"/api/v1/synergies?cycle={cycle}&region={region}&per_page=500",
            )
        )
    return found


class Browsers:
    """A logged-in test client per role, and a staff member's API token."""

    def __init__(self, app: Any) -> None:
        from omk.services import accounts

        with app.app_context():
            reviewer = accounts.create_user(
                None, "pruefung@bench.example", "reviewer", password=PASSWORD, scope=LAND
            )
            admin = accounts.create_user(None, "admin@bench.example", "admin", password=PASSWORD)
            staff = accounts.create_user(None, "lesen@bench.example", "staff", password=PASSWORD)
            emails = {"reviewer": reviewer.email, "admin": admin.email}
            self.token = accounts.create_token(None, staff)
        self.app = app
        self.clients = {}
        for who, email in emails.items():
            client = app.test_client()
            response = client.post("/anmelden", data={"email": email, "password": PASSWORD})
            assert response.status_code in (302, 303), f"login of {who}: {response.status_code}"
            self.clients[who] = client
        self.clients["api"] = app.test_client()

    def get(self, case: Case) -> tuple[int, int]:
        """Make the request; returns (status, suggestions: the API's total, else 0)."""
        headers = {"Authorization": f"Bearer {self.token}"} if case.who == "api" else {}
        response = self.clients[case.who].get(case.url, headers=headers)
        response.get_data()
        assert response.status_code == 200, f"{case.url}: {response.status_code}"
        total = int(response.json["total"]) if case.who == "api" and response.json else 0
        return response.status_code, total


def time_case(
    browsers: Browsers, case: Case, repeat: int, before: Callable[[], None] = lambda: None
) -> tuple[float, float, int, int]:
    """(median wall s, median CPU s, runs, API total) after one warm-up request; ``before``
    runs before each request measured (not timed)."""
    started = time.perf_counter()
    _status, total = browsers.get(case)  # warm-up: a web process keeps its caches
    warm = time.perf_counter() - started
    walls, cpus = [], []
    budget = CASE_BUDGET - warm
    for _ in range(repeat):
        with browsers.app.app_context():
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        browsers.get(case)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
        budget -= walls[-1]
        if budget < 0:
            break
    return statistics.median(walls), statistics.median(cpus), len(walls), total


def profile_case(browsers: Browsers, case: Case, lines: int = 25) -> str:
    """One request under cProfile: the heaviest functions of the project, by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    browsers.get(case)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"omk/", lines)
    text = out.getvalue()
    head = text.find("   ncalls")
    return f"Profil: {case.what} ({case.url})\n" + (text[head:] if head >= 0 else text)


#: A way of serving the requests: its label, a context manager around them, and what to do
#: before each request measured (with the app's context).
Variant = tuple[str, Callable[[], Any], Callable[[], None]]


MODES = ("live", "first", "kept")


def stored_lists() -> str:
    """What computing the stored suggestion lists took (one list per cycle and kind serves
    every language)."""
    from omk.synergies import store

    found = list(store.headers().values())
    seconds = f"{sum(h.seconds for h in found):.1f}".replace(".", ",")
    return (
        f"Gespeicherte Vorschlagslisten berechnet: {len(found)} Listen,"
        f" {sum(h.count for h in found)} Vorschläge, {seconds} s"
    )


def all_variants(modes: tuple[str, ...] = MODES) -> list[Variant]:
    """In the order given: ``live``, computed at every request (as before 2026-12-07);
    ``first``, the first request of a process after the stored lists changed (loaded from
    the database: the kept lists dropped before each); ``kept``, the lists the process
    keeps."""
    from omk.synergies import cache

    found: dict[str, Variant] = {
        "live": ("je Anfrage berechnet", cache.computing_live, lambda: None),
        "first": ("erste Anfrage nach einer Änderung (aus der Datenbank)", _nothing, cache.forget),
        "kept": ("gespeichert", _nothing, lambda: None),
    }
    return [found[mode] for mode in dict.fromkeys(modes)]  # in the order asked for


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def measure(
    app: Any,
    municipalities: int,
    practices: int,
    repeat: int,
    variants: list[Variant],
    progress: Callable[[str], None],
    profile: bool = False,
) -> list[Timing]:
    """Time every case in every variant (a context manager around the requests)."""
    from omk.extensions import db
    from omk.models.reporting import Cycle

    with app.app_context():
        cycle = db.session.scalars(select(Cycle).order_by(Cycle.period_end.desc())).first()
        assert cycle is not None
        code = cycle.code
    browsers = Browsers(app)
    out: list[Timing] = []
    for label, around, before in variants:
        slowest: tuple[float, Case] | None = None
        with around():
            for case in cases(code):
                seconds, cpu, runs, total = time_case(browsers, case, repeat, before)
                timing = Timing(case.what, municipalities, practices, total, seconds, cpu, runs)
                timing = Timing(**{**timing.__dict__, "variant": label})
                progress(table([timing], header=False))
                out.append(timing)
                if slowest is None or seconds > slowest[0]:
                    slowest = (seconds, case)
            if profile and slowest is not None:  # where the time of the slowest request goes
                with app.app_context():
                    before()
                progress(f"[{label}] " + profile_case(browsers, slowest[1]))
    return out


def run(
    sizes: list[int],
    repeat: int = 5,
    progress: Callable[[str], None] = lambda s: None,
    database: str | None = None,
    profile: bool = False,
    variants: list[Variant] | None = None,
) -> list[Timing]:
    """Build a database per size (municipalities reporting) and measure it."""
    from omk import create_app
    from omk.extensions import Base, db
    from omk.services import compare_bench
    from omk.services.register_import import import_register
    from omk.synergies import store

    timings: list[Timing] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="omk-bench-synview-") as folder:
            url = database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            app = create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                    "INSTANCE_PATH": str(Path(folder) / "instance"),
                    "DATABASE_URL": url,
                    "EMBEDDINGS": "off",
                    "SEARCH_INDEX": str(Path(folder) / "index"),
                    "WTF_CSRF_ENABLED": False,
                    "ARGON2_TIME_COST": 1,
                    "ARGON2_MEMORY_COST": 8,
                    "MAIL_BACKEND": "file",
                }
            )
            with app.app_context():
                Base.metadata.drop_all(db.engine)
                Base.metadata.create_all(db.engine)
                started = time.perf_counter()
                import_register(Path(app.extensions["omk_content"].root) / REGISTER_FILE)
                written = compare_bench.generate(2 * size, progress)
                practices = add_practices(progress)
                compare_bench.settle()
                progress(
                    f"{size} Kommunen je Runde: {written} Berichte, {practices} Maßnahmen"
                    f" ({time.perf_counter() - started:.0f} s)"
                )
                store.sync()  # as cron's omk synergies sync --suggestions-only would
                progress(stored_lists())
                db.session.remove()
            timings += measure(
                app,
                size,
                practices,
                repeat,
                variants if variants is not None else all_variants(),
                progress,
                profile,
            )
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return timings


def table(timings: list[Timing], header: bool = True) -> str:
    """The timings as a plain table (German decimal comma)."""
    lines = (
        [f"{'Kommunen':>8}  {'Maßn.':>6}  {'Sekunden':>9}  {'CPU-s':>8}  {'Läufe':>5}  Messung"]
        if header
        else []
    )
    for t in timings:
        seconds = f"{t.seconds:.3f}".replace(".", ",")
        cpu = f"{t.cpu:.3f}".replace(".", ",")
        what = t.what + (f" [{t.variant}]" if t.variant else "")
        if t.items:
            what += f" (total {t.items})"
        lines.append(
            f"{t.municipalities:>8}  {t.practices:>6}  {seconds:>9}  {cpu:>8}  {t.runs:>5}  {what}"
        )
    return "\n".join(lines)
