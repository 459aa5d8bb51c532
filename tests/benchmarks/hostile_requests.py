"""Every kind of hostile request against a real server (issue 9).

Run: ``python -m tests.benchmarks.hostile_requests``.

The generalisation of :mod:`tests.benchmarks.hostile_workbooks` (issue 9, "Done when"): starts
gunicorn with 4 sync workers on a throwaway SQLite instance on loopback (register sample, one
open cycle, one reporter with a draft and an API token), and for each kind of hostile request
(``actor_rows=50000000`` on the practice form, a 7 MB unknown value, 950-deep nesting, a
4,300-digit number and lone surrogates in the API's JSON, huge ``page``/``per_page``, and every
hostile workbook) sends four at once while a fifth client asks ``/healthz`` every 50 ms. Prints,
per kind, the statuses, the slowest request and the slowest ``/healthz``, and a last line saying
whether ``/healthz`` stayed within 1 s throughout; exits 1 when a request was not a 4xx (the
search page may answer a hostile page number with its default page, 200) or ``/healthz`` took
1 s or more. Bounded: 4 requests per kind, at most 60 s each. Not a pytest
test: timings on a shared machine are not assertions.
"""

# every URL opened here is the local server started here (http://127.0.0.1:PORT)
# ruff: noqa: S310

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from tests import factories
from tests import workbook_fixtures as fx
from tests.benchmarks import hostile_workbooks as hw

ROOT, BIN, BASE, ESSEN = hw.ROOT, hw.BIN, hw.BASE, hw.ESSEN
TIMEOUT = 60
Opener = urllib.request.OpenerDirector
Result = tuple[int, float]


def _timed(open_: Callable[[], object]) -> Result:
    start = time.perf_counter()
    try:
        response = open_()
        status = response.status  # type: ignore[attr-defined]
        response.read()  # type: ignore[attr-defined]
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.read()
    return status, time.perf_counter() - start


def practice_form(opener: Opener, fields: dict[str, str]) -> Result:
    url = f"{BASE}/berichte/2025/{ESSEN}/massnahmen/neu"
    page = opener.open(url, timeout=TIMEOUT).read().decode()
    body = urllib.parse.urlencode({"csrf_token": hw.csrf(page), **fields}).encode()
    return _timed(lambda: opener.open(urllib.request.Request(url, data=body), timeout=TIMEOUT))


