"""Resource limits of the workbook reader: every hostile input is built here, in the test, and
refused with a message naming the limit, within one second and 50 MB of extra memory, before
openpyxl parses anything; random damage to a valid workbook never gives anything but a clean
refusal or a document."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable

import pytest
from flask import Flask
from flask_babel import refresh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omk import exchange, workbook
from omk.content import Content, ReportTemplate
from omk.errors import OmkError, ValidationFailed
from omk.models import User
from omk.services import report_files, reports
from omk.services.reports import assign_ids
from tests import factories
from tests import workbook_fixtures as fx

SECONDS = 1.0
EXTRA_MEMORY = 50 * 1024 * 1024
STYLES = "xl/styles.xml"
PRACTICES = "xl/worksheets/sheet3.xml"  # the practice sheet of a workbook OMK builds


@pytest.fixture(scope="module")
def content() -> Content:
    return fx.content()


@pytest.fixture(scope="module")
def template(content: Content) -> ReportTemplate:
    return content.template("1")


@pytest.fixture(scope="module")
def valid() -> bytes:
    return fx.base_workbook()


def read(data: bytes, content: Content, template: ReportTemplate) -> workbook.ReadResult:
    return workbook.read_workbook(
        data,
        content,
        template,
        cycle="2025",
        municipality=fx.ESSEN,
        current=fx.base_document(),
        assign_ids=assign_ids,
    )


def repeated(head: bytes, unit: bytes, count: int, tail: bytes) -> Iterable[bytes]:
    """``head + unit * count + tail`` in chunks, never whole in memory."""
    yield head
    block = unit * max(1, (1024 * 1024) // len(unit))
    per_block = (1024 * 1024) // len(unit) or 1
    left = count
    while left > 0:
        n = min(left, per_block)
        yield block if n == per_block else unit * n
        left -= n
    yield tail


def with_parts(
    data: bytes,
    replace: dict[str, Iterable[bytes] | bytes] | None = None,
    add: dict[str, Iterable[bytes] | bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """The workbook with some parts replaced or added (bodies streamed into the archive)."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression, compresslevel=9) as target:
        for item in source.infolist():
            body = replace.get(item.filename, source.read(item.filename))
            write(target, item.filename, body)
        for name, body in add.items():
            write(target, name, body)
    return out.getvalue()


def write(target: zipfile.ZipFile, name: str, body: Iterable[bytes] | bytes) -> None:
    with target.open(name, "w", force_zip64=True) as stream:
        for chunk in [body] if isinstance(body, bytes) else body:
            stream.write(chunk)


def refused_quickly(
    data: bytes, content: Content, template: ReportTemplate
) -> workbook.UnreadableWorkbook:
    """The refusal, asserting time (a plain run) and memory (a run under tracemalloc, which
    slows allocations down); returned for its message."""
    start = time.perf_counter()
    with pytest.raises(workbook.UnreadableWorkbook) as caught:
        read(data, content, template)
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, f"refused after {elapsed:.2f} s"
    tracemalloc.start()
    try:
        with pytest.raises(workbook.UnreadableWorkbook):
            read(data, content, template)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < EXTRA_MEMORY, f"peak {peak / 1e6:.0f} MB"
    return caught.value


def stylesheet(count: int, tag: bytes = b"<xf/>") -> Iterable[bytes]:
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<cellXfs count="1">'
    )
    return repeated(head, tag, count, b"</cellXfs></styleSheet>")


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


# --- one test per limit ------------------------------------------------------------------------


def test_60_mb_of_styles_in_a_small_upload_are_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bomb = with_parts(valid, {STYLES: stylesheet(12_000_000)})  # 60 MB of <xf/>
    assert len(bomb) < 300_000
    exc = refused_quickly(bomb, content, template)
    assert str(exc) == "Die Arbeitsmappe ist zu groß (entpackt mehr als 48 MB)."


