"""Tokenising and folding: the word pattern, accent and umlaut folding, transliteration."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from typing import Literal, NamedTuple

Mode = Literal["index", "query"]
Kind = Literal["word", "part"]

_SKIP = re.compile(  # URLs and e-mail addresses are not words
    r"(?:https?://|www\.)[^\s<>\"']+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
_TOKEN = re.compile(
    r"(?P<number>\d{1,3}(?:\.\d{3})+(?![\d.]))"
    r"|(?P<word>[^\W_]+(?:(?:[*:_·]|/-?)(?:innen|in)(?![^\W_])"
    r"|[-\u2010\u2011][^\W_]+)*(?:[-\u2010\u2011](?![^\W_]))?)"
)
_HYPHEN = re.compile(r"[-\u2010\u2011]")
_GENDER = re.compile(r"^(?P<base>.+?)(?:[*:_·]|/-?)(?P<suffix>innen|in)$")
_BINNEN_I = re.compile(r"^(?P<base>.*[a-zäöüß])I(?P<suffix>nnen|n)$")
_NON_GERMAN_MARKS = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
    }
)
_NEEDS_FOLDING = re.compile(r"[^\x00-\x7fäöüÄÖÜß]")
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class Token(NamedTuple):
    """One index term at a word position; ``kind`` says whether it is a word or a part."""

    text: str
    pos: int
    startchar: int
    endchar: int
    kind: Kind = "word"


# --- folding --------------------------------------------------------------------------------


def fold_accents(text: str) -> str:
    """NFKC, then drop accents except the German umlauts and ß (é → e, ç → c, Ø → O)."""
    if not _NEEDS_FOLDING.search(text):  # ASCII and German letters: nothing to do
        return text
    text = unicodedata.normalize("NFKC", text).translate(_NON_GERMAN_MARKS)
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if char == "\u0308" and out and out[-1] in "aouAOU":
                out[-1] = unicodedata.normalize("NFC", out[-1] + char)
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def fold(text: str) -> str:
    """Lower case without any accent: the form of every term (Straße → strasse, é → e)."""
    text = fold_accents(text).casefold()  # casefold: ß → ss
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def transliterate(word: str) -> str:
    """Lower case with umlauts spelt out (Flüchtling → fluechtling): the splitter's keys."""
    return fold_accents(word).lower().translate(_TRANSLIT)


#: Longer "words" are no words (a pasted hash, a run of letters): they get no term, so no
#: term can exceed what PostgreSQL's tsvector takes (2,047 bytes) on either backend. The
#: longest German words of law and administration have about 70 letters.
MAX_WORD_LENGTH = 100


def _matches(text: str) -> Iterator[re.Match[str]]:
    """Word and number matches of a text, without those inside URLs and e-mail addresses
    and without runs longer than :data:`MAX_WORD_LENGTH`."""
    if "@" not in text and "://" not in text and "www." not in text:
        skipped: list[tuple[int, int]] = []
    else:
        skipped = [match.span() for match in _SKIP.finditer(text)]
    starts = [start for start, _ in skipped]
    for match in _TOKEN.finditer(text):
        if match.end() - match.start() > MAX_WORD_LENGTH:
            continue
        index = bisect.bisect_right(starts, match.start()) - 1
        if index < 0 or match.start() >= skipped[index][1]:
            yield match
