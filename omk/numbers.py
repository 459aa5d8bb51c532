"""Numbers and months as Germans type and read them: ``1.234,5``, ``12 000``, ``05/2019``.

A core module: the report forms (screens) and the workbook service (files) both parse and
format values here, so neither reaches into the other. Messages are German message ids; the
caller translates them at the edge.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, get_group_symbol, get_minus_sign_symbol, parse_pattern

from omk.content import Indicator
from omk.messages import msg

_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_number(raw: str) -> float | None:
    """Parse a number as Germans type it: ``1.234,5``, ``1234,5``, ``1234.5``, ``12 000``.

    Returns None for an empty field; raises ValueError when it is not a number.
    """
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("€", "").replace("%", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise ValueError(raw)
    return float(text)


def indicator_value(raw: str, indicator: Indicator) -> tuple[float | int | None, str | None]:
    """The value of one indicator field and a German error message, if any."""
    try:
        value = parse_number(raw)
    except ValueError:
        return None, msg("Bitte eine Zahl eingeben, z. B. 1.234 oder 12,5.")
    if value is None:
        return None, None
    if indicator.type == "count" and not value.is_integer():
        return None, msg("Bitte eine ganze Zahl eingeben.")
    if value < indicator.min:
        return None, msg(
            "Der Wert darf nicht kleiner als %(min)s sein.", min=format_number(indicator.min)
        )
    if indicator.max is not None and value > indicator.max:
        return None, msg(
            "Der Wert darf nicht größer als %(max)s sein.", max=format_number(indicator.max)
        )
    return (int(value) if value.is_integer() else value), None


def format_number(value: Any) -> str:
    """A number for a form field or a cell, in German notation (no thousands separators)."""
    if value is None or value == "":
        return ""
    f = float(value)
    if f.is_integer():
        return str(int(f))
    return repr(f).replace(".", ",")


@functools.lru_cache(maxsize=32)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


@functools.lru_cache(maxsize=16)
def _symbols(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_minus_sign_symbol(locale)


def format_decimal(value: Any, pattern: str = "#,##0", locale: Locale | str | None = None) -> str:
    """``value`` as Babel's ``format_decimal`` writes it in ``locale`` (default: the request's),
    with the parsed pattern cached: Babel parses it anew on every call, which a 50-row table
    pays 50 times. Whole numbers with the plain pattern skip Babel altogether."""
    if locale is None:
        from flask_babel import get_locale

        locale = get_locale() or "de"
    if pattern == "#,##0" and type(value) is int:
        group, minus = _symbols(str(locale))
        text = f"{abs(value):,}".replace(",", group)
        return minus + text if value < 0 else text
    return str(_pattern(pattern).apply(value, locale))


def value_digits(value: float) -> int:
    """The decimals a single figure is shown with: none when it is whole (a count), else two
    below 10 and one from 10 on."""
    if float(value).is_integer():
        return 0
    return 2 if abs(value) < 10 else 1


def column_digits(values: Iterable[float | None]) -> int:
    """One number of decimals for a whole column, so its figures line up: none when every
    value is whole (counts), else two when every value is below 10, else one."""
    present = [float(v) for v in values if v is not None]
    if all(v.is_integer() for v in present):
        return 0
    return 2 if all(abs(v) < 10 for v in present) else 1


def format_change(
    value: float, digits: int = 1, locale: Locale | str | None = None, *, plus: bool = True
) -> str:
    """A change with its sign as German typesetting wants it: ``+8,3``, ``−0,63`` (a real
    minus, U+2212), and ``0`` without a sign when the figure rounds to nothing. Without
    ``plus`` a positive figure has no sign (a plain value with a real minus)."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    text = format_decimal(abs(value), pattern, locale)
    if round(abs(value), digits) == 0:
        return text
    if value > 0:
        return "+" + text if plus else text
    return "\u2212" + text


def month(raw: str) -> tuple[str | None, str | None]:
    """``JJJJ`` or ``JJJJ-MM`` (also ``MM/JJJJ`` and ``MM.JJJJ``); returns value and error."""
    text = raw.strip()
    if not text:
        return None, None
    m = re.fullmatch(r"(\d{1,2})[./](\d{4})", text)
    if m:
        text = f"{m.group(2)}-{int(m.group(1)):02d}"
    if re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text):
        return text, None
    return None, msg("Bitte als JJJJ oder MM/JJJJ angeben, z. B. 05/2019.")


def _grouped(digits: str) -> str:
    """``5400000`` → ``5.400.000``."""
    head = len(digits) % 3 or 3
    return ".".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


def format_field(value: Any, money: bool = False) -> str:
    """A saved number shown again in a form field, as Germans write it: thousands separated,
    decimals kept (``5.400.000,5``; money with two decimals when it has any: ``5.400.000,50``).
    :func:`parse_number` reads every result back to the same value."""
    if value is None or value == "":
        return ""
    number = Decimal(repr(float(value)))
    if money and number != number.to_integral_value():
        number = number.quantize(Decimal("0.01"))
    sign = "-" if number < 0 else ""
    whole, _, fraction = format(abs(number), "f").partition(".")
    fraction = fraction.rstrip("0") if not money else fraction
    return sign + _grouped(whole) + ("," + fraction if fraction.strip("0") else "")


def understood(raw: str) -> str | None:
    """How a typed number whose dot could be a decimal point or a thousands separator was
    read, written unambiguously (``12.5`` → ``12,5``; ``1.234`` → ``1234``); None when
    nothing was ambiguous (no dot, or a comma decides) or the text is no number."""
    text = raw.strip()
    if "." not in text or "," in text:
        return None
    try:
        value = parse_number(text)
    except ValueError:
        return None
    return None if value is None else format_number(value)


def month_field(value: str | None) -> str:
    """A saved month (``2019-05``) shown again in a form field as ``05/2019``, which
    :func:`month` reads back; a year stays a year."""
    if not value:
        return ""
    m = re.fullmatch(r"(\d{4})-(\d{2})", value)
    return f"{m.group(2)}/{m.group(1)}" if m else value
