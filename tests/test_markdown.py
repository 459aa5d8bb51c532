"""The one Markdown renderer: golden tests, then the whole brs-kb XSS corpus.

SECURITY.md section D: no script-capable output, whatever the input.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest

from omk.markdown import plain, render

LINK = '<a rel="noopener noreferrer nofollow">x</a>'
REL = 'rel="noopener noreferrer nofollow"'

# --- golden tests: exact output ------------------------------------------------------------

DANGEROUS_LINKS = [
    # javascript: – plain, case, entities (decimal, hex, padded), whitespace and control chars
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x]( javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](javascript\t:alert(1))",
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="&#x20;javascript:alert(1)">x</a>',
    "<a href='javascript&colon;alert(1)'>x</a>",
    # data: and vbscript:
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    '<a href="data&#58;text/html,x">x</a>',
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    # a script-capable scheme passed on through another site
    '<a href="https://example.org/?u=javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("source", DANGEROUS_LINKS)
def test_dangerous_link_loses_its_href(source: str) -> None:
    assert render(source) == f"<p>{LINK}</p>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # event handlers
        ('<p onclick="alert(1)">x</p>', "<p>x</p>"),
        ("<b onmouseover=alert(1)>x</b>", "<p>x</p>"),
        (
            '<a href="https://example.org" onmouseover="alert(1)">x</a>',
            f'<p><a href="https://example.org" {REL}>x</a></p>',
        ),
        ('<em onfocus="alert(1)" autofocus tabindex=0>x</em>', "<p><em>x</em></p>"),
        # script and style: tag and content gone
        ("<script>alert(1)</script>danach", "\n<p>danach</p>"),
        ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>", ""),
        ("<style>body{display:none}</style>danach", "\n<p>danach</p>"),
        ('<p style="color:red">x</p>', "<p>x</p>"),
        # svg, math, iframe, object, embed, form
        ("<svg onload=alert(1)><circle r=1 /></svg>", "<p></p>"),
        ("<svg><a xlink:href='javascript:alert(1)'><text>x</text></a></svg>", "<p></p>"),
        ("<math><mtext><script>alert(1)</script></mtext></math>", ""),
        ('<iframe src="https://evil.example"></iframe>', ""),
        ('<object data="x.swf"></object><embed src="x.swf">', "\n<p></p>"),
        (
            '<form action="https://evil.example"><input name=a><button formaction=x>los</button>'
            "</form>",
            "los",
        ),
        # base and meta refresh
        ('<base href="https://evil.example/">', "<p></p>"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "<p></p>"),
        # external images are dropped (they would tell a third party who reads the page)
        ("![Logo](https://evil.example/track.png)", "<p></p>"),
        ('<img src="https://evil.example/track.png" alt="x">', "<p></p>"),
        ("<img src=x onerror=alert(1)>", "<p></p>"),
        ("![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)", "<p></p>"),
        # raw HTML: harmless tags kept, the rest unwrapped, comments dropped
        ("<div><em>roh</em> HTML</div>", "<em>roh</em> HTML"),
        ("<!-- Kommentar --> Text", "\n<p>Text</p>"),
        ("<details open ontoggle=alert(1)>x</details>", "x"),
        # code stays text
        ("`<script>` im Code", "<p><code>&lt;script&gt;</code> im Code</p>"),
        (
            "```\n<script>alert(1)</script>\n```",
            "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        ),
        # a title naming a script scheme goes; the link stays
        (
            '[x](https://example.org "javascript:alert(1)")',
            f'<p><a href="https://example.org" {REL}>x</a></p>',
        ),
    ],
)
def test_golden(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "href"),
    [
        (
            "[Stadt](https://www.example-stadt.de/integration)",
            "https://www.example-stadt.de/integration",
        ),
        ("[alt](http://example.org/a?b=1&c=2)", "http://example.org/a?b=1&amp;c=2"),
        ("[Mail](mailto:integration@example-stadt.de)", "mailto:integration@example-stadt.de"),
        ("[Hilfe](../kriterien)", "../kriterien"),
        ("[Abschnitt](#rollen)", "#rollen"),
        ("<https://example.org/bericht>", "https://example.org/bericht"),
    ],
)
def test_good_links_stay_and_get_rel(source: str, href: str) -> None:
    assert f'<a href="{href}" {REL}>' in render(source)


def test_headings_are_demoted() -> None:
    assert render("# Titel\n\n## Unter\n\n###### Tief", heading_offset=1) == (
        "<h2>Titel</h2>\n<h3>Unter</h3>\n<h6>Tief</h6>"
    )
    assert render("# A\n\n## B", heading_offset=2) == "<h3>A</h3>\n<h4>B</h4>"
    assert render("<h1>Roh</h1>", heading_offset=1) == "<h2>Roh</h2>"


def test_without_offset_no_h1_survives() -> None:
    assert "<h1" not in render("# Titel\n\n<h1>Roh</h1><H1>Groß</H1>")


def test_tables_and_lists_render() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n- eins\n- zwei\n\n3. drei\n4. vier")
    assert "<table>" in html and "<th>a</th>" in html and "<td>2</td>" in html
    assert "<ul>\n<li>eins</li>" in html
    assert '<ol start="3">' in html


def test_empty_and_plain() -> None:
    assert render(None) == ""
    assert render("") == ""
    assert plain("**fett** und <script>alert(1)</script>[Link](https://e.org)") == ("fett und Link")


# --- the whole brs-kb corpus ---------------------------------------------------------------

FORBIDDEN_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
        "math", "img", "image", "picture", "source", "video", "audio", "form", "input",
        "button", "textarea", "select", "base", "meta", "link", "template", "noscript",
    }
)  # fmt: skip
SCRIPT_SCHEME = re.compile(r"(?:javascript|vbscript|data):", re.IGNORECASE)
#: What a browser removes from a URL before it reads the scheme: all tab/CR/LF, and leading or
#: trailing C0 controls and spaces (WHATWG URL). A value with a scheme has letters, digits, "+",
#: "-" or "." before the first ":"; everything else is a relative reference.
URL_IGNORED = re.compile(r"[\t\n\r]")
HAS_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def _scheme(url: str) -> str | None:
    url = URL_IGNORED.sub("", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e"
                                         "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
                                         "\x1b\x1c\x1d\x1e\x1f ")  # fmt: skip
    match = HAS_SCHEME.match(url)
    return match.group(1).lower() if match else None


class DangerFinder(HTMLParser):
    """Collects everything in a piece of HTML that could run script or leak a request."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in {"style", "src", "srcset", "action", "formaction", "background", "poster"}:
                self.problems.append(f"{tag}[{name}]")
            if SCRIPT_SCHEME.search(re.sub(r"[\s\x00-\x1f]", "", value)):
                self.problems.append(f"{tag}[{name}]={value!r}")
            if name in {"href", "xlink:href"} and _scheme(value) not in {
                None,
                "http",
                "https",
                "mailto",
            }:
                self.problems.append(f"{tag}[{name}]={value!r}")

    handle_startendtag = handle_starttag


