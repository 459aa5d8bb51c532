"""Speed of the pages people use most, beside a bare Flask + SQLAlchemy page, in one run.

Starts gunicorn on loopback (2 sync workers) serving OMK with a bare page mounted beside it
(``/_bare/``: a Flask app with its own SQLAlchemy engine on the same database, listing 20
register rows through a Jinja template), then asks each page with 8 concurrent clients for a
few seconds and prints requests per second and the 95th percentile latency, and each page's
cost relative to the bare page (its requests/s divided by the page's). The bare page is
measured first and last; the ratio uses their mean.

Needs the demo data (``make demo-data``): ``make bench-pages`` or
``.venv/bin/python -m tests.benchmarks.pages [--seconds 4] [--port 8766] [--only /kriterien]``.
Anonymous where the page is public, else as the demo's staff account.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
STAFF = ("fachkraft@example.org", "Demo-Passwort-2026")
#: The 2× target of issue 14; the name search may cost 3×.
TARGET, SEARCH_TARGET = 2.0, 3.0


@dataclass
class Result:
    path: str
    as_staff: bool
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    statuses: set[int]
    cpu_ms: float  # CPU of the gunicorn processes per request (wall clock moves with the load)


def bare_app() -> object:
    """The yardstick: Flask, Flask-SQLAlchemy, a Jinja template, 20 rows."""
    from flask import Flask, render_template_string
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text

    from omk import config

    settings = config.load()
    instance = Path(settings["INSTANCE_PATH"] or "instance").resolve()
    url = settings["DATABASE_URL"] or ("sqlite:///" + str(instance / "omk.sqlite3"))
    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db = SQLAlchemy(app)
    page = (
        "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Kommunen</title>"
        "</head><body><h1>Kommunen</h1><ul>{% for r in rows %}<li><a href='/kommunen/"
        "{{ r.key }}'>{{ r.name }}</a> ({{ r.population }})</li>{% endfor %}</ul></body></html>"
    )

    @app.get("/")
    def index() -> str:
        rows = db.session.execute(
            text("SELECT key, name, population FROM municipality ORDER BY key LIMIT 20")
        ).all()
        return render_template_string(page, rows=rows)

    return app


def application() -> object:
    """OMK with the bare page at /_bare (the gunicorn entry point of this benchmark)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from omk import create_app

    omk = create_app()
    return DispatcherMiddleware(omk, {"/_bare": bare_app()})  # type: ignore[dict-item]


#: Search words never asked before in this run: ``{new}`` in a path takes the next one, so
#: each such request is the first of its query (no kept result, the embedding computed).
_NEW_QUERIES: list[str] = []


def _query_words() -> list[str]:
    """Words of the published practices' titles, then pairs of them (hundreds of queries
    that find something, each asked once)."""
    from sqlalchemy import text

    from omk.extensions import db

    titles = db.session.execute(text("SELECT DISTINCT title FROM practice ORDER BY title"))
    words = sorted({w.strip('„“"()–,.:;!?') for (t,) in titles for w in t.split()})
    words = [w for w in words if len(w) >= 5 and w.isalpha()]
    return words + [f"{a} {b}" for a, b in zip(words, reversed(words), strict=True)]


async def _get(port: int, path: str, cookie: str) -> tuple[int, float]:
    if "{new}" in path:
        if not _NEW_QUERIES:
            raise SystemExit("no new search words left: shorten --seconds")
        path = path.format(new=urllib.parse.quote(_NEW_QUERIES.pop()))
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n"
    if cookie:
        request += f"Cookie: {cookie}\r\n"
    writer.write((request + "\r\n").encode("latin-1"))
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return status, time.perf_counter() - started


