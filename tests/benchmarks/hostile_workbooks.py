"""Hostile workbook uploads against a real server: ``python -m tests.benchmarks.hostile_workbooks``.

Starts gunicorn with 4 sync workers on a throwaway SQLite instance (register sample, one open
cycle, one reporter with a draft), logs in four clients, and for each kind of hostile workbook
(bombs of styles.xml, sharedStrings.xml, rows, cells, one huge text, too many zip entries) sends
four uploads at once while a fifth client asks ``/healthz`` every 50 ms. Prints, per kind, the
status and time of each upload and the slowest ``/healthz`` answer; exits 1 when an upload is
not a 4xx or ``/healthz`` took 1 s or more. Not a pytest test: timings on a shared machine are
not assertions.
"""

# every URL opened here is the local server started here (http://127.0.0.1:PORT)
# ruff: noqa: S310

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tests import workbook_fixtures as fx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("OMK_BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "hostile-bench-" + uuid.uuid4().hex
EMAIL = "bench-reporter@example.org"
ESSEN = fx.ESSEN


def repeated(head: bytes, unit: bytes, count: int, tail: bytes) -> Iterable[bytes]:
    yield head
    per_block = max(1, (1024 * 1024) // len(unit))
    left = count
    while left > 0:
        n = min(left, per_block)
        yield unit * n
        left -= n
    yield tail


def with_part(valid: bytes, name: str, body: Iterable[bytes], extra: int = 0) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(valid))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item.filename, source.read(item.filename))
        with target.open(name, "w", force_zip64=True) as stream:
            for chunk in body:
                stream.write(chunk)
        for i in range(extra):
            target.writestr(f"customXml/item{i}.xml", b"<x/>")
    return out.getvalue()


def hostile(valid: bytes) -> dict[str, bytes]:
    sheet_head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    sheet = "xl/worksheets/sheet3.xml"
    styles_head = b'<styleSheet xmlns="urn:x"><cellXfs>'
    return {
        "styles.xml, 60 MB of <xf/>": with_part(
            valid, "xl/styles.xml", repeated(styles_head, b"<xf/>", 12_000_000, b"</cellXfs>")
        ),
        "styles.xml, 20 MB of <xf/>": with_part(
            valid, "xl/styles.xml", repeated(styles_head, b"<xf/>", 4_000_000, b"</cellXfs>")
        ),
        "sharedStrings.xml, 1 M entries": with_part(
            valid,
            "xl/sharedStrings.xml",
            repeated(b"<sst>", b"<si><t>Sprachcafe</t></si>", 1_000_000, b"</sst>"),
        ),
        "sheet, 5 M rows": with_part(
            valid, sheet, repeated(sheet_head + b"<sheetData>", b"<row/>", 5_000_000, b"")
        ),
        "sheet, 1 M cells in a row": with_part(
            valid,
            sheet,
            repeated(sheet_head + b"<sheetData><row>", b"<c><v>1</v></c>", 1_000_000, b""),
        ),
        "sheet, one 30 MB text": with_part(
            valid,
            sheet,
            repeated(sheet_head + b"<sheetData><row><c><is><t>", b"x", 30_000_000, b""),
        ),
        "101 zip entries": with_part(valid, "xl/styles.xml", [b"<styleSheet/>"], extra=90),
    }


def client() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token"
    return match.group(1)


def login(opener: urllib.request.OpenerDirector) -> None:
    page = opener.open(f"{BASE}/anmelden").read().decode()
    body = urllib.parse.urlencode(
        {"csrf_token": csrf(page), "email": EMAIL, "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{BASE}/anmelden", data=body)).read()


def upload(opener: urllib.request.OpenerDirector, data: bytes) -> tuple[int, float, str]:
    page = opener.open(f"{BASE}/berichte/2025/{ESSEN}/hochladen").read().decode()
    version = re.search(r'name="edit_version" value="(\d*)"', page)
    boundary = uuid.uuid4().hex
    fields = {"csrf_token": csrf(page), "edit_version": version.group(1) if version else ""}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{BASE}/berichte/2025/{ESSEN}/hochladen",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    start = time.perf_counter()
    try:
        response = opener.open(request)
        status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    found = re.search(r'<span class="kern-title">([^<]*)</span>', text)
    return status, time.perf_counter() - start, found.group(1) if found else ""


def prepare(instance: Path, env: dict[str, str]) -> None:
    def omk(*args: str, stdin: str | None = None) -> None:
        subprocess.run(
            [str(BIN / "omk"), *args],
            env=env,
            cwd=ROOT,
            input=stdin,
            text=True,
            check=True,
            capture_output=True,
        )

    omk("db", "upgrade")
    omk("municipalities", "import", str(ROOT / "tests" / "data" / "register-sample.csv"))
    omk(
        "cycles",
        "create",
        "2025",
        "--start",
        "2025-01-01",
        "--end",
        "2025-12-31",
        "--deadline",
        "2026-03-31",
    )
    omk(
        "users",
        "create",
        EMAIL,
        "--role",
        "reporter",
        "--municipality",
        ESSEN,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )


def main() -> int:
    valid = fx.base_workbook()
    kinds = hostile(valid)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        env = dict(os.environ)
        env.update(
            OMK_DEBUG="1",
            OMK_INSTANCE_PATH=str(instance),
            OMK_DATABASE_URL=f"sqlite:///{instance / 'omk.sqlite3'}",
            OMK_SECRET_KEY=uuid.uuid4().hex * 2,
        )
        prepare(instance, env)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{PORT}",
                "--timeout",
                "60",
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
            clients = [client() for _ in range(4)]
            for c in clients:
                login(c)
            print(f"gunicorn -w 4 (sync), {len(kinds)} kinds × 4 uploads at once\n")
            for kind, data in kinds.items():
                slowest = [0.0]
                stop = threading.Event()

                def probe(slowest: list[float] = slowest, stop: threading.Event = stop) -> None:
                    while not stop.is_set():
                        start = time.perf_counter()
                        urllib.request.urlopen(f"{BASE}/healthz", timeout=10).read()
                        slowest[0] = max(slowest[0], time.perf_counter() - start)
                        time.sleep(0.05)

                results: list[tuple[int, float, str]] = []
                watcher = threading.Thread(target=probe)
                watcher.start()
                threads = [
                    threading.Thread(target=lambda c=c, d=data, r=results: r.append(upload(c, d)))
                    for c in clients
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                stop.set()
                watcher.join()
                statuses = sorted(r[0] for r in results)
                times = ", ".join(f"{r[1]:.2f}" for r in results)
                ok = all(400 <= s < 500 for s in statuses) and slowest[0] < 1.0
                failed = failed or not ok
                print(
                    f"{kind} ({len(data) // 1024} KB upload): statuses {statuses}, "
                    f"seconds {times}; slowest /healthz {slowest[0]:.3f} s "
                    f"{'ok' if ok else 'FAILED'}"
                )
                print(f"    {results[0][2]}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
