"""Turn report-form input into exchange-document values.

The report forms are generated from the template, so they are parsed by hand rather than by
WTForms classes. Numbers and months are parsed by :mod:`omk.numbers` (shared with the
workbook); what is only about forms lives here.
"""

from __future__ import annotations


def lines(raw: str) -> list[str]:
    """Non-empty, stripped lines of a textarea."""
    return [line.strip() for line in raw.splitlines() if line.strip()]
