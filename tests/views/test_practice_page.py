"""The practice page's breadcrumb says where the practice sits, not one fixed way there."""

from __future__ import annotations

import re

from flask import Flask

from omk.models import User
from omk.policy import SYSTEM
from omk.services import reports
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import ESSEN, people

__all__ = ["people"]


def test_the_breadcrumb_leads_to_the_municipality_and_its_report(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    reports.import_document(SYSTEM, factories.document(ESSEN, practices=[practice]), publish=True)
    client = app.test_client()
    login(client, people["admin"])

    html = client.get(f"/massnahmen/{practice['id']}").text
    crumbs = html.split('class="omk-breadcrumb', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs)

    assert links == [
        ("/kommunen/", "Kommunen"),
        (f"/kommunen/{ESSEN}", "Essen, Stadt"),
        (f"/berichte/2025/{ESSEN}/veroeffentlicht", "Bericht 2025"),
    ]
