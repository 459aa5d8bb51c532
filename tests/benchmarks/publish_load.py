"""Publishing under load: reports accepted all at once through gunicorn, beside the same
reports accepted one after another, in one run (SQLite, the embedded default).

Each accept is answered first; the worker that answered then applies the outbox (search
index, passages, similar practices, stored figures: ``omk/services/outbox.py``). This prints,
per mode, the accept latency (median and longest), the answers other than 200, how long
after the last answer the outbox was empty, gunicorn's worker timeouts (from its log) and
whether ``omk search verify`` found the index in step with the database.

Needs the demo data (``make demo-data``). Each mode works on a copy of the instance folder
(the demo itself is left as it is) and accepts the same submitted reports of ``--cycle`` as
the demo's admin, through the API with a token made for the run::

    .venv/bin/python -m tests.benchmarks.publish_load [--reports 12] [--workers 4]
        [--cycle 2026] [--port 8767] [--instance instance]

The concurrent mode is the one that matters (a dozen reviewers accepting at once); the
sequential mode is the baseline measured on the same data in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
ADMIN = "admin@example.org"
ROOT = Path(__file__).resolve().parents[2]
#: The longest wait for the outbox to be empty after the last answer.
SETTLE_LIMIT = 300.0


@dataclass
class Outcome:
    mode: str
    latencies: list[float]
    failures: list[str]
    settled_after: float | None  # seconds from the last answer until the outbox was empty
    worker_timeouts: int
    verify_rc: int


def _env(instance: Path) -> dict[str, str]:
    env = dict(os.environ, OMK_INSTANCE_PATH=str(instance), OMK_LOG_LEVEL="INFO")
    env.pop("OMK_DEBUG", None)  # production mode, as deployed
    env.pop("OMK_DATABASE_URL", None)  # the copy's SQLite database
    env.setdefault("OMK_SECRET_KEY", secrets.token_hex(32))
    return env


def _omk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    omk = Path(sys.executable).with_name("omk")
    return subprocess.run([str(omk), *args], cwd=ROOT, env=env, capture_output=True, text=True)


def _request(port: int, method: str, path: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        method=method,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        data=b"" if method == "POST" else None,
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _outbox_state(database: Path) -> tuple[int, list[int]]:
    """The newest outbox entry and every consumer's position, read-only (WAL: blocks no
    writer)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM outbox_entry").fetchone()[0]
        positions = [row[0] for row in conn.execute("SELECT position FROM outbox_cursor")]
    return int(newest), [int(p) for p in positions]


def _wait_until_warm(log: Path, workers: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 600
    while log.read_text(errors="replace").count("search warm-up in") < workers:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not start; see {log}")
        time.sleep(0.5)


def run_mode(mode: str, source: Path, args: argparse.Namespace, folder: Path) -> Outcome:
    """Accept the submitted reports on a fresh copy of ``source``, ``mode`` being
    "concurrent" or "sequential"."""
    instance = folder / mode
    shutil.copytree(source, instance, ignore=shutil.ignore_patterns("outbox-*.lock", "mail"))
    env = _env(instance)
    made = _omk(env, "tokens", "create", ADMIN, "--label", "publish-load", "--days", "1")
    if made.returncode != 0:
        raise SystemExit(f"no API token: {made.stdout}{made.stderr}")
    token = made.stdout.strip().splitlines()[-1]
    log = folder / f"{mode}.gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(gunicorn), "-w", str(args.workers), "-b", f"{HOST}:{args.port}", "wsgi:app"],
            cwd=ROOT,  # reads gunicorn.conf.py, as a checkout deployment does
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_warm(log, args.workers, server)
        status, body = _request(
            args.port,
            "GET",
            f"/api/v1/reports?cycle={args.cycle}&state=submitted&per_page=100",
            token,
        )
        if status != 200:
            raise SystemExit(f"listing the submitted reports answered {status}: {body[:200]}")
        keys = sorted(item["municipality"] for item in json.loads(body)["items"])[: args.reports]
        if len(keys) < args.reports:
            raise SystemExit(f"only {len(keys)} submitted reports in {args.cycle}")
        latencies: list[float] = [0.0] * len(keys)
        failures: list[str] = []
        gate = threading.Barrier(len(keys)) if mode == "concurrent" else None

        def accept(n: int) -> None:
            if gate is not None:
                gate.wait()
            started = time.perf_counter()
            code, text = _request(
                args.port, "POST", f"/api/v1/reports/{keys[n]}/{args.cycle}/accept", token
            )
            latencies[n] = time.perf_counter() - started
            if code != 200:
                failures.append(f"{keys[n]}: {code} {text[:120]}")

        if gate is not None:
            threads = [threading.Thread(target=accept, args=(n,)) for n in range(len(keys))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for n in range(len(keys)):
                accept(n)
        answered = time.monotonic()
        settled_after = None
        database = instance / "omk.sqlite3"
        while time.monotonic() - answered < SETTLE_LIMIT:
            newest, positions = _outbox_state(database)
            if positions and min(positions) >= newest:
                settled_after = time.monotonic() - answered
                break
            time.sleep(0.25)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    timeouts = log.read_text(errors="replace").count("WORKER TIMEOUT")
    verify = _omk(env, "search", "verify")
    return Outcome(mode, latencies, failures, settled_after, timeouts, verify.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cycle", default="2026")
    parser.add_argument("--port", type=int, default=int(os.environ.get("OMK_BENCH_PORT", 8767)))
    parser.add_argument(
        "--instance",
        default=os.environ.get("OMK_INSTANCE_PATH") or str(ROOT / "instance"),
        help="the demo's instance folder (copied, never changed)",
    )
    args = parser.parse_args(argv)
    source = Path(args.instance)
    if not (source / "omk.sqlite3").exists():
        raise SystemExit(f"no demo data in {source}: run `make demo-data` first")
    outcomes = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="omk-publish-load-") as tmp:
        for mode in ("sequential", "concurrent"):
            outcomes.append(run_mode(mode, source, args, Path(tmp)))
    print(
        f"{args.reports} reports of {args.cycle} accepted through gunicorn -w {args.workers} "
        f"(SQLite); load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"{'mode':12} {'median s':>9} {'longest s':>10} {'not 200':>8} "
        f"{'outbox empty after s':>21} {'worker timeouts':>16} {'verify':>7}"
    )
    for o in outcomes:
        settled = f"{o.settled_after:.1f}" if o.settled_after is not None else "> limit"
        print(
            f"{o.mode:12} {statistics.median(o.latencies):9.2f} {max(o.latencies):10.2f} "
            f"{len(o.failures):8} {settled:>21} {o.worker_timeouts:16} "
            f"{'clean' if o.verify_rc == 0 else 'DRIFT':>7}"
        )
        for failure in o.failures:
            print(f"  {o.mode}: {failure}")
    return 0 if all(not o.failures and o.verify_rc == 0 for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
