"""``omk synthesis``: build a synthesis report and write it in one format, with progress."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask_babel import force_locale

from omk.synthesis import render
from omk.synthesis.build import build

#: The steps the command shows (chapters, then the layout).
STEPS = 7


def write(
    cycle_code: str, region: str, fmt: str, output: Path, *, names: bool, lang: str = "de"
) -> float:
    """Build the report and write it to ``output`` as ``fmt``; returns the seconds taken."""
    started = time.perf_counter()
    render.quiet_weasyprint()
    with (
        force_locale(lang),
        click.progressbar(length=STEPS, label="Synthesebericht", file=sys.stderr) as bar,
    ):

        def progress(step: str) -> None:
            bar.label = f"Synthesebericht: {step:<32}"
            bar.update(1)

        doc = build(cycle_code, region, names=names, progress=progress)
        progress("Ausgabe")
        if fmt == "pdf":
            data = render.to_pdf(doc)
        elif fmt == "html":
            data = render.to_html(doc).encode("utf-8")
        elif fmt == "md":
            data = render.to_markdown(doc).encode("utf-8")
        else:
            data = render.to_csv_zip(doc)
        bar.update(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return time.perf_counter() - started
