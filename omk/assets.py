"""Static files as browsers should get them: fingerprinted names, compressed, cached for a year.

At start-up every file below ``omk/static`` gets a name carrying a hash of its content
(``omk.css`` → ``omk.3f2a9c1d7e4b.css``); references inside CSS files (``url(...)``, e.g. the
fonts) are rewritten to the fingerprinted names first, so a changed font changes the CSS
that names it. The fingerprinted copies (and a gzip copy of each text file) are written once
into a build folder (``OMK_STATIC_BUILD_DIR``, default ``<instance>/static-build``) and served
by WhiteNoise with ``Cache-Control: max-age=31536000, immutable`` and the security headers of
every other response. ``url_for("static", filename=...)`` gives the fingerprinted address;
the plain names still work (Flask's own static route, revalidated on every use).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

#: A year: fingerprinted names never change their content.
MAX_AGE = 365 * 24 * 3600
#: Files compressed in advance (WhiteNoise serves the ``.gz`` copy to clients that take it).
COMPRESSED = {".css", ".js", ".svg", ".json", ".txt", ".map", ".html", ".ttf", ".otf"}
#: Sources that are never served (build inputs).
SKIPPED = {".scss", ".gz", ".br"}
_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)$")


@dataclass(frozen=True)
class Manifest:
    """The fingerprinted name of every static file, and back."""

    folder: Path
    names: Mapping[str, str]
    originals: Mapping[str, str]

    def url_name(self, filename: str) -> str:
        """The fingerprinted name of ``filename`` (itself when unknown)."""
        return self.names.get(filename, filename)

    def original(self, filename: str) -> str:
        """The source name of a fingerprinted name (itself when not fingerprinted)."""
        return self.originals.get(filename, filename)


#: Manifests built in this process, by static folder, build folder and the sources' stamps.
_BUILT: dict[tuple[str, str, tuple[tuple[str, int, int], ...]], Manifest] = {}


def _sources(root: Path) -> Iterator[tuple[str, Path]]:
    for directory, _subdirs, files in os.walk(root):
        for file in sorted(files):
            path = Path(directory) / file
            if path.suffix in SKIPPED or file.startswith("."):
                continue
            yield path.relative_to(root).as_posix(), path


def _hashed_name(name: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{ext}"


def _rewrite_css(name: str, text: str, names: Mapping[str, str]) -> str:
    """``url(...)`` references of a CSS file pointed at the fingerprinted names."""
    folder = posixpath.dirname(name)

    def replace(match: re.Match[str]) -> str:
        quote, target = match.group(1), match.group(2)
        if re.match(r"^([a-z]+:|/|#)", target):
            return match.group(0)
        path = target.partition("?")[0]
        resolved = posixpath.normpath(posixpath.join(folder, path))
        hashed = names.get(resolved)
        if hashed is None:
            return match.group(0)
        relative = posixpath.relpath(hashed, folder or ".")
        return f"url({quote}{relative}{quote})"

    return _URL.sub(replace, text)


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, unless it is already there."""
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)


def build(static_folder: Path, build_folder: Path) -> Manifest:
    """Fingerprint, rewrite and compress the static files into ``build_folder`` (only what is
    not there yet) and return the manifest; cached per process while the sources stay the same."""
    sources = list(_sources(static_folder))
    stamps = tuple((name, (st := path.stat()).st_size, st.st_mtime_ns) for name, path in sources)
    key = (str(static_folder), str(build_folder), stamps)
    if key in _BUILT:
        return _BUILT[key]
    contents: dict[str, bytes] = {name: path.read_bytes() for name, path in sources}
    names: dict[str, str] = {}
    # Everything but CSS first: CSS names the others and takes their hashes into its own.
    for name, data in contents.items():
        if not name.endswith(".css"):
            names[name] = _hashed_name(name, data)
    for name, data in contents.items():
        if name.endswith(".css"):
            text = _rewrite_css(name, data.decode("utf-8"), names)
            contents[name] = text.encode("utf-8")
            names[name] = _hashed_name(name, contents[name])
    for name, hashed in names.items():
        data = contents[name]
        _write(build_folder / hashed, data)
        if Path(name).suffix in COMPRESSED:
            _write(build_folder / (hashed + ".gz"), gzip.compress(data, 9, mtime=0))
    manifest = Manifest(
        folder=build_folder,
        names=names,
        originals={hashed: name for name, hashed in names.items()},
    )
    _BUILT[key] = manifest
    return manifest


def is_fingerprinted(url_path: str) -> bool:
    """Whether a static path carries a content hash (so it may be cached for good)."""
    return bool(_HASHED.search(url_path))


def install(app: Flask, headers: Mapping[str, str]) -> Manifest | None:
    """Serve fingerprinted static files through WhiteNoise with ``headers`` on every response,
    and make ``url_for("static", ...)`` name them. None when there is no static folder."""
    from whitenoise import WhiteNoise  # type: ignore[import-untyped]  # no py.typed

    if not app.static_folder or not Path(app.static_folder).is_dir():
        return None
    folder = app.config.get("STATIC_BUILD_DIR") or str(Path(app.instance_path) / "static-build")
    manifest = build(Path(app.static_folder), Path(folder))
    app.extensions["omk_assets"] = manifest

    def add_headers(response_headers: Any, _path: str, _url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]  # Flask's documented middleware
        app.wsgi_app,
        root=str(manifest.folder),
        prefix=(app.static_url_path or "/static").strip("/") + "/",
        max_age=MAX_AGE,
        allow_all_origins=False,
        immutable_file_test=lambda _path, url: is_fingerprinted(url),
        add_headers_function=add_headers,
    )

    @app.url_defaults
    def fingerprinted(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.url_name(values["filename"])

    return manifest
