"""Fixtures of the search tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from omk.search.whoosh_pool import GroupingPool
from tests.search import pg_schema


@pytest.fixture
def spilled_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the runs grouping pools of this process write to disk."""
    runs: list[str] = []
    add_run = GroupingPool._add_run

    def counted(pool: GroupingPool, path: str) -> None:
        runs.append(path)
        add_run(pool, path)

    monkeypatch.setattr(GroupingPool, "_add_run", counted)
    return runs


@pytest.fixture(scope="module")
def pg_search(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A throwaway PostgreSQL schema with the search tables, one per test module."""
    name = str(request.module.__name__).rsplit(".", 1)[-1].removeprefix("test_")
    with pg_schema.search_schema(f"omk_test_{name}_{os.getpid()}") as found:
        yield found