def test_too_many_styles_are_refused_while_unpacking(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bomb = with_parts(valid, {STYLES: stylesheet(4_000_000)})  # 20 MB: below the byte limits
    exc = refused_quickly(bomb, content, template)
    assert isinstance(exc, workbook.WorkbookTooLarge) and exc.limit == "styles"
    assert str(exc).startswith("Die Arbeitsmappe enthält zu viele Formatvorlagen (mehr als 5.000)")


@pytest.mark.parametrize(
    "tag",
    [b"<x:xf/>", "<é:xf\t/>".encode(), b"<font/>", b"<numFmt numFmtId='1'/>", b"<dxf></dxf>"],
)
def test_every_kind_of_style_entry_counts_with_or_without_a_prefix(
    valid: bytes, content: Content, template: ReportTemplate, tag: bytes
) -> None:
    exc = refused_quickly(with_parts(valid, {STYLES: stylesheet(100_000, tag)}), content, template)
    assert "zu viele Formatvorlagen" in str(exc)


def test_millions_of_shared_strings_are_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    strings = repeated(
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main">',
        b"<si><t>Sprachcafe</t></si>",
        1_000_000,  # 25 MB
        b"</sst>",
    )
    bomb = with_parts(valid, add={"xl/sharedStrings.xml": strings})
    exc = refused_quickly(bomb, content, template)
    assert "zu viele verschiedene Texte (mehr als 60.000)" in str(exc)


def test_a_sheet_with_millions_of_rows_is_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bomb = with_parts(valid, {PRACTICES: repeated(SHEET_HEAD, b"<row/>", 5_000_000, SHEET_TAIL)})
    exc = refused_quickly(bomb, content, template)
    assert "zu viele Zeilen (mehr als 25.000, im Teil xl/worksheets/sheet3.xml)" in str(exc)


def test_a_row_with_millions_of_cells_is_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    cells = repeated(SHEET_HEAD + b'<row r="4">', b'<c t="n"><v>1</v></c>', 1_000_000, b"</row>")
    bomb = with_parts(valid, {PRACTICES: [*cells, SHEET_TAIL]})
    exc = refused_quickly(bomb, content, template)
    assert "zu viele ausgefüllte oder formatierte Zellen (mehr als 60.000" in str(exc)


def test_a_huge_single_string_is_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    text = repeated(
        SHEET_HEAD + b'<row r="4"><c t="inlineStr"><is><t>', b"x", 30_000_000, b"</t></is></c>"
    )
    bomb = with_parts(valid, {PRACTICES: [*text, b"</row>", SHEET_TAIL]})
    exc = refused_quickly(bomb, content, template)
    assert "einen zu langen Text (mehr als 32.767 Zeichen in einer Zelle" in str(exc)


def test_any_other_element_counts_against_the_part(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    theme = repeated(b"<a:theme xmlns:a='urn:x'>", b"<a:x/>", 5_000_000, b"</a:theme>")
    exc = refused_quickly(with_parts(valid, {"xl/theme/theme1.xml": theme}), content, template)
    assert "xl/theme/theme1.xml enthält mehr als 250.000 XML-Elemente" in str(exc)


def test_elements_of_all_parts_together_are_bounded(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    part = b"<x>" + b"<y/>" * 200_000 + b"</x>"  # each part below the part's limit
    bomb = with_parts(valid, add={f"customXml/item{i}.xml": part for i in range(3)})
    exc = refused_quickly(bomb, content, template)
    assert "zu umfangreich (mehr als 400.000 XML-Elemente)" in str(exc)


def test_the_unpacked_total_is_bounded(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    # 20 MB each, no element at all
    bomb = with_parts(
        valid,
        add={
            f"xl/media/blank{i}.bin": repeated(b"", b" " * 1024, 20 * 1024, b"") for i in range(3)
        },
    )
    exc = refused_quickly(bomb, content, template)
    assert str(exc) == "Die Arbeitsmappe ist zu groß (entpackt mehr als 48 MB)."


def test_one_part_is_bounded(valid: bytes, content: Content, template: ReportTemplate) -> None:
    blank = repeated(b"", b"\n" * 1024, 45 * 1024, b"")
    exc = refused_quickly(with_parts(valid, add={"xl/media/a.bin": blank}), content, template)
    assert "Der Teil xl/media/a.bin ist entpackt größer als 44 MB" in str(exc)


def test_too_many_zip_entries_are_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bomb = with_parts(valid, add={f"customXml/item{i}.xml": b"<x/>" for i in range(100)})
    exc = refused_quickly(bomb, content, template)
    assert "zu vielen Teilen (mehr als 100 Dateien" in str(exc)


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/x.xml", "/abs/styles.xml", "xl\\..\\..\\x.xml", "x" * 300]
)
def test_odd_entry_names_are_refused(
    valid: bytes, content: Content, template: ReportTemplate, name: str
) -> None:
    exc = refused_quickly(with_parts(valid, add={name: b"<x/>"}), content, template)
    assert "beschädigt" in str(exc)


def test_duplicate_entries_are_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        bomb = with_parts(valid, add={STYLES: stylesheet(10)})
    assert "beschädigt" in str(refused_quickly(bomb, content, template))


def test_other_compression_is_refused(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bzip = with_parts(valid, compression=zipfile.ZIP_BZIP2)
    assert "beschädigt" in str(refused_quickly(bzip, content, template))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_xml_in_utf16_or_utf32_is_refused(
    valid: bytes, content: Content, template: ReportTemplate, encoding: str
) -> None:
    body = '<?xml version="1.0"?><styleSheet xmlns="urn:x"><xf/></styleSheet>'.encode(encoding)
    exc = refused_quickly(with_parts(valid, {STYLES: body}), content, template)
    assert "beschädigt" in str(exc)


def test_white_space_before_the_xml_does_not_hide_it(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    bomb = with_parts(valid, {STYLES: [b"\xef\xbb\xbf" + b" " * 200_000, *stylesheet(100_000)]})
    assert "zu viele Formatvorlagen" in str(refused_quickly(bomb, content, template))


def test_a_nested_archive_is_never_unpacked(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as nested:
        write(nested, "bomb.xml", stylesheet(10_000_000))
    data = with_parts(valid, add={"xl/embeddings/oleObject1.xlsx": inner.getvalue()})
    start = time.perf_counter()
    result = read(data, content, template)
    assert time.perf_counter() - start < SECONDS
    assert result.document is not None and not result.problems


def test_a_sheet_declaring_the_widest_range_is_read_within_bounds(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    """openpyxl pads each row to the declared width: 16,384 columns × 1,000 rows, twice."""
    archive = zipfile.ZipFile(io.BytesIO(valid))
    sheet = archive.read(PRACTICES)
    sheet = sheet.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = read(with_parts(valid, {PRACTICES: sheet}), content, template)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.document is not None and not result.problems
    assert elapsed < 2 * SECONDS and peak < EXTRA_MEMORY


def test_the_limits_leave_room_for_the_workbooks_omk_and_offices_write(
    valid: bytes, content: Content, template: ReportTemplate
) -> None:
    for data in (valid, fx.CLEAN.read_bytes(), fx.ERRORS.read_bytes()):
        workbook.check_container(data)


def test_messages_are_translated_with_their_limits(app: Flask, valid: bytes) -> None:
    bomb = with_parts(valid, {STYLES: stylesheet(10_000)})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(workbook.WorkbookTooLarge) as caught:
            workbook.check_container(bomb)
        assert str(caught.value).startswith(
            "The workbook contains too many cell formats (more than 5,000)."
        )
    with app.test_request_context(headers={"Accept-Language": "de"}):
        refresh()  # the test's app context keeps the locale of the first request
        assert "(mehr als 5.000)" in str(caught.value)


# --- random damage ----------------------------------------------------------------------------


def mutate(body: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``body`` with some spans replaced, deleted or repeated (positions taken modulo its size)."""
    data = bytearray(body)
    for position, length, insert in edits:
        at = position % (len(data) + 1)
        if insert == b"*":  # repeat a span many times: a small bomb
            data[at:at] = bytes(data[at : at + length]) * 200
        else:
            data[at : at + length] = insert
    return bytes(data)


XML_PARTS = [
    STYLES,
    PRACTICES,
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet5.xml",
    "xl/workbook.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
]
SNIPPETS = [b"", b"<", b">", b"<xf/>", b"<c r='XFD1'/>", b"&lol;", b"\x00", b"\xff", b"*"]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    part=st.sampled_from(XML_PARTS),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=200_000),
            st.integers(min_value=0, max_value=400),
            st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=20)),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_damaged_xml_gives_a_refusal_or_a_document(
    valid: bytes,
    content: Content,
    template: ReportTemplate,
    part: str,
    edits: list[tuple[int, int, bytes]],
) -> None:
    body = zipfile.ZipFile(io.BytesIO(valid)).read(part)
    data = with_parts(valid, {part: mutate(body, edits)})
    try:
        result = read(data, content, template)
    except workbook.UnreadableWorkbook as exc:
        assert str(exc)  # a message for the user
        return
    for item in result.problems:
        assert item.error.message and item.error.field
    if result.document is not None:
        for error in result.locate(exchange.check_document(result.document, content, template)):
            assert error.message and error.field


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=100_000),
            st.integers(min_value=0, max_value=64),
            st.binary(max_size=16),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_zip_bytes_give_a_refusal_or_a_document(
    valid: bytes, content: Content, template: ReportTemplate, edits: list[tuple[int, int, bytes]]
) -> None:
    """Damage anywhere in the file (headers, directory, compressed data)."""
    try:
        read(mutate(valid, edits), content, template)
    except workbook.UnreadableWorkbook as exc:
        assert str(exc)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    part=st.sampled_from(XML_PARTS),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=200_000),
            st.integers(min_value=0, max_value=400),
            st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=20)),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_an_upload_of_a_damaged_workbook_saves_all_or_nothing(
    app: Flask,
    register: None,
    make_user: Callable[..., User],
    valid: bytes,
    template: ReportTemplate,
    part: str,
    edits: list[tuple[int, int, bytes]],
) -> None:
    """Through the upload service: a clean refusal (4xx) with a message, the draft untouched;
    or a saved draft that is a valid document."""
    state = app.extensions.setdefault("test_upload_state", {})
    if not state:
        factories.make_cycle("2025")
        state["reporter"] = make_user("reporter", municipality=fx.ESSEN)
        reports.import_document(state["reporter"], fx.base_document())
    t = report_files.target("2025", fx.ESSEN)
    assert t.report is not None
    before, version = reports.working_document(t.report), t.report.edit_version
    body = zipfile.ZipFile(io.BytesIO(valid)).read(part)
    data = with_parts(valid, {part: mutate(body, edits)})
    try:
        report_files.upload(
            state["reporter"], t, "a.xlsx", data, edit_version=version, replace=True
        )
    except OmkError as exc:
        assert 400 <= exc.status < 500 and exc.message
        if isinstance(exc, ValidationFailed):
            assert all(e.message and e.field for e in exc.errors)
        after = reports.get_report("2025", fx.ESSEN)
        assert after.edit_version == version and reports.working_document(after) == before
    else:  # saved whole: the draft passes the same check the upload made
        after = reports.get_report("2025", fx.ESSEN)
        reports.check(reports.working_document(after), template, t.municipality, t.cycle)
