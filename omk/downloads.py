"""Downloads: the one place that names a file for the browser (``Content-Disposition``).

Every download (workbooks, PDFs, any later CSV) goes through :func:`attachment`, which sends the
name per RFC 6266 and RFC 5987: an ASCII fallback ``filename="…"`` that every client reads, and
``filename*=UTF-8''…`` with the full name for those that can. Any name is safe here, whatever
the cycle code or municipality name it was made from: a header never carries a character it
cannot hold (a code like "R日本" once turned every download of its workbooks into a 500)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\]+")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return _UNSAFE.sub("_", folded.encode("ascii", "ignore").decode("ascii")).strip("._-")


def ascii_filename(name: str) -> str:
    """The name in letters, digits and ``. _ -`` only ("Bericht_Köln.pdf" → "Bericht_Koeln.pdf";
    characters without an ASCII form are dropped, runs of others become "_"; "download" when
    nothing is left before the extension)."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", extension):
        stem, extension = name, ""
    stem = _ascii(stem) or "download"
    return f"{stem}.{extension}" if extension else stem


def content_disposition(name: str) -> str:
    """The header value for a download named ``name`` (any characters)."""
    name = _CONTROL.sub("_", name).strip() or "download"
    fallback, full = ascii_filename(name), quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{full}"


def attachment(
    data: bytes, filename: str, mimetype: str, *, cache_control: str | None = None
) -> Response:
    """A response that the browser saves as a file named ``filename``."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    if cache_control:
        response.headers["Cache-Control"] = cache_control
    return response


# --- CSV for German spreadsheets ----------------------------------------------------------------

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CsvCell = str | int | float | None


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will not run: text starting with ``= + - @``, tab or CR gets
    a leading apostrophe (OWASP's advice); numbers are never touched (see :func:`csv_bytes`)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def csv_number(value: float) -> str:
    """A number as German Excel reads it: decimal comma, no thousands separator."""
    if isinstance(value, bool):
        raise TypeError("a truth value is no number")
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value)).replace(".", ",")


def csv_bytes(header: list[str], rows: list[list[CsvCell]]) -> bytes:
    """A CSV file German Excel opens as it is: UTF-8 with BOM, ``;`` between cells, CRLF
    line ends, numbers with a decimal comma, formula injection neutralised in text cells
    only (a negative number stays a number)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow(
            [
                ""
                if cell is None
                else csv_text(cell)
                if isinstance(cell, str)
                else csv_number(cell)
                for cell in row
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
