"""A search writer killed with SIGKILL in the middle of applying the outbox loses nothing:
the outbox still holds what was not applied, the lock dies with the process, and after
``omk search sync`` the index equals the database (``verify`` is clean)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from omk.models import User
from omk.search import service
from omk.services import outbox, reports
from tests import factories

# A child process reads what the test committed: a database of its own.
pytestmark = [pytest.mark.slow, pytest.mark.search_backends, pytest.mark.fresh_db]

#: Municipalities of the register sample, each publishing a report of several practices.
KEYS = ["05113000", "05315000", "05334002", "05334004", "05334016", "05334032"]

CHILD = """
import sys
from omk import create_app
from omk.search import service
app = create_app({"DATABASE_URL": sys.argv[1], "SEARCH_INDEX": sys.argv[2],
                  "INSTANCE_PATH": sys.argv[3], "SEARCH_BACKEND": sys.argv[4],
                  "SECRET_KEY": "x" * 40, "TESTING": True})
with app.app_context():
    print("started", flush=True)
    while True:  # apply the same entries again and again until killed
        service.apply_lineages(sorted({p for e in __import__("omk.services.outbox",
            fromlist=["x"]).pending("search", 10_000) for p in e.practice_ids}))
"""


def test_sigkill_mid_write_loses_nothing(
    app: Flask, make_user: Callable[..., User], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.make_cycle("2025")
    admin = make_user("admin")
    with monkeypatch.context() as m:
        m.setattr(outbox, "kick", lambda: None)  # leave everything pending for the child
        for key in KEYS:
            practices = [factories.practice(f"Maßnahme {key} {n}") for n in range(15)]
            reports.import_document(
                admin, factories.document(key, practices=practices), publish=True
            )
    assert outbox.lag(service.CONSUMER).pending == len(KEYS)

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            app.config["DATABASE_URL"],
            app.config["SEARCH_INDEX"],
            app.config["INSTANCE_PATH"],
            app.config["SEARCH_BACKEND"],
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.5)  # in the middle of writing segments
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()

    assert service.sync() == len(KEYS), "the outbox still holds every entry"
    drift = service.verify()
    assert drift.clean, drift
    assert service.search("Maßnahme").total == len(KEYS) * 15
