"""CPU milliseconds per request of the main pages, in-process, beside the bare page.

The gunicorn benchmark (``tests.benchmarks.pages``) measures what a visitor gets; on a shared,
loaded machine its figures move with the other jobs. This one asks each page through Flask's
test client and takes ``time.process_time`` (CPU of this process only), the minimum of N
requests after a warm-up: steady under load. ``--profile PATH`` prints a cProfile of that page
instead.

``.venv/bin/python -m tests.benchmarks.page_cpu [--repeat 15] [--only /kriterien]
[--profile /kommunen/]`` (needs the demo data: ``make demo-data``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import time
from typing import Any

from tests.benchmarks.pages import SEARCH_TARGET, STAFF, TARGET, _pages, bare_app

#: SQL statements of the request being measured (an N+1 shows as a count that grows).
_STATEMENTS: list[str] = []


def _cpu_ms(get: Any, path: str, repeat: int) -> tuple[float, int, int]:
    """Minimum CPU milliseconds of ``repeat`` requests (after two warm-ups), the status and
    the number of SQL statements of one request."""
    status = 0
    for _ in range(2):
        _STATEMENTS.clear()
        status = get(path).status_code
    statements = len(_STATEMENTS)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        get(path)
        best = min(best, time.process_time() - started)
    return best * 1000, status, statements


def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    _STATEMENTS.append(statement)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", action="append", default=[], help="measure only these paths")
    parser.add_argument("--profile", default=None, help="print a cProfile of this path")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--sql", action="store_true", help="print each page's SQL statements")
    args = parser.parse_args(argv)

    from omk import create_app

    pages = _pages()
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

    rows = [("/_bare/", False, *_cpu_ms(bare.get, "/", args.repeat))]
    for path, as_staff in pages:
        client = staff if as_staff else anonymous
        rows.append((path, as_staff, *_cpu_ms(client.get, path, args.repeat)))
        if args.sql:
            _STATEMENTS.clear()
            client.get(path)
            print(f"--- {path}: {len(_STATEMENTS)} statements")
            for statement in _STATEMENTS:
                print("   ", " ".join(statement.split())[:300])
    rows.append(("/_bare/", False, *_cpu_ms(bare.get, "/", args.repeat)))
    yardstick = (rows[0][2] + rows[-1][2]) / 2
    print(f"CPU ms per request, minimum of {args.repeat}, in-process (test client)")
    print(f"{'page':58} {'as':5} {'CPU ms':>7} {'cost':>5}  status  SQL")
    for path, as_staff, ms, status, statements in rows:
        limit = SEARCH_TARGET if path.startswith("/kommunen/?q=") else TARGET
        cost = ms / yardstick
        mark = "" if path == "/_bare/" or cost <= limit else f" > {limit:g}×"
        who = "staff" if as_staff else "anon"
        sql = statements if path != "/_bare/" else "-"
        print(f"{path[:58]:58} {who:5} {ms:7.1f} {cost:4.1f}×  {status}    {sql:>3}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
