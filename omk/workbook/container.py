"""The upload as a zip container: every part unpacked in chunks and counted against the
limits before openpyxl parses anything, then loaded into grids of cell values.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import Any

from babel.numbers import format_decimal
from flask_babel import LazyString, get_locale, lazy_gettext

from omk.messages import msg
from omk.workbook.cells import BLANK, CellValue
from omk.workbook.layout import (
    MAX_PART_BYTES,
    MAX_PART_ELEMENTS,
    MAX_SHARED_STRINGS,
    MAX_SHEET_CELLS,
    MAX_SHEET_ROWS,
    MAX_STYLES,
    MAX_TEXT_BYTES,
    MAX_TEXT_CHARS,
    MAX_TOTAL_ELEMENTS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    log,
)

# --- reading: the workbook ---------------------------------------------------------------------

Grid = list[list[CellValue]]


class UnreadableWorkbook(Exception):
    """The file is not an .xlsx workbook openpyxl can read safely; the message says why.

    The message is a German text, or a lazy translation with its parameters (a limit): ``str()``
    gives it in the language of the request."""

    @property
    def message(self) -> str:
        """The message: a Message stays one (translated when shown), a lazy one is resolved."""
        message = self.args[0] if self.args else ""
        return message if isinstance(message, str) else str(message)


class WorkbookTooLarge(UnreadableWorkbook):
    """A part of the workbook passes one of the limits (``limit`` names it: "styles", …)."""

    def __init__(self, limit: str, message: Any) -> None:
        super().__init__(message)
        self.limit = limit


def _grouped(number: int) -> str:
    """A count with the grouping of the request's language ("5.000" in German)."""
    return format_decimal(number, locale=get_locale() or "de")


