"""The speed patches to Whoosh's writer give the postings and segment files Whoosh's own
code gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.fields import FieldType
from whoosh.filedb.filestore import FileStorage

from omk.search import bench
from omk.search.whoosh_index import _document, create_generation, schema
from omk.search.whoosh_pool import GroupingPool


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


def _segment_files(folder: Path, records: list[Any], **options: Any) -> dict[str, bytes]:
    """The files of a one-segment index of ``records`` by extension (names differ)."""
    generation = create_generation(folder)
    ix = index.open_dir(str(generation))
    writer = ix.writer(compound=False, **options)
    for record in records:
        writer.add_document(**_document(record))
    writer.commit(optimize=True)
    ix.close()
    return {  # MAIN_<segment id>.pst → .pst, …_body_len.col → _body_len.col
        path.name.split(".", 1)[1]: path.read_bytes()
        for path in generation.iterdir()
        if path.name.startswith("MAIN_") and "." in path.name
    }


def test_grouping_pool_writes_whoosh_segment_byte_for_byte(tmp_path: Path) -> None:
    records = [r for batch in bench.corpus(bench.vocabulary(), 400) for r in batch]
    own = _segment_files(tmp_path / "own", records)
    grouped = _segment_files(tmp_path / "grouped", records, poolclass=GroupingPool)
    assert {"pst", "trm", "_stored.col", "_body_len.col"} <= own.keys()
    assert own.keys() == grouped.keys()
    for suffix, data in own.items():
        assert grouped[suffix] == data, suffix
    # posting lists longer than a block (128) are among them
    assert len(own["pst"]) > 100_000


def test_grouping_pool_over_its_budget_spills_runs_as_whoosh_does(
    tmp_path: Path, spilled_runs: list[str]
) -> None:
    """Over ``limitmb`` both pools spill sorted runs and write the same files (not byte for
    byte an unspilled segment's, Whoosh's own neither; the same postings: test_bulk_load)."""
    records = [r for batch in bench.corpus(bench.vocabulary(), 120) for r in batch]
    own = _segment_files(tmp_path / "own", records, limitmb=0.1)
    spilled = _segment_files(tmp_path / "spilled", records, poolclass=GroupingPool, limitmb=0.1)
    assert len(spilled_runs) >= 5  # about 100 KB a run
    assert own.keys() == spilled.keys()
    for suffix, data in own.items():
        assert spilled[suffix] == data, suffix


def test_grouping_pool_sorts_postings_added_out_of_order() -> None:
    pool = GroupingPool(None, None)
    pool.add(("b", b"x", 3, 1.0, b""))
    pool.add(("a", b"y", 5, 2.0, b"v"))
    pool.add(("b", b"x", 1, 1.5, b""))
    assert list(pool.iter_postings()) == [
        ("a", b"y", 5, 2.0, b"v"),
        ("b", b"x", 1, 1.5, b""),
        ("b", b"x", 3, 1.0, b""),
    ]


def test_grouping_pool_merges_runs_of_postings_added_out_of_order(tmp_path: Path) -> None:
    pool = GroupingPool(
        FileStorage(str(tmp_path)), None, limitmb=0.0005
    )  # a run every ~16 postings
    items = [
        (field, f"t{n % 7}".encode(), (n * 37) % 101, float(n % 3), bytes([n % 5]))
        for n in range(200)
        for field in ("a", "b")
    ]
    for item in items:
        pool.add(item)
    assert len(pool.runs) > 10
    assert list(pool.iter_postings()) == sorted(items)
