"""Fixtures of the search tests."""

from __future__ import annotations

import pytest

from omk.search.whoosh_pool import GroupingPool


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