def api_post(token: str, body: bytes) -> Result:
    request = urllib.request.Request(
        f"{BASE}/api/v1/reports",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return _timed(lambda: urllib.request.urlopen(request, timeout=TIMEOUT))


def get(opener: Opener, path: str, token: str | None = None) -> Result:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{BASE}{path}", headers=headers)
    return _timed(lambda: opener.open(request, timeout=TIMEOUT))


def _doc_with_title(raw: str) -> bytes:
    doc = factories.document(ESSEN)
    doc["practices"][0]["title"] = "@@T@@"
    return json.dumps(doc).replace('"@@T@@"', raw).encode()


def json_bodies() -> dict[str, bytes]:
    blob = factories.document(ESSEN)
    blob["practices"][0]["zz_blob"] = "x" * 7_000_000
    deep = json.dumps(factories.document(ESSEN))[:-1] + ', "zz": ' + '{"x": ' * 950 + "1"
    deep += "}" * 950 + "}"
    return {
        "API JSON, a 7 MB unknown value": json.dumps(blob).encode(),
        "API JSON, 950-deep nesting": deep.encode(),
        "API JSON, a 4,300-digit number": _doc_with_title("1" + "0" * 4300),
        "API JSON, lone surrogates": _doc_with_title('"x\\ud800y\\udc00"'),
    }


def kinds(token: str, valid_workbook: bytes) -> dict[str, tuple[Callable[[Opener], Result], int]]:
    """Each kind: what one client sends, and the size of the request body in bytes."""
    out: dict[str, tuple[Callable[[Opener], Result], int]] = {
        "practice form, actor_rows=50000000": (
            lambda o: practice_form(o, {"title": "X", "actor_rows": "50000000"}),
            0,
        ),
        "practice form, actor_rows of 5,000 digits": (
            lambda o: practice_form(o, {"title": "X", "actor_rows": "9" * 5000}),
            0,
        ),
    }
    for name, body in json_bodies().items():
        out[name] = (lambda o, b=body: api_post(token, b), len(body))
    for name, path in {
        "page=10^18 (API reports)": "/api/v1/reports?page=" + "9" * 18,
        "per_page=50000000 (API search)": "/api/v1/search?q=x&per_page=50000000",
        "per_page=50000000 (API municipalities)": "/api/v1/municipalities?per_page=50000000",
        "page of 1,000 digits (search page)": "/suche?q=x&page=" + "9" * 1000,
        "per_page=50000000 (search page)": "/suche?q=x&per_page=50000000",
    }.items():
        out[name] = (lambda o, p=path: get(o, p, token if "/api/" in p else None), 0)
    for name, data in hw.hostile(valid_workbook).items():
        out[f"workbook: {name}"] = (
            lambda o, d=data: (lambda r: (r[0], r[1]))(hw.upload(o, d)),
            len(data),
        )
    return out


def prepare(instance: Path, env: dict[str, str]) -> str:
    """The instance of :func:`hostile_workbooks.prepare`, plus a draft and an API token."""
    hw.prepare(instance, env)
    draft = instance / "draft.json"
    draft.write_text(json.dumps(factories.document(ESSEN)))
    subprocess.run(
        [str(BIN / "omk"), "reports", "import", str(draft)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [str(BIN / "omk"), "tokens", "create", hw.EMAIL],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    return token


def run_kind(send: Callable[[Opener], Result], clients: list[Opener]) -> tuple[list[Result], float]:
    slowest = [0.0]
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=10).read()
            except OSError:
                slowest[0] = max(slowest[0], 10.0)
            slowest[0] = max(slowest[0], time.perf_counter() - start)
            time.sleep(0.05)

    results: list[Result] = []

    def one(c: Opener) -> None:
        try:
            results.append(send(c))
        except OSError:
            results.append((0, float(TIMEOUT)))

    watcher = threading.Thread(target=probe)
    watcher.start()
    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.1)  # one more /healthz after the last answer
    stop.set()
    watcher.join()
    return results, slowest[0]


def main() -> int:
    valid = fx.base_workbook()
    failed, worst_health = False, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        env = dict(os.environ)
        env.update(
            OMK_DEBUG="1",
            OMK_INSTANCE_PATH=str(instance),
            OMK_DATABASE_URL=f"sqlite:///{instance / 'omk.sqlite3'}",
            OMK_SECRET_KEY=uuid.uuid4().hex * 2,
        )
        token = prepare(instance, env)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{hw.PORT}",
                "--timeout",
                str(TIMEOUT),
                "wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{BASE}/healthz").read()
                    break
                except OSError:
                    time.sleep(0.2)
            clients = [hw.client() for _ in range(4)]
            for c in clients:
                hw.login(c)
            todo = kinds(token, valid)
            for c in clients:  # warm every worker: imports, templates, content
                for path in ("/", f"/berichte/2025/{ESSEN}/massnahmen/neu", "/suche?q=x"):
                    get(c, path)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"gunicorn -w 4 (sync), {len(todo)} kinds × 4 requests at once; "
                f"{os.cpu_count()} CPUs, load average {load}\n"
            )
            for kind, (send, size) in todo.items():
                results, health = run_kind(send, clients)
                statuses = sorted(r[0] for r in results)
                slowest = max(r[1] for r in results)
                # HTML pages answer a hostile page number with the default page (README).
                allowed = (200,) if kind.endswith("(search page)") else ()
                ok = all(400 <= s < 500 or s in allowed for s in statuses) and health < 1.0
                failed = failed or not ok
                worst_health = max(worst_health, health)
                body = f", {size // 1024} KB body" if size else ""
                print(
                    f"{kind}{body}: statuses {statuses}, slowest request {slowest:.3f} s, "
                    f"slowest /healthz {health:.3f} s {'ok' if ok else 'FAILED'}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average at the end {load}")
    verdict = "stayed within 1 s" if worst_health < 1.0 else "took 1 s or more"
    print(
        f"/healthz {verdict} throughout (slowest {worst_health:.3f} s); "
        f"{'every hostile request was refused' if not failed else 'SOME KIND FAILED'}."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