def dangers(html: str) -> list[str]:
    """Dangerous tags and attributes in rendered HTML (empty: safe)."""
    finder = DangerFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_detector_detects() -> None:
    assert dangers('<p><a href="javascript:alert(1)">x</a></p>') == [
        "a[href]='javascript:alert(1)'",
        "a[href]='javascript:alert(1)'",
    ]
    assert dangers('<a href=" java\tscript:x">x</a>')
    assert dangers("<img src=x onerror=alert(1)>") == ["<img>", "img[src]", "img[onerror]"]
    assert dangers("<svg><script>alert(1)</script></svg>") == ["<svg>", "<script>"]
    assert dangers('<a href="vbscript:x" title="data:x">x</a>')
    assert dangers('<a href="ftp://example.org">x</a>')
    assert not dangers(
        '<a href="https://e.org">x</a><a href="../a">y</a><a href="mailto:a@b">z</a>'
    )


def test_whole_brs_kb_corpus_renders_harmless() -> None:
    """All ~4,900 payloads of brs-kb as Markdown text, as pages render it (headings demoted)."""
    brs_kb = pytest.importorskip("brs_kb")
    payloads = brs_kb.get_all_payloads()
    assert len(payloads) > 4000
    failures = []
    for name, entry in payloads.items():
        source = entry["payload"]
        problems = dangers(str(render(source, heading_offset=1)))
        if problems:
            failures.append(f"{name}: {source[:80]!r} -> {problems[:3]}")
    assert not failures, f"{len(failures)} payloads left danger:\n" + "\n".join(failures[:20])


def test_brs_kb_payloads_as_link_targets_and_titles() -> None:
    """The payloads where Markdown puts them into attributes: link target, autolink, title."""
    brs_kb = pytest.importorskip("brs_kb")
    failures = []
    for name, entry in brs_kb.get_all_payloads().items():
        source = entry["payload"]
        if re.search(r"\s", source):
            # Markdown makes no link of a target with blanks: only the title can carry it.
            texts = [f'[x](https://example.org "{source}")']
        else:
            texts = [f"[x]({source})", f"<{source}>"]
        for text in texts:
            problems = dangers(str(render(text)))
            if problems:
                failures.append(f"{name}: {text[:80]!r} -> {problems[:3]}")
    assert not failures, f"{len(failures)} payloads left danger:\n" + "\n".join(failures[:20])


def test_nothing_carries_over_between_documents() -> None:
    """The renderer reuses one converter per thread: definitions must not leak."""
    assert "<abbr" in render("*[OMK]: Offene Methode der Koordinierung\n\nDie OMK hilft.")
    assert render("Die OMK hilft.") == "<p>Die OMK hilft.</p>"
    assert "href" in render("[a]: https://example.org\n\n[x][a]")
    assert render("[x][a]") == "<p>[x][a]</p>"


def test_renders_the_same_in_parallel_threads() -> None:
    texts = [
        f"# Titel {i}\n\n*[K{i}]: Kürzel {i}\n\nK{i} und [Link](https://e.org/{i})"
        for i in range(8)
    ]
    expected = [str(render(t, heading_offset=1)) for t in texts]

    def work(i: int) -> bool:
        return all(str(render(texts[i], heading_offset=1)) == expected[i] for _ in range(100))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(8)))
