"""Stored synergy suggestions (omk.synergies.store): computed by the outbox consumer after the
similar pairs, by ``omk synergies sync`` and after a response, never in a request of a large
installation, which is shown the stored ones with their "Stand" meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from omk.extensions import db
from omk.models import User
from omk.models.synergies import SynergySnapshot
from omk.services import accounts, outbox, reports
from omk.synergies import cache, peer_review, store
from omk.synergies.suggestions import Side, Suggestion, in_region
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import (
    AACHEN,
    CARITAS_E,
    CARITAS_K,
    ESSEN,
    KOELN,
    cycle,
    people,
    publish,
)

__all__ = ["people"]

STALE = "Neuere Veröffentlichungen werden gerade eingerechnet"
MISSING = "werden gerade berechnet"


def pairs(client: FlaskClient, user: User) -> tuple[list[tuple[str, str]], Any]:
    headers = {"Authorization": f"Bearer {accounts.create_token(None, user)}"}
    response = client.get("/api/v1/synergies?cycle=2025&kind=partner", headers=headers)
    assert response.status_code == 200
    items = [(s["a"]["id"], s["b"]["id"]) for s in response.json["items"]]
    return items, response.last_modified


@contextmanager
def as_after_a_response(seconds: float) -> Iterator[None]:
    """Consumers run as in a web worker after its response, with ``seconds`` to work."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "after_response", lambda: True)
        patch.setattr(outbox, "AFTER_RESPONSE_SECONDS", seconds)
        yield


def slow(seconds: float) -> None:
    """Make every stored snapshot look as if it took ``seconds`` to compute."""
    db.session.execute(update(SynergySnapshot).values(seconds=seconds))
    db.session.commit()


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    """A large installation: no request may compute a snapshot itself."""
    app.config["SYNERGY_INLINE_SECONDS"] = -1.0
    yield
    app.config["SYNERGY_INLINE_SECONDS"] = 0.5


def test_suggestions_round_trip_through_storage() -> None:
    original = Suggestion(
        kind="partner",
        a=Side(type="municipality", id=ESSEN, label="Essen"),
        b=Side(type="municipality", id=KOELN, label="Köln „Süd“"),
        score=0.7,
        reason="Caritas ist Partner in Essen und Köln.",
        municipality_keys=(ESSEN, KOELN),
        versions=("a#1", "b#2"),
        subject="organisation:caritas",
        practice_id=None,
        terms=["Caritas"],
        group="organisation",
        details=[("Essen", [("id-1", "Beratung")]), ("Köln", [("id-2", "Café"), ("id-3", "X")])],
        revisions=("a@1",),
    )
    many = [replace(original, subject=str(n)) for n in range(store.BLOCK * 2 + 3)]
    encoded = store.encode(many)
    assert len(encoded.blocks) == 3
    assert store.decode("partner", encoded) == many


def test_consumers_run_after_those_they_read_from(app: Flask) -> None:
    # the order given (by lag) is kept, except that a consumer waits for those it reads from
    assert outbox.in_order(["synergies", "compare", "search", "similarity"]) == [
        "similarity",
        "compare",
        "synergies",
        "search",
    ]
    assert outbox.in_order(["synergies", "search"]) == ["synergies", "search"]


def test_the_consumer_waits_for_the_similar_pairs(people: dict[str, User]) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    outbox.reset("similarity", 0)  # the similar pairs are behind
    with pytest.raises(outbox.ConsumerBusy):
        store.apply_entries(outbox.pending("similarity"))


def test_a_large_installation_is_shown_the_stored_suggestions_until_cron(
    app: Flask, client: FlaskClient, people: dict[str, User], make_user: Any, large: None
) -> None:
    staff = make_user("staff")
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    before, stand = pairs(client, staff)
    assert before == [] and stand is not None
    slow(30.0)
    # a publication whose suggestions take longer than a worker may work after a response
    with as_after_a_response(1.0):
        publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    assert outbox.lag("synergies").pending > 0  # left for cron
    assert outbox.lag("similarity").pending == 0
    # the request neither computes nor waits: the stored list, with its "Stand"
    login(client, people["r05"])
    page = client.get("/synergien/?cycle=2025&kind=partner")
    assert page.status_code == 200 and STALE in page.text
    with as_after_a_response(1.0):
        assert pairs(client, staff) == ([], stand)  # nor after the response
    # cron
    result = app.test_cli_runner().invoke(args=["synergies", "sync", "--suggestions-only"])
    assert result.exit_code == 0, result.output
    assert "[1/3] 2025 · similar" in result.output
    after, newer = pairs(client, staff)
    assert after == [(ESSEN, KOELN)] and newer is not None and newer >= stand
    assert STALE not in client.get("/synergien/?cycle=2025&kind=partner").text
    assert outbox.lag("synergies").pending == 0


