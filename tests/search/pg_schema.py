"""A throwaway schema with the PostgreSQL search tables, for the tests that run on
PostgreSQL only (``OMK_TEST_DATABASE_URL`` or ``OMK_DATABASE_URL``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from omk.search import bench, service
from omk.search.backend import Match
from omk.search.pg_backend import PostgresBackend
from omk.search.records import PracticeRecord


def url() -> str:
    """The PostgreSQL URL to test with ('' when there is none)."""
    found = os.environ.get("OMK_TEST_DATABASE_URL") or os.environ.get("OMK_DATABASE_URL") or ""
    return found if found.startswith("postgresql") else ""


def records(count: int) -> list[PracticeRecord]:
    """``count`` synthetic practices of the benchmark's corpus."""
    return [r for batch in bench.corpus(bench.vocabulary(), count) for r in batch]


def match(
    backend: PostgresBackend,
    q: bench.BenchQuery,
    offset: int = 0,
    limit: int = 10,
    version: str | None = None,
) -> Match:
    """A benchmark query through the backend, by relevance."""
    return backend.match(
        service.parse(q.text),
        filters=q.filters,
        version=version,
        sort="relevance",
        offset=offset,
        limit=limit,
    )


@contextmanager
def search_schema(schema: str) -> Iterator[Engine]:
    """An engine whose search path is a fresh ``schema`` with the search tables (dropped
    afterwards)."""
    from omk.extensions import Base
    from omk.models.search import SearchDocument, SearchGeneration, SearchWord

    admin = create_engine(url())
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    schema_engine = create_engine(url(), connect_args={"options": f"-csearch_path={schema}"})
    tables = [
        Base.metadata.tables[m.__tablename__]
        for m in (SearchDocument, SearchWord, SearchGeneration)
    ]
    Base.metadata.create_all(schema_engine, tables=tables)
    try:
        yield schema_engine
    finally:
        schema_engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
