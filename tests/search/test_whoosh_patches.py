"""The speed patches to Whoosh's writer give the postings Whoosh's own code gives."""

from __future__ import annotations

from whoosh.fields import FieldType

from omk.search import bench
from omk.search.whoosh_index import schema


def test_german_fields_index_as_whoosh_does() -> None:
    fields = schema()
    original = FieldType.index.original  # type: ignore[attr-defined]
    records = next(bench.corpus(bench.vocabulary(), 30))
    texts = [
        "Kita-Kita und Sprachförderung: 2.500 Plätze für Geflüchtete (www.example.org)",
        "Willkommenslotsen, Integrationskurse und -beratung",
        "",
    ]
    texts += [r.description for r in records] + [r.title for r in records]
    for name in ("title", "summary", "body", "actors"):
        field = fields[name]
        for text in texts:
            assert field.index(text) == list(original(field, text))
