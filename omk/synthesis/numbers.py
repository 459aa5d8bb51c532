"""Numbers as the report prints them (the current locale: 1.234,5 in German)."""

from __future__ import annotations

from flask_babel import format_decimal


def decimal(value: float | int | None, digits: int = 1) -> str:
    """A number for a sentence or a cell: ``digits`` decimals at most, grouped; "–" if None."""
    if value is None:
        return "–"
    if isinstance(value, int) or float(value).is_integer():
        return str(format_decimal(int(value), format="#,##0"))
    pattern = "#,##0." + "#" * digits
    if abs(value) < 1:
        pattern = "#,##0." + "#" * max(digits, 2)
    return str(format_decimal(float(value), format=pattern))
