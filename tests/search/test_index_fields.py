"""An index made before a facet was added gets the facet's field, keeping its documents."""

from __future__ import annotations

from pathlib import Path

from whoosh import index

from omk.search import whoosh_index


def test_ensure_adds_a_missing_facet_field(tmp_path: Path) -> None:
    root = tmp_path / "search-index"
    generation = whoosh_index.create_generation(root)
    whoosh_index.make_current(root, generation)
    ix = index.open_dir(str(generation))
    writer = ix.writer()
    writer.remove_field("f_validated")  # as an index of the schema before the facet
    writer.commit()
    writer = ix.writer()
    writer.add_document(key="p@2025", practice_id="p", version="2025", title="Sprachcafé")
    writer.commit()
    ix.close()
    whoosh_index.ensure(root)
    ix = index.open_dir(str(generation))
    try:
        assert "f_validated" in ix.schema and ix.doc_count() == 1
    finally:
        ix.close()
