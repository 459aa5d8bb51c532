"""First-visit weight: bytes a browser transfers for a page with an empty cache.

Starts gunicorn on loopback (``OMK_BENCH_PORT``, default 8767) on the instance of the
environment (the demo data: ``make demo-data``), opens each page in a fresh headless Chromium
context (Debian's ``/usr/bin/chromium``, no cache) and sums the encoded (on-the-wire) length
of every response, per kind; then opens a second page in the same context and reports what a
further page costs once the static files are cached.

``.venv/bin/python -m tests.benchmarks.first_visit [--app-dir DIR]`` (``--app-dir`` serves the
code of another checkout, e.g. an export of an older commit, for a before/after comparison).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
PAGES = ("/", "/kommunen/05113000", "/kriterien")


def _measure(browser: Any, base: str, first: str, second: str) -> tuple[dict[str, int], int]:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    kinds: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)
    phase = {"name": "first"}
    later = {"bytes": 0}

    def on_response(event: dict[str, Any]) -> None:
        kinds[event["requestId"]] = event["type"]

    def on_finished(event: dict[str, Any]) -> None:
        length = int(event["encodedDataLength"])
        if phase["name"] == "first":
            sizes[kinds.get(event["requestId"], "Other")] += length
        else:
            later["bytes"] += length

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(base + first, wait_until="networkidle")
    phase["name"] = "second"
    page.goto(base + second, wait_until="networkidle")
    context.close()
    return dict(sizes), later["bytes"]


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("OMK_BENCH_PORT", 8767)))
    parser.add_argument("--app-dir", default=None, help="serve the code of this folder")
    args = parser.parse_args(argv)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cwd = args.app_dir or str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, OMK_LOG_LEVEL="WARNING", PYTHONPATH=cwd)
    server = subprocess.Popen(
        [
            str(gunicorn),
            "-w",
            "1",
            "-b",
            f"{HOST}:{args.port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=cwd,
        env=env,
    )
    try:
        from tests.benchmarks.pages import _wait_for

        _wait_for(args.port)
        time.sleep(0.5)
        base = f"http://{HOST}:{args.port}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            print(f"{'first visit':24} {'total KB':>9}  by kind (KB)   then another page (KB)")
            for i, path in enumerate(PAGES):
                sizes, later = _measure(browser, base, path, PAGES[(i + 1) % len(PAGES)])
                detail = ", ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(sizes.items()))
                total = sum(sizes.values()) / 1024
                print(f"{path:24} {total:9.0f}  {detail}   {later / 1024:.0f}")
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