def test_a_stale_list_is_computed_after_the_response_that_found_it(
    client: FlaskClient, people: dict[str, User], large: None
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    slow(0.01)
    # a published peer review changes the state without an outbox entry
    practice = factories.practice("Lotsen", actors=[CARITAS_E])
    publish(people, AACHEN, practice)
    review = peer_review.open_review(people["r05"], practice["id"], [KOELN])
    peer_review.answer(people[KOELN], review.id, "Ja.", "Ja.", "Mit Kammer.")
    peer_review.publish_synthesis(people["r05"], review.id, "Wirksam und übertragbar.")
    login(client, people["r05"])
    first = client.get("/synergien/?cycle=2025")
    assert first.status_code == 200 and STALE in first.text
    second = client.get("/synergien/?cycle=2025")
    assert STALE not in second.text and "Stand:" in second.text


def test_without_any_stored_list_a_large_installation_is_told_to_wait(
    client: FlaskClient,
    people: dict[str, User],
    large: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store, "INLINE_REPORTS", 0)
    with as_after_a_response(-1.0):  # nothing may be computed after these responses
        publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
        publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    assert store.headers() == {}
    login(client, people["r05"])
    first = client.get("/synergien/?cycle=2025&kind=partner")
    assert first.status_code == 200 and MISSING in first.text
    assert "Caritasverband" not in first.text
    second = client.get("/synergien/?cycle=2025&kind=partner")  # computed after the first
    assert MISSING not in second.text and "Caritasverband" in second.text


def test_within_its_time_the_newest_cycle_comes_first_and_the_rest_waits(
    people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    with as_after_a_response(-1.0):  # left stale
        publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    slow(3.0)
    clock = [0.0]
    original = store.compute

    def three_seconds(*args: Any) -> Any:
        clock[0] += 3.0
        return original(*args)

    monkeypatch.setattr(store.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(store, "compute", three_seconds)
    assert store.refresh(budget=7.0) is None  # two fit, the third would pass the limit
    current = store.state_text(cache.signature(cycle()))
    fresh = sorted(h.kind for h in store.headers().values() if h.state == current)
    assert fresh == ["similar", "transfer"]
    assert store.refresh() == 1  # cron: the rest


def test_a_new_cycle_of_a_small_installation_is_computed_at_once(
    client: FlaskClient, people: dict[str, User]
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    factories.make_cycle("2026", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    login(client, people["r05"])
    page = client.get("/synergien/?cycle=2026")
    assert page.status_code == 200
    assert MISSING not in page.text and STALE not in page.text and "Stand:" in page.text


def test_a_list_is_read_from_its_blocks_and_the_one_before_stays_for_readers(
    people: dict[str, User],
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    header = store.headers()[(cycle().id, "partner")]
    reading = store.load(header)  # a request that loaded this list
    before = reading.suggestion(0)
    store.refresh(every=True)
    assert reading.suggestion(0) == before  # its blocks are still there
    store.refresh(every=True)  # two newer ones: the list it read is gone
    fresh = store.load(header)
    with pytest.raises(store.Replaced):
        fresh.suggestion(0)
    rows = db.session.scalars(select(SynergySnapshot.id).where(SynergySnapshot.kind == "partner"))
    assert len(list(rows)) == 2  # the newest and the one before


def test_a_region_is_found_through_its_land_as_by_reading_every_suggestion() -> None:
    keys = ["05113000", "05315000", "05334002", "06631001", "09162000", "01001000"]
    many = [
        Suggestion(
            kind="partner",
            a=Side(type="municipality", id=a, label=a),
            b=Side(type="municipality", id=b, label=b),
            score=1.0,
            reason="",
            municipality_keys=(a, b),
            versions=(),
            subject=str(n),
        )
        for n, (a, b) in enumerate((a, b) for a in keys for b in keys if a < b)
    ]
    stored = store.Stored("partner", store.encode(many).index, lambda n: None)
    for region in ("", "0", "05", "053", "05315", "05315000", "06", "09162", "07", "1"):
        expected = [n for n, s in enumerate(many) if in_region(s.municipality_keys, region)]
        assert list(stored.positions(region)) == expected, region


#: A Landkreis (its reporting key): "Ravensburg (Landkreis)", in English "Ravensburg (district)".
RAVENSBURG = "08436000"


def test_one_stored_list_serves_every_language(
    client: FlaskClient,
    people: dict[str, User],
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people[RAVENSBURG] = make_user("reporter", municipality=RAVENSBURG)
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    report, _ = reports.import_document(
        people[RAVENSBURG],
        factories.document(
            RAVENSBURG, practices=[factories.practice("Beratung Oberschwaben", actors=[CARITAS_K])]
        ),
    )
    reports.submit(people[RAVENSBURG], report)
    reports.accept(people["admin"], report)
    # one list per cycle and kind, computed once for every language
    assert sorted(kind for _cycle, kind in store.headers()) == ["partner", "similar", "transfer"]

    def never(*args: Any) -> Any:
        raise AssertionError("nothing is computed to show another language")

    monkeypatch.setattr(store, "compute", never)
    token = {"Authorization": f"Bearer {accounts.create_token(None, people['admin'])}"}
    url = "/api/v1/synergies?cycle=2025&kind=partner"
    german = client.get(url, headers=token).json["items"]
    english = client.get(url, headers={**token, "Accept-Language": "en"}).json["items"]
    assert [s["b"]["label"] for s in german] == ["Ravensburg (Landkreis)"]
    assert [s["b"]["label"] for s in english] == ["Ravensburg (district)"]
    assert german[0]["explanation"].startswith(
        "Caritasverband für das Bistum Essen e.V. ist Partner in Essen, Stadt (1 Maßnahme) und in "
        "Ravensburg (Landkreis) (1 Maßnahme)"
    )
    assert english[0]["explanation"].startswith(
        "Caritasverband für das Bistum Essen e.V. is a partner in Essen, Stadt (1 practice) and in "
        "Ravensburg (district) (1 practice)"
    )
    # the page too, its headings of the practices on each side included
    login(client, people["admin"])
    client.post("/sprache", data={"lang": "en", "next": "/"})
    page = client.get("/synergien/?cycle=2025&kind=partner&region=").text
    shown = page.split('class="omk-suggestion__details"')[1].split("</ul>")[0]
    assert "<li>Essen, Stadt: <a" in shown and "<li>Ravensburg (district): <a" in shown


def test_names_are_shown_in_the_readers_language_wherever_a_suggestion_names_them() -> None:
    names = {RAVENSBURG: ("Ravensburg (Landkreis)", "Ravensburg (district)")}
    original = Suggestion(
        kind="similar",
        a=Side(type="practice", id="p1", label="Sprachcafé (Essen, Stadt)"),
        b=Side(type="practice", id="p2", label="Lotsen (Ravensburg) (Ravensburg (Landkreis))"),
        score=1.0,
        reason=[],
        municipality_keys=(ESSEN, RAVENSBURG),
        versions=(),
        details=[("Essen, Stadt", [("p1", "Sprachcafé")]), ("Ravensburg (Landkreis)", [])],
    )
    shown = store.localised(original, names)
    assert shown.a == original.a
    assert shown.b["label"] == "Lotsen (Ravensburg) (Ravensburg (district))"
    assert [heading for heading, _items in shown.details] == [
        "Essen, Stadt",
        "Ravensburg (district)",
    ]
    # a name not in the suggestion's own municipalities is left alone
    assert store.localised(replace(original, municipality_keys=(ESSEN, KOELN)), names) == replace(
        original, municipality_keys=(ESSEN, KOELN)
    )


def test_a_suggestion_is_found_by_its_identity_even_when_hashes_collide(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def listed() -> list[Suggestion]:
        return [
            Suggestion(
                kind="partner",
                a=Side(type="municipality", id=ESSEN, label="Essen"),
                b=Side(type="municipality", id=key, label=key),
                score=1.0,
                reason="",
                municipality_keys=(ESSEN, key),
                versions=(),
                subject=f"organisation:{n}",
            )
            for n, key in enumerate((KOELN, AACHEN, "06632001") * 200)
        ]

    for colliding in (False, True):
        if colliding:  # every identity the same hash: the suggestion itself decides
            monkeypatch.setattr(store, "identity_hash", lambda identity: 7)
        many = listed()
        encoded = store.encode(many)
        read: list[int] = []

        def fetch(
            n: int, blocks: list[bytes] = encoded.blocks, read: list[int] = read
        ) -> bytes | None:
            read.append(n)
            return blocks[n] if n < len(blocks) else None

        kept = cache.Kept(("test",), store.Stored("partner", encoded.index, fetch))
        with app.test_request_context():
            germany, hesse = kept.of(""), kept.of("06")
            for n in (0, 1, 199, 200, 401, len(many) - 1):
                assert germany.find(many[n].identity) == n
                assert hesse.find(many[n].identity) == (n // 3 if n % 3 == 2 else None)
            assert germany.find(("partner", ESSEN, KOELN, "organisation:1")) is None
            if not colliding:  # a suggestion outside the region is never read to be found
                read.clear()
                assert hesse.find(many[0].identity) is None and read == []