def _server_cpu(master: int) -> float:
    """CPU seconds (user and system) used so far by gunicorn's master and workers, from
    /proc (Linux): the server's cost whatever else the machine runs."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended
            continue
        # after the name: state, ppid, … utime and stime are the 12th and 13th fields
        if int(entry.name) == master or int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


async def _load(
    port: int, path: str, cookie: str, seconds: float, clients: int, master: int
) -> Result:
    latencies: list[float] = []
    statuses: set[int] = set()
    errors = 0
    for _ in range(clients):  # warm-up: every worker has served the page once
        await _get(port, path, cookie)
    cpu_before = _server_cpu(master)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            try:
                status, latency = await _get(port, path, cookie)
            except OSError:
                errors += 1
                continue
            statuses.add(status)
            if status >= 400:
                errors += 1
            latencies.append(latency)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = _server_cpu(master) - cpu_before
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0.0
    return Result(
        path,
        bool(cookie),
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000 if latencies else 0.0,
        p95 * 1000,
        errors,
        statuses,
        cpu * 1000 / len(latencies) if latencies else 0.0,
    )


def _login(port: int) -> str:
    """A staff session cookie, through the login form."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=180)
    conn.request("GET", "/anmelden")
    response = conn.getresponse()
    body = response.read().decode()
    cookies = [h.split(";")[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    assert token, "no CSRF token on the login page"
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": STAFF[0], "password": STAFF[1]}
    )
    conn = http.client.HTTPConnection(HOST, port, timeout=180)
    conn.request(
        "POST",
        "/anmelden",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(cookies),
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.status in (302, 303), f"login failed: {response.status}"
    cookies = [h.split(";")[0] for k, h in response.getheaders() if k.lower() == "set-cookie"]
    return "; ".join(c for c in cookies if c.split("=", 1)[1])


def _pages() -> list[tuple[str, bool]]:
    """(path, as staff) of the main pages, with real keys from the demo data."""
    from sqlalchemy import select

    from omk import create_app
    from omk.extensions import db
    from omk.models.reporting import Cycle, Report

    app = create_app()
    with app.app_context():
        report = db.session.execute(
            select(Cycle.code, Report.municipality_key)
            .join(Cycle, Report.cycle_id == Cycle.id)
            .where(Report.published_revision_id.is_not(None), Report.municipality_key == "05113000")
            .order_by(Cycle.period_end.desc())
            .limit(1)
        ).first()
        if report is None:
            raise SystemExit("Keine Demodaten: zuerst `make demo-data`.")
        practice = _a_practice_id()
        _NEW_QUERIES[:] = _query_words()[::-1]
    pages = [
        ("/", False),
        ("/kommunen/", False),
        ("/kommunen/05113000", False),
        ("/kommunen/?q=Essen", False),
        ("/kriterien", False),
        ("/kennzahlen", False),
        ("/berichte/", True),
        (f"/berichte/{report[0]}/{report[1]}/veroeffentlicht", True),
        ("/suche?q=Sprachkurs", True),  # repeated: its result kept
        ("/suche?q={new}", True),  # each request a query not asked before
    ]
    if practice:
        pages.append((f"/massnahmen/{practice}", True))
    return pages


def _a_practice_id() -> str | None:
    from sqlalchemy import text

    from omk.extensions import db

    try:
        return db.session.execute(
            text("SELECT p.practice_id FROM similar_practice p ORDER BY p.practice_id LIMIT 1")
        ).scalar()
    except Exception:  # an older schema: no similar practices stored
        db.session.rollback()
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("OMK_BENCH_PORT", 8766)))
    parser.add_argument("--only", action="append", default=[], help="measure only these paths")
    parser.add_argument("--app-dir", default=None, help="serve the code of this folder")
    args = parser.parse_args(argv)

    pages = _pages()
    if args.only:
        pages = [p for p in pages if any(p[0].startswith(o) for o in args.only)]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cwd = args.app_dir or str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, OMK_LOG_LEVEL="WARNING", PYTHONPATH=cwd)
    if args.app_dir:  # the bare page and the entry point come from this checkout
        target = Path(args.app_dir) / "tests" / "benchmarks" / "pages.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(args.workers),
            "--bind",
            f"{HOST}:{args.port}",
            "--log-level",
            "warning",
            "--timeout",
            "180",
            "tests.benchmarks.pages:application()",
        ],
        cwd=cwd,
        env=env,
    )
    try:
        _wait_for(args.port)
        cookie = _login(args.port)
        rows: list[Result] = []

        async def run() -> None:
            bare_page = ("/_bare/", "", args.seconds, args.clients, server.pid)
            rows.append(await _load(args.port, *bare_page))
            for path, staff in pages:
                rows.append(
                    await _load(
                        args.port,
                        path,
                        cookie if staff else "",
                        args.seconds,
                        args.clients,
                        server.pid,
                    )
                )
            rows.append(await _load(args.port, *bare_page))

        asyncio.run(run())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    bare = statistics.mean([rows[0].rps, rows[-1].rps])
    bare_cpu = statistics.mean([rows[0].cpu_ms, rows[-1].cpu_ms])
    print(
        f"gunicorn {args.workers} workers, {args.clients} clients, {args.seconds:g} s per page; "
        f"load average {os.getloadavg()[0]:.1f}; cost: the bare page's requests/s over the "
        "page's; CPU: the server's CPU ms per request (/proc), and its ratio to the bare page's"
    )
    print(
        f"{'page':58} {'as':5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'cost':>5} "
        f"{'CPU ms':>7} {'CPU':>5}  status"
    )
    for r in rows:
        cost = bare / r.rps if r.rps else float("inf")
        cpu_cost = r.cpu_ms / bare_cpu if bare_cpu else float("inf")
        limit = SEARCH_TARGET if "?q=" in r.path and r.path.startswith("/kommunen") else TARGET
        over = [what for what, c in (("req/s", cost), ("CPU", cpu_cost)) if c > limit]
        mark = "" if r.path == "/_bare/" or not over else f" > {limit:g}× ({', '.join(over)})"
        who = "staff" if r.as_staff else "anon"
        codes = ",".join(str(s) for s in sorted(r.statuses))
        shown = r.path.replace("{new}", "<a new query each request>")
        print(
            f"{shown[:58]:58} {who:5} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{cost:4.1f}× {r.cpu_ms:7.1f} {cpu_cost:4.1f}×  "
            f"{codes}{' errors=' + str(r.errors) if r.errors else ''}{mark}"
        )
    return 0


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    raise SystemExit(main())
