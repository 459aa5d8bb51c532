"""CPU milliseconds per request of the main pages, in-process, beside the bare page.

The gunicorn benchmark (``tests.benchmarks.pages``) measures what a visitor gets; on a shared,
loaded machine its figures move with the other jobs. This one asks each page through Flask's
test client and takes ``time.process_time`` (CPU of this process only), the minimum of N
requests after two warm-ups. The pages are asked in turns (one request of each page per
round, N rounds), so a change of load touches every page and the bare page alike. The
search is measured three times: a repeated query (its result kept, the usual case), a query
whose result is not kept but whose embedding is, and the first request of a query (every
kept search result and the query embeddings forgotten before each request, outside the
measured time). ``--profile PATH`` prints a cProfile of that page instead.

``.venv/bin/python -m tests.benchmarks.page_cpu [--repeat 25] [--only /kriterien]
[--profile /kommunen/]`` (needs the demo data: ``make demo-data``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.benchmarks.pages import SEARCH_TARGET, STAFF, TARGET, _pages, bare_app

#: SQL statements of the request being measured (an N+1 shows as a count that grows).
_STATEMENTS: list[str] = []


@dataclass
class Case:
    """One row: a page asked by one client, with what to do before each request."""

    label: str
    path: str
    as_staff: bool
    get: Callable[[str], Any]
    before: Callable[[], None] = lambda: None
    best: float = float("inf")
    status: int = 0
    statements: int = 0


def _measure(cases: list[Case], repeat: int) -> None:
    """Two warm-ups per case (the second counts the SQL statements), then ``repeat`` rounds
    of one request per case; each case keeps its minimum."""
    for case in cases:
        for _ in range(2):
            case.before()
            _STATEMENTS.clear()
            case.status = case.get(case.path).status_code
        case.statements = len(_STATEMENTS)
    for _ in range(repeat):
        for case in cases:
            case.before()
            started = time.process_time()
            case.get(case.path)
            case.best = min(case.best, time.process_time() - started)


def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    _STATEMENTS.append(statement)


def forget_search_results(app: Any, embedding: bool = True) -> None:
    """Drop every kept search result and (``embedding``) the query embeddings: what the
    first request of a query finds."""
    from omk.search import embeddings

    parts = app.extensions.get("omk_fragments")
    if parts is not None:
        with parts.lock:
            for key in [k for k in parts.parts if str(k[0]).startswith("search.")]:
                del parts.parts[key]
    if embedding:
        embeddings.clear_query_cache()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--only", action="append", default=[], help="measure only these paths")
    parser.add_argument("--profile", default=None, help="print a cProfile of this path")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--sql", action="store_true", help="print each page's SQL statements")
    args = parser.parse_args(argv)

    from omk import create_app
    from omk.search import embeddings

    pages = [p for p in _pages() if "{new}" not in p[0]]  # the first request: see Case below
    if args.only:
        pages = [p for p in pages if any(p[0].startswith(o) for o in args.only)]
    app = create_app()
    anonymous = app.test_client()
    staff = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', staff.get("/anmelden").text)
    assert token, "no CSRF token on the login page"
    form = {"csrf_token": token.group(1), "email": STAFF[0], "password": STAFF[1]}
    response = staff.post("/anmelden", data=form)
    assert response.status_code in (302, 303), f"login failed: {response.status_code}"
    bare = bare_app().test_client()  # type: ignore[attr-defined]
    from sqlalchemy import event

    from omk.extensions import db

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _record)
        with app.test_request_context():
            semantic = embeddings.embeddings_available()

    if args.profile:
        client = staff if any(p == args.profile and s for p, s in pages) else anonymous
        if args.profile.startswith("/_bare"):
            client, path = bare, args.profile.removeprefix("/_bare") or "/"
        else:
            path = args.profile
        for _ in range(3):
            client.get(path)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(10):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.lines)
        return 0

    cases = [Case("/_bare/", "/", False, bare.get)]
    for path, as_staff in pages:
        get = staff.get if as_staff else anonymous.get
        if path.startswith("/suche"):
            cases.append(Case(f"{path} (repeated)", path, as_staff, get))
            fresh = Case(f"{path} (result not kept, embedding kept)", path, as_staff, get)
            fresh.before = lambda: forget_search_results(app, embedding=False)
            first = Case(f"{path} (first: result and embedding new)", path, as_staff, get)
            first.before = lambda: forget_search_results(app)
            cases += [fresh, first]
        else:
            cases.append(Case(path, path, as_staff, get))
    _measure(cases, args.repeat)
    if args.sql:
        for case in cases[1:]:
            case.before()
            _STATEMENTS.clear()
            case.get(case.path)
            print(f"--- {case.label}: {len(_STATEMENTS)} statements")
            for statement in _STATEMENTS:
                print("   ", " ".join(statement.split())[:300])
    yardstick = cases[0].best * 1000
    print(
        f"CPU ms per request, minimum of {args.repeat} rounds (one request per page a round), "
        f"in-process (test client); embeddings {'on' if semantic else 'off'}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'page':66} {'as':5} {'CPU ms':>7} {'cost':>5}  status  SQL")
    for case in cases:
        ms = case.best * 1000
        limit = SEARCH_TARGET if case.path.startswith("/kommunen/?q=") else TARGET
        cost = ms / yardstick
        bare_row = case is cases[0]
        mark = "" if bare_row or cost <= limit else f" > {limit:g}×"
        who = "staff" if case.as_staff else "anon"
        sql = "-" if bare_row else str(case.statements)
        row = f"{case.label[:66]:66} {who:5} {ms:7.1f} {cost:4.1f}×  {case.status}    {sql:>3}"
        print(row + mark)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
