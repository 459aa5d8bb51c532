"""Measure the largest workbook OMK makes: ``python -m tests.benchmarks.largest_workbook``.

The limits of an uploaded workbook (``omk/workbook/layout.py``, MAX_*) are sized from these
numbers. The report is the largest the template allows: 300 practices (the schema's maxItems),
each with 50 actors, every text at its maximum length (ordinary German text with ``&`` and
``<`` in it), 30 links of 2,000 characters, and every indicator linked to 100 practices. For
each part of the workbook it prints the unpacked bytes, the XML elements (start tags), the
counted tags (style entries, shared strings, rows, cells) and the longest stretch without
``<``; then how long :func:`check_container` and :func:`read_workbook` take.

Options: ``--practices N --actors N`` for other sizes. Not a pytest test: timings on a shared
machine are not assertions.
"""

from __future__ import annotations

import argparse
import io
import re
import time
import zipfile
from typing import Any

from omk import exchange, workbook
from omk.content import load_content
from tests import factories

ESSEN = "05113000"
TEXT = (
    "Die Volkshochschule & das Jugendamt bieten wöchentlich Sprachkurse für Geflüchtete an; "
    "Ergebnisse: 40 Teilnehmende, <Mehrwert> siehe **Bericht**. "
)
TAGS = {
    "styles": rb"<(?:\w+:)?(?:xf|font|fill|border|numFmt|dxf|cellStyle)[\s/>]",
    "si": rb"<(?:\w+:)?si[\s/>]",
    "rows": rb"<(?:\w+:)?row[\s/>]",
    "cells": rb"<(?:\w+:)?c[\s/>]",
}


def largest_document(practices: int, actors: int, template: Any) -> dict[str, Any]:
    """The report with every count and length at the template's maximum."""
    text = (TEXT * 1000)[:20000]
    short = (TEXT * 10)[:290]
    items = [
        factories.practice(
            f"{i} {short}",
            summary=(TEXT * 10)[:600],
            description=text,
            outcomes=text,
            transferability=text,
            site=short,
            funding=short,
            actors=[
                {"name": f"{j} {short}", "type": "verwaltung", "lead": j == 0}
                for j in range(actors)
            ],
            sources=[f"https://example.org/{j}/" + "x" * 1900 for j in range(30)],
        )
        for i in range(practices)
    ]
    doc = factories.document(ESSEN, practices=items)
    doc["indicator_practices"] = {
        code: [p["id"] for p in items[:100]] for code in factories.FULL_INDICATORS
    }
    return exchange.canonical(doc, template)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=300)
    parser.add_argument("--actors", type=int, default=50)
    args = parser.parse_args()
    content = load_content()
    template = content.template("1")
    doc = largest_document(args.practices, args.actors, template)
    info = workbook.WorkbookInfo(
        cycle="2025",
        municipality=ESSEN,
        template_version="1",
        base=workbook.content_hash(doc),
        municipality_name="Essen, Stadt",
        cycle_title="Berichtsrunde 2025",
    )
    start = time.perf_counter()
    data = workbook.build_workbook(doc, content, template, info)
    print(f"built in {time.perf_counter() - start:.1f} s: {len(data):,} bytes zipped")
    archive = zipfile.ZipFile(io.BytesIO(data))
    total = elements = 0
    print(
        f"{'part':40} {'bytes':>11} {'elements':>9} {'styles':>6} {'si':>6} {'rows':>6} "
        f"{'cells':>7} {'longest':>8}"
    )
    for entry in archive.infolist():
        body = archive.read(entry.filename)
        starts = body.count(b"<") - body.count(b"</") - body.count(b"<?") - body.count(b"<!")
        counts = [len(re.findall(pattern, body)) for pattern in TAGS.values()]
        longest = max(len(piece) for piece in body.split(b"<"))
        total, elements = total + len(body), elements + starts
        print(
            f"{entry.filename:40} {len(body):>11,} {starts:>9,} {counts[0]:>6,} "
            f"{counts[1]:>6,} {counts[2]:>6,} {counts[3]:>7,} {longest:>8,}"
        )
    print(f"{len(archive.infolist())} entries, {total:,} bytes unpacked, {elements:,} elements")
    start = time.perf_counter()
    try:
        workbook.check_container(data)
        print(f"check_container: passed in {time.perf_counter() - start:.2f} s")
    except workbook.UnreadableWorkbook as exc:
        print(f"check_container: refused in {time.perf_counter() - start:.2f} s: {exc}")
        return
    start = time.perf_counter()
    result = workbook.read_workbook(
        data, content, template, cycle="2025", municipality=ESSEN, current=doc
    )
    print(f"read_workbook: {time.perf_counter() - start:.1f} s, {len(result.problems)} problems")


if __name__ == "__main__":
    main()