def _mb(size: int) -> str:
    return _grouped(size // (1024 * 1024))


def _too_large(limit: str, part: str = "") -> WorkbookTooLarge:
    """The refusal for a passed limit, with a message naming it (translated when shown)."""
    n = {
        "entries": MAX_ZIP_ENTRIES,
        "total_bytes": MAX_UNCOMPRESSED_BYTES,
        "part_bytes": MAX_PART_BYTES,
        "part_elements": MAX_PART_ELEMENTS,
        "total_elements": MAX_TOTAL_ELEMENTS,
        "cells": MAX_SHEET_CELLS,
        "rows": MAX_SHEET_ROWS,
        "styles": MAX_STYLES,
        "strings": MAX_SHARED_STRINGS,
        "text": MAX_TEXT_CHARS,
    }[limit]
    count = LazyString(_grouped, n)
    size = LazyString(_mb, n)
    messages = {
        "entries": lazy_gettext(
            "Die Arbeitsmappe besteht aus zu vielen Teilen (mehr als %(limit)s Dateien im "
            ".xlsx-Archiv).",
            limit=count,
        ),
        "total_bytes": lazy_gettext(
            "Die Arbeitsmappe ist zu groß (entpackt mehr als %(limit)s MB).", limit=size
        ),
        "part_bytes": lazy_gettext(
            "Die Arbeitsmappe ist zu groß: Der Teil %(part)s ist entpackt größer als %(limit)s MB.",
            part=part,
            limit=size,
        ),
        "part_elements": lazy_gettext(
            "Die Arbeitsmappe ist zu umfangreich: Der Teil %(part)s enthält mehr als "
            "%(limit)s XML-Elemente.",
            part=part,
            limit=count,
        ),
        "total_elements": lazy_gettext(
            "Die Arbeitsmappe ist zu umfangreich (mehr als %(limit)s XML-Elemente).", limit=count
        ),
        "cells": lazy_gettext(
            "Ein Tabellenblatt der Arbeitsmappe hat zu viele ausgefüllte oder formatierte Zellen "
            "(mehr als %(limit)s, im Teil %(part)s).",
            part=part,
            limit=count,
        ),
        "rows": lazy_gettext(
            "Ein Tabellenblatt der Arbeitsmappe hat zu viele Zeilen (mehr als %(limit)s, im Teil "
            "%(part)s).",
            part=part,
            limit=count,
        ),
        "styles": lazy_gettext(
            "Die Arbeitsmappe enthält zu viele Formatvorlagen (mehr als %(limit)s). Bitte "
            "übertragen Sie die Angaben in eine neu heruntergeladene Vorlage.",
            limit=count,
        ),
        "strings": lazy_gettext(
            "Die Arbeitsmappe enthält zu viele verschiedene Texte (mehr als %(limit)s).",
            limit=count,
        ),
        "text": lazy_gettext(
            "Die Arbeitsmappe enthält einen zu langen Text (mehr als %(limit)s Zeichen in einer "
            "Zelle, im Teil %(part)s).",
            part=part,
            limit=count,
        ),
    }
    return WorkbookTooLarge(limit, messages[limit])


def _damaged() -> UnreadableWorkbook:
    return UnreadableWorkbook(msg("Die Datei ist beschädigt (kein gültiges .xlsx)."))


#: Start tags counted by name, with any namespace prefix (XML names may be non-ASCII): which
#: limit each counts against.
_COUNTED = re.compile(
    rb"<(?:[^\s<>/:=!?]{1,100}:)?(xf|font|fill|border|numFmt|dxf|cellStyle|si|row|c)[\s/>]"
)
_COUNTED_LIMIT = {
    b"xf": "styles",
    b"font": "styles",
    b"fill": "styles",
    b"border": "styles",
    b"numFmt": "styles",
    b"dxf": "styles",
    b"cellStyle": "styles",
    b"si": "strings",
    b"row": "rows",
    b"c": "cells",
}
_LIMIT_OF = {
    "styles": MAX_STYLES,
    "strings": MAX_SHARED_STRINGS,
    "rows": MAX_SHEET_ROWS,
    "cells": MAX_SHEET_CELLS,
}
_CHUNK = 64 * 1024  # less than MAX_TEXT_BYTES (see _PartScan.feed)
_UTF8_BOM = b"\xef\xbb\xbf"


class _PartScan:
    """Counts one zip entry while it is unpacked chunk by chunk: bytes, and for XML, start tags
    (all, and the counted ones), and the longest stretch without ``<`` (a text or a tag).
    Raises :class:`WorkbookTooLarge` as soon as a limit is passed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 0
        self.elements = 0
        self.is_xml: bool | None = None  # decided by the first bytes
        self.tail = b""  # from the last "<" of the data so far (a tag cut by the chunk)
        self.run = 0  # bytes since the last "<"
        self.counts = dict.fromkeys(_LIMIT_OF, 0)

    def feed(self, chunk: bytes) -> int:
        """Count a chunk; the new start tags it holds (for the archive's total)."""
        self.size += len(chunk)
        if self.size > MAX_PART_BYTES:
            raise _too_large("part_bytes", self.name)
        if self.is_xml is None:  # decided by the first bytes other than white space
            first = self.size == len(chunk)
            if first and (
                chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
                or (b"\x00" in chunk[:4] and b"<" in chunk[:4])
            ):
                # XML in UTF-16 or UTF-32, which no office program writes for a workbook: its
                # tags would escape the byte-level count
                raise _damaged()
            chunk = (chunk.removeprefix(_UTF8_BOM) if first else chunk).lstrip(b" \t\r\n")
            if not chunk:
                return 0
            self.is_xml = chunk.startswith(b"<")
        if not self.is_xml:
            return 0
        if b"\x00" in chunk:  # no XML 1.0 document holds NUL; UTF-16/32 would hide the tags
            raise _damaged()
        starts = chunk.count(b"<")
        new = starts - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")
        self.elements += new
        if self.elements > MAX_PART_ELEMENTS:
            raise _too_large("part_elements", self.name)
        # a chunk is shorter than the longest text allowed: only a stretch that runs on from
        # earlier chunks can pass it
        opening = chunk.find(b"<")
        if opening == -1:
            self.run += len(chunk)
        else:
            if self.run + opening > MAX_TEXT_BYTES:
                raise _too_large("text", self.name)
            self.run = len(chunk) - chunk.rfind(b"<") - 1
        if self.run > MAX_TEXT_BYTES:
            raise _too_large("text", self.name)
        if starts:
            buffer = self.tail + chunk
            last = buffer.rfind(b"<")
            for tag in _COUNTED.findall(buffer, 0, last):
                self.counts[_COUNTED_LIMIT[tag]] += 1
            self.tail = buffer[last : last + 48]
            for limit, count in self.counts.items():
                if count > _LIMIT_OF[limit]:
                    raise _too_large(limit, self.name)
        elif len(self.tail) < 48:
            self.tail = (self.tail + chunk)[:48]
        return new

    def close(self) -> None:
        """Count the tag the last chunk ended with."""
        if self.is_xml and self.tail:
            for tag in _COUNTED.findall(self.tail + b" "):
                self.counts[_COUNTED_LIMIT[tag]] += 1
            for limit, count in self.counts.items():
                if count > _LIMIT_OF[limit]:
                    raise _too_large(limit, self.name)


def _odd_entry(info: zipfile.ZipInfo) -> bool:
    """An entry no workbook has: encrypted, compressed other than deflate, an absolute or
    climbing path, or a name too long."""
    name = info.filename
    return bool(
        info.flag_bits & 0x1
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or name.startswith(("/", "\\"))
        or ".." in name.replace("\\", "/").split("/")
        or len(name) > 255
        or (name.endswith("/") and info.file_size > 0)
    )


def check_container(data: bytes) -> None:
    """Refuse a file that is no workbook, or whose unpacked parts pass a limit.

    Reads every entry of the zip archive in chunks, counting as it goes, and stops at the first
    limit passed: the time and memory it takes are bounded by the limits, not by the file. Raises
    :class:`UnreadableWorkbook` (:class:`WorkbookTooLarge` for a passed limit)."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE: .xls, or encrypted
        raise UnreadableWorkbook(
            msg(
                "Die Datei ist eine ältere Excel-Datei (.xls) oder mit einem Kennwort geschützt. "
                "Bitte ohne Kennwort als „Excel-Arbeitsmappe (.xlsx)“ speichern."
            )
        )
    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableWorkbook(
            msg(
                "Die Datei ist keine Excel-Arbeitsmappe (.xlsx). Ältere .xls-Dateien und "
                ".ods-Dateien bitte als „Excel-Arbeitsmappe (.xlsx)“ speichern."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _too_large("entries")
            names = [e.filename for e in entries]
            if len(set(names)) != len(names) or any(_odd_entry(e) for e in entries):
                raise _damaged()
            if any(e.file_size > MAX_PART_BYTES for e in entries):  # as declared; counted below
                big = next(e for e in entries if e.file_size > MAX_PART_BYTES)
                if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
                    raise _too_large("total_bytes")
                raise _too_large("part_bytes", big.filename)
            if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
                raise _too_large("total_bytes")
            total = elements = 0
            for entry in entries:
                if entry.is_dir():
                    continue
                scan = _PartScan(entry.filename)
                with archive.open(entry) as stream:
                    while chunk := stream.read(_CHUNK):
                        total += len(chunk)
                        if total > MAX_UNCOMPRESSED_BYTES:
                            raise _too_large("total_bytes")
                        elements += scan.feed(chunk)
                        if elements > MAX_TOTAL_ELEMENTS:
                            raise _too_large("total_elements")
                scan.close()
    except UnreadableWorkbook:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, RuntimeError) as exc:
        # RuntimeError: encrypted entry; NotImplementedError (a RuntimeError): compression
        log.info("damaged workbook: %s: %s", type(exc).__name__, exc)
        raise _damaged() from exc


def _cell(grid: Grid, row: int, column: int) -> CellValue:
    """The cell at 1-based row and column (BLANK beyond the data)."""
    if row - 1 < len(grid):
        cells = grid[row - 1]
        if column - 1 < len(cells):
            return cells[column - 1]
    return BLANK
