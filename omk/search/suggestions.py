"""The vocabulary behind "Meinten Sie …?": folded surface words and in how many documents
each occurs, and the closest frequent word to a misspelt one.

Both backends keep the same list and suggest alike: the most frequent word within edit
distance 2 (Levenshtein) of the folded word, ties by the word. PostgreSQL keeps each
document's words in ``search_document.words`` and the counts in ``search_word``
(:mod:`omk.search.pg_backend`). The Whoosh index keeps them beside its segments in a small
SQLite file of the generation folder (:class:`WordList`, written by ``bulk_load`` and kept up
to date by every ``apply``) instead of a keyword field: that field was about 180 of the 470
postings a practice costs to write.

No leak: a document's words are stored with it and subtracted when it is removed or
replaced, and a word whose count reaches 0 is deleted, so a suggestion is always a word of a
document the index holds (every document the index holds is published).
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path

from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton
from whoosh.support.levenshtein import levenshtein  # as PostgreSQL's: both backends alike

from omk.search.analysis import fold
from omk.search.records import PracticeRecord

MAX_WORD = 100  # search_word.word
MAX_DISTANCE = 2
FILE_NAME = "words.sqlite3"
_STRIP = ".,;:!?()[]{}\"'„“‚‘»«*_#/"

#: raw token → its folded word, or "" when it is no word for suggestions (cached: a corpus
#: repeats its tokens, and this runs for every document of a reindex).
_token_words: dict[str, str] = {}
_TOKEN_CACHE_SIZE = 500_000


def _token_word(token: str) -> str:
    word = token.strip(_STRIP)
    if len(word) >= 4 and word.isalpha():
        folded = fold(word.lower())
        return folded if len(folded) <= MAX_WORD else ""
    return ""


def text_words(text: str) -> set[str]:
    """The folded surface words of a text (at least four letters, letters only)."""
    cache = _token_words
    if len(cache) > _TOKEN_CACHE_SIZE:
        cache.clear()
    words: set[str] = set()
    for token in set(text.split()):
        word = cache.get(token)
        if word is None:
            word = cache[token] = _token_word(token)
        if word:
            words.add(word)
    return words


def document_words(record: PracticeRecord) -> list[str]:
    """The words of a record for suggestions: title, summary and the body fields."""
    text = " ".join(
        (record.title, record.summary, record.description, record.outcomes, record.transferability)
    )
    return sorted(text_words(text))


def closest(word: str, words: Sequence[str], documents: Sequence[int]) -> str | None:
    """The nearest of ``words`` (sorted, with their document counts) within edit distance 2
    of ``word``, the most frequent among equally near ones, then by the word: "kindr" is
    "kinder", however much more often "sind" occurs."""
    if not word or len(word) > MAX_WORD or not words:
        return None
    dfa = levenshtein_automaton(word, MAX_DISTANCE).to_dfa()

    def lookup(key: str) -> str | None:
        i = bisect.bisect_left(words, key)
        return words[i] if i < len(words) else None

    best: tuple[int, int, str] | None = None
    for found in find_all_matches(dfa, lookup):
        i = bisect.bisect_left(words, found)
        candidate = (levenshtein(word, found), -documents[i], found)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def _pack(words: Iterable[str]) -> bytes:
    return zlib.compress("\n".join(words).encode(), 1)


def _unpack(data: bytes) -> list[str]:
    text = zlib.decompress(data).decode()
    return text.split("\n") if text else []


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS doc (key TEXT PRIMARY KEY, practice_id TEXT NOT NULL,"
    " words BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS doc_practice ON doc (practice_id)",
    "CREATE TABLE IF NOT EXISTS word (word TEXT PRIMARY KEY, documents INTEGER NOT NULL)",
)


class WordList:
    """The words of one Whoosh generation (``<generation>/words.sqlite3``).

    Written only under the index's writer lock (one writer at a time); an ``apply`` keeps
    its transaction open until Whoosh has committed, so a writer killed in between leaves
    both unchanged or the word list behind by exactly the entries the outbox still holds
    (their next ``apply`` replaces the lineages' words again)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME

    def exists(self) -> bool:
        return self.path.exists()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        for statement in _SCHEMA:
            conn.execute(statement)
        return conn

    def fill(self) -> BulkWords:
        """A fresh list written document by document (a reindex); ``finish`` commits it."""
        return BulkWords(self.connect())

    def begin_replace(
        self, lineages: Iterable[str], records: Sequence[PracticeRecord]
    ) -> sqlite3.Connection:
        """Replace the words of every document of these lineages by those of ``records``,
        in a transaction the caller commits (or rolls back) with the index."""
        lineages = sorted(set(lineages) | {r.practice_id for r in records})
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            delta: Counter[str] = Counter()
            for start in range(0, len(lineages), 500):
                chunk = lineages[start : start + 500]
                marks = ",".join("?" * len(chunk))
                old = conn.execute(
                    f"SELECT words FROM doc WHERE practice_id IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
                for (data,) in old:
                    delta.subtract(_unpack(data))
                conn.execute(f"DELETE FROM doc WHERE practice_id IN ({marks})", chunk)  # noqa: S608
            rows = [(r.key, r.practice_id, document_words(r)) for r in records]
            conn.executemany(
                "INSERT OR REPLACE INTO doc VALUES (?, ?, ?)",
                [(key, pid, _pack(words)) for key, pid, words in _counted(rows, delta)],
            )
            changes = [(w, n) for w, n in sorted(delta.items()) if n]
            conn.executemany(
                "INSERT INTO word (word, documents) VALUES (?, ?) ON CONFLICT (word)"
                " DO UPDATE SET documents = documents + excluded.documents",
                changes,
            )
            conn.execute("DELETE FROM word WHERE documents <= 0")
        except BaseException:
            conn.close()
            raise
        return conn

    def counts(self) -> dict[str, int]:
        """word → number of documents (for tests and checks)."""
        if not self.exists():
            return {}
        with closing(self.connect()) as conn:
            return dict(conn.execute("SELECT word, documents FROM word"))

    def suggest(self, word: str) -> str | None:
        words, documents = _loaded(self.path)
        return closest(word, words, documents)


def _counted(
    rows: Iterable[tuple[str, str, list[str]]], counts: Counter[str]
) -> Iterator[tuple[str, str, list[str]]]:
    for row in rows:
        counts.update(row[2])
        yield row


class BulkWords:
    """The word list of a new generation, filled batch by batch."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.counts: Counter[str] = Counter()
        conn.execute("BEGIN")

    def add(self, records: Iterable[PracticeRecord]) -> None:
        rows = [(r.key, r.practice_id, document_words(r)) for r in records]
        self.conn.executemany(
            "INSERT OR REPLACE INTO doc VALUES (?, ?, ?)",
            [(key, pid, _pack(words)) for key, pid, words in _counted(rows, self.counts)],
        )

    def finish(self) -> None:
        self.conn.executemany("INSERT INTO word VALUES (?, ?)", sorted(self.counts.items()))
        self.conn.execute("COMMIT")
        self.conn.close()

    def abandon(self) -> None:
        self.conn.close()


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int, int], list[str], list[int]]] = {}


def _loaded(path: Path) -> tuple[list[str], list[int]]:
    """The sorted words and their counts, read again whenever the file changed."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return [], []
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        rows = conn.execute("SELECT word, documents FROM word ORDER BY word").fetchall()
    words = [w for w, _ in rows]
    documents = [int(n) for _, n in rows]
    with _cache_lock:
        for old in [p for p in _cache if not p.exists()]:
            del _cache[old]
        _cache[path] = (version, words, documents)
    return words, documents
