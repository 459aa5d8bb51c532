"""German text analysis, the same for indexing, querying and similarity.

One word goes through: Unicode NFKC and accent folding (é → e; umlauts and ß are kept for the
dictionary and folded at the end), stop words, lemmatising with simplemma's German dictionary
(case-insensitively, so a query in lower case meets a capitalised noun), compound splitting
over a frequency lexicon (content/search/lexicon-de.tsv.gz), Snowball stemming (PyStemmer) of
the lemma, and a last fold (ä → a, ß → ss). Stemming the lemma, not the inflected word, avoids
the Snowball trap (Integrationskurs → ``integrationskur`` but Integrationskurse →
``integrationskurs``). A compound keeps its whole term and adds its parts and its
sub-compounds at the same position. content/search/README.md explains the data and licences.

Pure Python: no Flask, no database. ``analyze`` gives tokens with positions (index),
``terms`` the terms of a text (similarity, TF-IDF), ``query_terms``/``expand_query`` the
alternatives of a query word with synonyms, ``WhooshGermanAnalyzer`` the same for Whoosh.
"""

from __future__ import annotations

import bisect
import gzip
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import Stemmer
from whoosh.analysis import Composable
from whoosh.analysis import Token as WhooshToken

#: The repository's folder; the app points the module at its content folder (use_data_dir),
#: which for an installed package is the copy shipped inside it.
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "content" / "search"
LEXICON_FILE = "lexicon-de.tsv.gz"
STOPWORDS_FILE = "stopwords-de.txt"
NOSPLIT_FILE = "nosplit-de.txt"
SYNONYMS_FILE = "synonyms.txt"
_data_dir = DEFAULT_DATA_DIR

Mode = Literal["index", "query"]
Kind = Literal["word", "part"]

# --- splitter parameters (measured in content/search/README.md) ---------------------------
MIN_SPLIT_LENGTH = 6  # shorter words are never split
MAX_SPLIT_LENGTH = 50  # nor longer ones (a pasted hash or base64 blob would take long)
MIN_PART = 3  # letters of a part
MIN_PART_ZIPF = 2.0  # a part must be at least this frequent (Zipf scale, 0-8)
MIN_SHORT_PART_ZIPF = 4.3  # ... and a three-letter part (Amt, Rat, Tag; not Lot, Sen)
MAX_PARTS = 4
LINKERS = ("es", "en", "er", "s", "n")  # Fugen-s, -es, -n, -en, -er
HEAD_ENDINGS = ("ern", "en", "es", "er", "em", "n", "s", "e")  # Energieversorger-n
ELISION_PENALTY = 0.5  # Sprach-förderung → Sprache, Wohn-raum → wohnen: slightly less sure
PART_PENALTY = 0.25  # per part beyond the first: fewer, longer parts win over many short ones
# Prefixes, suffixes and bound forms that are words in the lexicon but never a part.
BAD_PARTS = frozenset(
    (
        *("ver", "ent", "zer", "miss", "emp", "ant", "all"),
        *("ung", "ungen", "heit", "heiten", "keit", "keiten", "schaft", "schaften"),
        *("lich", "liche", "lichen", "isch", "ische", "ischen", "ling", "linge", "tum", "nis"),
        *("ion", "ionen", "tion", "tionen", "tät", "ität", "bar", "sam", "haft", "los"),
        *("weise", "ern", "ten", "tel", "ste", "sten", "innen", "inne", "nen", "rinne"),
        *("rinnen", "end", "ende", "enden", "endes", "ender"),  # -in(nen), participles
    )
)

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


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicon:
    """Word frequencies for splitting, keyed by transliterated word."""

    zipf: dict[str, float]
    spelling: dict[str, str]  # transliterated key → most frequent real spelling

    def get(self, key: str) -> float:
        return self.zipf.get(key, 0.0)


def data_dir() -> Path:
    """The folder of the lexicon, stop words, no-split list and synonyms."""
    return _data_dir


def use_data_dir(path: Path | None) -> None:
    """Read the data from another folder (a configured content/search/); None: the default.

    Clears every cache: call it at start-up, before analysing anything.
    """
    global _data_dir
    _data_dir = Path(path) if path is not None else DEFAULT_DATA_DIR
    for word_cache in _word_caches.values():
        word_cache.clear()
    caches: list[Any] = [lexicon, stopwords, nosplit, synonyms, _nosplit_pattern, lemma]
    caches += [_modifier, _is_word, _segment, _spans, analyze_word, _token_terms]
    for cached in caches:
        cached.cache_clear()


def _data_lines(name: str) -> Iterator[str]:
    path = _data_dir / name
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].strip()
            if line:
                yield line


_loading = threading.RLock()  # load each data file once, even when threads start together


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The splitter's lexicon (content/search/lexicon-de.tsv.gz)."""
    with _loading:
        return _load_lexicon()


def _load_lexicon() -> Lexicon:
    zipf: dict[str, float] = {}
    spelling: dict[str, str] = {}
    for line in _data_lines(LEXICON_FILE):
        word, value = line.split("\t")
        key = transliterate(word)
        score = int(value) / 10
        if score > zipf.get(key, -1.0):
            zipf[key] = score
            spelling[key] = fold_accents(word)
    return Lexicon(zipf, spelling)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """German stop words, transliterated (für and fuer are both stop words)."""
    return frozenset(transliterate(word) for word in _data_lines(STOPWORDS_FILE))


@lru_cache(maxsize=1)
def nosplit() -> frozenset[str]:
    """Words that are never split (Willkommen, Handwerk), transliterated."""
    return frozenset(transliterate(word) for word in _data_lines(NOSPLIT_FILE))


@lru_cache(maxsize=1)
def _dictionary() -> Mapping[str, str]:
    """simplemma's German form → lemma dictionary (loaded once, about 3 s and 120 MB)."""
    from simplemma.strategies.dictionaries.dictionary_factory import (
        DefaultDictionaryFactory,
    )

    with _loading:
        return DefaultDictionaryFactory().get_dictionary("de")


_stemmers = threading.local()


def _stem(word: str) -> str:
    """Snowball German stem (PyStemmer objects are not thread-safe: one per thread)."""
    stemmer = getattr(_stemmers, "german", None)
    if stemmer is None:
        stemmer = _stemmers.german = Stemmer.Stemmer("german")
    return str(stemmer.stemWord(word))


# --- words ----------------------------------------------------------------------------------


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str | None:
    """The dictionary lemma of a word in any case and umlaut spelling, or None if unknown.

    The capitalised form is looked up first, so "lotsen" and "Lotsen" both give Lotse.
    """
    dictionary = _dictionary()
    candidates = [_capitalised(word), word.lower()]
    known = lexicon().spelling.get(transliterate(word))
    if known and known.lower() != word.lower():  # Fluechtlinge → Flüchtlinge
        candidates += [_capitalised(known), known.lower()]
    for candidate in candidates:
        found = dictionary.get(candidate)
        if found:
            return fold_accents(found)
    return None


def _feminine_base(word_lemma: str) -> str | None:
    """Lehrerin → Lehrer, Patin → Pate (only if the plural in -innen is a known form)."""
    if not word_lemma.lower().endswith("in") or len(word_lemma) < 5:
        return None
    dictionary = _dictionary()
    if dictionary.get(_capitalised(word_lemma) + "nen") != _capitalised(word_lemma):
        return None
    base = word_lemma[:-2]
    for candidate in (_capitalised(base), _capitalised(base) + "e"):
        if dictionary.get(candidate) == candidate:
            return candidate
    return None


def _term(word_lemma: str) -> str:
    return fold(_stem(word_lemma.lower()))


def _part_ok(key: str, score: float) -> bool:
    if len(key) < MIN_PART or key in stopwords() or key in BAD_PARTS:
        return False
    if score < (MIN_SHORT_PART_ZIPF if len(key) == MIN_PART else MIN_PART_ZIPF):
        return False
    return _is_word(key)


@lru_cache(maxsize=200_000)
def _is_word(key: str) -> bool:
    """True if the lexicon word is a form in simplemma's dictionary (drops fragments).

    A three-letter part must be a noun (Amt, Rat, Tag; not sei, ums, san).
    """
    spelling = lexicon().spelling.get(key, key)
    dictionary = _dictionary()
    noun = dictionary.get(_capitalised(spelling))
    if len(key) == MIN_PART:
        return noun is not None and noun[:1].isupper()
    return spelling.lower() in dictionary or noun is not None


def _head(key: str) -> tuple[str, float] | None:
    """The lexicon word a compound's last piece stands for: itself or without its ending."""
    zipf = lexicon().zipf
    score = zipf.get(key)
    if score is not None and _part_ok(key, score):
        return key, score
    for ending in HEAD_ENDINGS:
        candidate = key[: -len(ending)]
        score = zipf.get(candidate) if key.endswith(ending) and len(candidate) > MIN_PART else None
        if score is not None and _part_ok(candidate, score):
            return candidate, score - ELISION_PENALTY
    return None


@lru_cache(maxsize=200_000)
def _modifier(piece: str) -> tuple[str, float] | None:
    """The lexicon word a compound's left piece stands for, with its score."""
    zipf = lexicon().zipf
    best: tuple[str, float] | None = None
    candidates = [(piece, 0.0)]
    candidates += [(piece[: -len(linker)], 0.0) for linker in LINKERS if piece.endswith(linker)]
    if piece.endswith("s"):  # Hilfs-angebot → Hilfe, Geschichts-unterricht → Geschichte
        candidates.append((piece[:-1] + "e", 0.0))
    # Sprach-förderung → Sprache, Wohn-raum → wohnen, Schul-sozialarbeit → Schule
    candidates += [(piece + "e", ELISION_PENALTY), (piece + "en", ELISION_PENALTY)]
    for key, penalty in candidates:
        score = zipf.get(key)
        if (
            score is not None
            and _part_ok(key, score)
            and (best is None or score - penalty > best[1])
        ):
            best = (key, score - penalty)
    return best


@lru_cache(maxsize=1)
def _nosplit_pattern() -> re.Pattern[str]:
    words = sorted(nosplit(), key=len, reverse=True)
    if not words:
        return re.compile("(?!)")
    return re.compile("(?=(" + "|".join(map(re.escape, words)) + "))")


def _forbidden_cuts(key: str) -> frozenset[int]:
    """Cuts inside a word of the no-split list (Willkommens|klasse, never Will|kommens)."""
    cuts: set[int] = set()
    for match in _nosplit_pattern().finditer(key):
        cuts.update(range(match.start() + 1, match.start() + len(match.group(1))))
    return frozenset(cuts)


Segment = tuple[tuple[int, int, str], ...]  # (start, end, lexicon key) per part


@lru_cache(maxsize=200_000)
def _segment(key: str, parts_left: int = MAX_PARTS) -> tuple[Segment, float] | None:
    """Best split of ``key`` (transliterated) into lexicon parts, by mean Zipf frequency."""
    best: tuple[Segment, float] | None = None
    head = _head(key)
    if head is not None:
        best = (((0, len(key), head[0]),), head[1])
    if parts_left == MAX_PARTS:  # the whole word: a frequent word is not split (Koehn-Knight)
        best = (((0, len(key), key),), max(lexicon().get(key), best[1] if best else 0.0))
    if parts_left < 2 or key in nosplit():
        return best
    forbidden = _forbidden_cuts(key)
    for cut in range(MIN_PART, len(key) - MIN_PART + 1):
        if cut in forbidden:
            continue
        modifier = _modifier(key[:cut])
        if modifier is None:
            continue
        rest = _segment(key[cut:], parts_left - 1)
        if rest is None:
            continue
        parts = (
            (0, cut, modifier[0]),
            *((start + cut, end + cut, part) for start, end, part in rest[0]),
        )
        rest_mean = rest[1] + PART_PENALTY * (len(rest[0]) - 1)  # undo the rest's penalty
        score = (modifier[1] + rest_mean * len(rest[0])) / len(parts)
        score -= PART_PENALTY * (len(parts) - 1)
        if best is None or score > best[1]:
            best = (parts, score)
    return best


@lru_cache(maxsize=200_000)
def _spans(key: str) -> Segment:
    """The parts of a transliterated word with their places, or () if it is not split.

    A feminine form in -in/-innen that does not split as it is splits as its base
    (Kulturbotschafterinnen → kultur + botschafter).
    """
    if not MIN_SPLIT_LENGTH <= len(key) <= MAX_SPLIT_LENGTH or not key.isalpha():
        return ()
    if key in nosplit():
        return ()
    found = _segment(key)
    if found is not None and len(found[0]) >= 2:
        return found[0]
    for suffix in ("innen", "in"):
        if key.endswith(suffix) and len(key) - len(suffix) >= MIN_SPLIT_LENGTH:
            base = _segment(key[: -len(suffix)])
            if base is not None and len(base[0]) >= 2:
                return base[0]
    return ()


def split_compound(word: str) -> tuple[str, ...]:
    """The parts of a German compound in lexicon spelling, or () if it is not split.

    Gemeinschaftsunterkünfte → (gemeinschaft, unterkünfte); Willkommen → ().
    """
    spelling = lexicon().spelling
    return tuple(spelling.get(part, part) for _, _, part in _spans(transliterate(word)))


def _split_spans(word: str) -> Segment:
    return _spans(transliterate(word))


@dataclass(frozen=True, slots=True)
class WordTerms:
    """The terms of one word: its own term and the extra terms of its parts."""

    term: str
    parts: tuple[str, ...] = ()


def _is_abbreviation(word: str) -> bool:
    return (
        2 <= len(word) <= 5
        and word.isupper()
        and word.isalpha()
        and _dictionary().get(_capitalised(word)) is None
    )


@lru_cache(maxsize=200_000)
def analyze_word(word: str) -> WordTerms | None:
    """Terms of one word (no hyphen): None for stop words and single characters."""
    word = fold_accents(word)
    key = transliterate(word)
    if len(key) < 2 or key in stopwords():
        return None
    if not word.isalpha() or _is_abbreviation(word):  # numbers, A1, VHS, BAMF
        return WordTerms(fold(word))
    parts: list[str] = []
    spans = _split_spans(word)
    known = lemma(word)
    if known is not None:
        whole = known
    elif spans:  # unknown compound: lemmatise its head (Ausbildungslotsen → …lotse)
        head_start = spans[-1][0]
        head = lexicon().spelling.get(spans[-1][2], key[head_start:])
        whole = key[:head_start] + transliterate(lemma(head) or head)
    else:
        whole = word
    if spans:
        lex = lexicon()
        leaves = [lemma(lex.spelling.get(p, p)) or lex.spelling.get(p, p) for _, _, p in spans]
        parts.extend(_term(leaf) for leaf in leaves)
        # sub-compounds of two or more parts: Flüchtlingssozialarbeit → Sozialarbeit
        count = len(spans)
        for first in range(count):
            for last in range(first + 1, count):
                if first == 0 and last == count - 1:
                    continue
                text = key[spans[first][0] : spans[last][0]] + (
                    key[spans[last][0] :] if last == count - 1 else spans[last][2]
                )
                parts.append(_term(lemma(text) or text))
    feminine = _feminine_base(whole)
    if feminine:
        parts.append(_term(feminine))
    term = _term(whole)
    return WordTerms(term, tuple(dict.fromkeys(p for p in parts if p != term)))


@lru_cache(maxsize=200_000)
def _token_terms(token: str, mode: Mode) -> tuple[tuple[str, Kind], ...]:
    """Terms of one tokenizer match (a word, a hyphenated compound or a gender form)."""
    unique: dict[str, Kind] = {}
    for term, kind in _token_terms_raw(token, mode):
        if term:
            unique.setdefault(term, kind)
    return tuple(unique.items())


def _token_terms_raw(token: str, mode: Mode) -> list[tuple[str, Kind]]:
    token = _HYPHEN.sub("-", token).rstrip("-")
    found: list[tuple[str, Kind]] = []
    gender = _GENDER.match(token) or _BINNEN_I.match(token)
    if gender:
        base = analyze_word(gender["base"])
        if base:
            found.append((base.term, "word"))
            if mode == "index":
                found += [(part, "part") for part in base.parts]
                plural = "nen" if gender["suffix"].endswith("nen") else ""
                feminine = analyze_word(gender["base"] + "in" + plural)
                if feminine:
                    found.append((feminine.term, "part"))
        return found
    pieces = [piece for piece in token.split("-") if piece]
    if len(pieces) == 1:
        analysed = analyze_word(pieces[0])
        if analysed is None:
            return []
        found.append((analysed.term, "word"))
        if mode == "index":
            found += [(part, "part") for part in analysed.parts]
        return found
    # Sprach-Café, Kita-Plätze: the joined word, then each piece
    joined_word = pieces[0] + "".join(piece.lower() for piece in pieces[1:])
    joined = analyze_word(joined_word)
    if joined:
        found.append((joined.term, "word"))
        if mode == "index":
            found += [(part, "part") for part in joined.parts]
    is_compound = joined is not None and (joined.parts or lemma(fold_accents(joined_word)))
    if mode == "query" and not is_compound:  # VHS-Kurse, Covid-19: each piece is a word
        found = []
        for piece in pieces:
            analysed = analyze_word(piece)
            if analysed:
                found.append((analysed.term, "word"))
    if mode == "index":
        for piece in pieces:
            analysed = analyze_word(piece)
            if analysed:
                found.append((analysed.term, "part"))
                found += [(part, "part") for part in analysed.parts]
    return found


def _matches(text: str) -> Iterator[re.Match[str]]:
    """Word and number matches of a text, without those inside URLs and e-mail addresses."""
    if "@" not in text and "://" not in text and "www." not in text:
        yield from _TOKEN.finditer(text)
        return
    skipped = [match.span() for match in _SKIP.finditer(text)]
    starts = [start for start, _ in skipped]
    for match in _TOKEN.finditer(text):
        index = bisect.bisect_right(starts, match.start()) - 1
        if index < 0 or match.start() >= skipped[index][1]:
            yield match


Found = tuple[tuple[str, Kind], ...]  # the terms of one word position


_WORD_CACHE_SIZE = 500_000
_word_caches: dict[str, dict[str, Found]] = {"index": {}, "query": {}}


def _words(text: str, mode: Mode) -> list[tuple[int, int, Found]]:
    """Each word position of a text: its character span and its (cached) terms."""
    cache = _word_caches[mode]
    if len(cache) > _WORD_CACHE_SIZE:  # a plain dict is faster than lru_cache here
        cache.clear()
    matches = list(_matches(text))
    last = len(matches) - 2
    words: list[tuple[int, int, Found]] = []
    for index, match in enumerate(matches):
        word = match.group()
        found = cache.get(word)
        if found is None:
            if match.lastgroup == "number":  # 2.500 → 2500
                found = ((word.replace(".", ""), "word"),)
            elif word[-1] in "-\u2010\u2011":  # depends on the next words: not cached
                if index < last:
                    suspended = _suspended_terms(word, matches[index + 1], matches[index + 2], mode)
                    if suspended:
                        words.append((match.start(), match.end(), suspended))
                    continue
                found = _token_terms(word, mode)
            else:
                found = cache[word] = _token_terms(word, mode)
        if found:
            words.append((match.start(), match.end(), found))
    return words


def analyze(text: str, mode: Mode = "index", start_pos: int = 0) -> list[Token]:
    """Tokens of a text with word positions and character offsets into ``text``.

    ``index`` mode emits every word's term plus its compound parts at the same position;
    ``query`` mode only the words' own terms. URLs and e-mail addresses are dropped.
    """
    return [
        Token(term, pos, start, end, kind)
        for pos, (start, end, found) in enumerate(_words(text, mode), start_pos)
        for term, kind in found
    ]


_CONJUNCTIONS = frozenset({"und", "oder", "sowie", "bzw", "bis", "als", "statt"})


def _suspended_terms(
    token: str, conjunction: re.Match[str], following: re.Match[str], mode: Mode
) -> tuple[tuple[str, Kind], ...]:
    """A suspended compound: "Sprach- und Integrationskurse" → Sprachkurse (and Sprach)."""
    own = _token_terms(token, mode)
    if conjunction.group().lower() not in _CONJUNCTIONS:
        return own
    last = _HYPHEN.split(following.group())[-1]
    spans = _split_spans(last)
    if not spans:
        return own
    head = transliterate(last)[spans[-1][0] :]
    joined = _token_terms(_HYPHEN.sub("", token) + head, mode)
    if not joined:
        return own
    if mode == "query":
        return joined
    extra: tuple[tuple[str, Kind], ...] = tuple(
        (term, "part") for term, _ in own if term not in dict(joined)
    )
    return joined + extra


def terms(text: str, mode: Mode = "index") -> list[str]:
    """The terms of a text in order, with repetitions (for TF-IDF and similarity)."""
    return [term for _, _, found in _words(text, mode) for term, _ in found]


TSVECTOR_MAX_POSITION = 16383  # PostgreSQL keeps positions up to this value


def tsvector_literal(text: str, weight: str = "") -> str:
    """The terms of a text as a PostgreSQL tsvector literal with positions (1-based).

    Cast it with ``CAST(:value AS tsvector)``, not ``to_tsvector``, so PostgreSQL stores
    exactly these terms: "Sprachförderung" → ``'sprach':1 'sprachforder':1 'forder':1``.
    ``weight`` (A–D) is appended to every position for weighted ranking.
    """
    if weight not in ("", "A", "B", "C", "D"):
        raise ValueError(f"tsvector weight must be A, B, C or D, not {weight!r}")
    positions: dict[str, list[int]] = {}
    for token in analyze(text):
        where = positions.setdefault(token.text, [])
        position = min(token.pos + 1, TSVECTOR_MAX_POSITION)
        if not where or where[-1] != position:
            where.append(position)
    return " ".join(
        "'"
        + term.replace("\\", "\\\\").replace("'", "''")
        + "':"
        + ",".join(f"{position}{weight}" for position in where)
        for term, where in positions.items()
    )


# --- synonyms and query expansion -----------------------------------------------------------

Alternative = tuple[str, ...]  # terms that must all occur


@dataclass(frozen=True)
class Synonyms:
    """Synonym rules: each entry (a tuple of query terms) maps to its alternatives."""

    rules: dict[Alternative, tuple[Alternative, ...]]
    longest: int

    def alternatives(self, entry: Alternative) -> tuple[Alternative, ...]:
        return self.rules.get(entry, ())


def parse_synonyms(lines: Sequence[str]) -> Synonyms:
    """Parse the synonym format of content/search/synonyms.txt (see its header)."""
    rules: dict[Alternative, list[Alternative]] = {}

    def entries(side: str) -> list[Alternative]:
        result = []
        for phrase in side.split(","):
            analysed = tuple(terms(phrase, "query"))
            if analysed:
                result.append(analysed)
        return result

    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources, targets = entries(left), entries(right)
        else:
            sources = targets = entries(line)
        for source in sources:
            known = rules.setdefault(source, [])
            for target in targets:
                if target != source and target not in known:
                    known.append(target)
    longest = max((len(entry) for entry in rules), default=1)
    return Synonyms({key: tuple(value) for key, value in rules.items()}, longest)


@lru_cache(maxsize=1)
def synonyms() -> Synonyms:
    """The synonym list of content/search/synonyms.txt."""
    return parse_synonyms(list(_data_lines(SYNONYMS_FILE)))


def _decompounded(word: str) -> Alternative | None:
    analysed = analyze_word(word)
    spans = _split_spans(fold_accents(word)) if analysed else ()
    if not spans:
        return None
    lex = lexicon()
    leaves = [lemma(lex.spelling.get(p, p)) or lex.spelling.get(p, p) for _, _, p in spans]
    return tuple(dict.fromkeys(_term(leaf) for leaf in leaves))


def query_terms(word: str, *, use_synonyms: bool = True) -> list[Alternative]:
    """Alternatives for one query word, the word's own term first.

    Each alternative is a tuple of terms that must all occur: the word's term, its synonyms
    (from synonyms.txt) and, for a compound, its parts ("Sprachförderung" →
    ("sprachforder",), ("sprach", "forder")), so "Förderung der Sprache" can match too.
    """
    own = tuple(terms(word, "query"))
    if not own:
        return []
    found: list[Alternative] = [own]
    if use_synonyms:
        found += [alt for alt in synonyms().alternatives(own) if alt not in found]
    parts = _decompounded(word) if len(own) == 1 else None
    if parts and parts not in found:
        found.append(parts)
    return found


@dataclass(frozen=True)
class QueryPart:
    """One word or synonym phrase of a query with its alternatives (own terms first)."""

    text: str
    alternatives: tuple[Alternative, ...]


def expand_query(text: str, *, use_synonyms: bool = True) -> list[QueryPart]:
    """Split a query into words and multi-word synonym phrases, each with its alternatives.

    "Agentur für Arbeit Kita" → [Agentur für Arbeit: (agentur, arbeit), (arbeitsagentur,) …;
    Kita: (kita,), (kindertagesstatt,) …]. A document matches a part when all terms of one
    alternative occur in it.
    """
    words = list(_matches(text))
    analysed = [(m, tuple(terms(m.group(), "query"))) for m in words]
    analysed = [(m, found) for m, found in analysed if found]
    rules = synonyms() if use_synonyms else Synonyms({}, 1)
    result: list[QueryPart] = []
    index = 0
    while index < len(analysed):
        for size in range(min(rules.longest, len(analysed) - index), 1, -1):
            window = analysed[index : index + size]
            entry = tuple(term for _, found in window for term in found)
            if rules.alternatives(entry):
                phrase = text[window[0][0].start() : window[-1][0].end()]
                result.append(QueryPart(phrase, (entry, *rules.alternatives(entry))))
                index += size
                break
        else:
            match = analysed[index][0]
            alternatives = query_terms(match.group(), use_synonyms=use_synonyms)
            result.append(QueryPart(match.group(), tuple(alternatives)))
            index += 1
    return result


def matches(query: str, document: str, *, use_synonyms: bool = False) -> bool:
    """True if a document has every query word (one of its alternatives with synonyms).

    Without synonyms: the query's terms are a subset of the document's terms.
    """
    document_terms = set(terms(document))
    if not use_synonyms:
        wanted = set(terms(query, "query"))
        return bool(wanted) and wanted <= document_terms
    parts = expand_query(query)
    return bool(parts) and all(
        any(set(alternative) <= document_terms for alternative in part.alternatives)
        for part in parts
    )


def warm_up() -> None:
    """Load the dictionary, lexicon, stop words and synonyms now rather than on first use."""
    lemma.cache_clear()
    analyze("Integrationskurse für Geflüchtete")
    synonyms()


# --- Whoosh ---------------------------------------------------------------------------------


class GermanAnalyzer(Composable):  # type: ignore[misc]  # Whoosh has no type hints
    """Whoosh analyzer yielding exactly the terms of ``analyze`` with positions and offsets.

    Index with ``TEXT(analyzer=GermanAnalyzer())``; Whoosh's query parser calls it with
    ``mode="query"`` and gets only the words' own terms. Module-level, as Whoosh pickles the
    schema with its analyzers.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GermanAnalyzer)

    def __hash__(self) -> int:
        return hash(GermanAnalyzer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Any]:
        analysis_mode: Mode = "query" if mode == "query" else "index"
        # One token object, changed and yielded again, as Whoosh's own tokenizers do.
        out = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        out.boost = 1.0
        out.stopped = False
        for pos, (start, end, found) in enumerate(_words(value, analysis_mode), start_pos):
            if keeporiginal:
                out.original = value[start:end]
            if positions:
                out.pos = pos
            if chars:
                out.startchar = start_char + start
                out.endchar = start_char + end
            for term, _ in found:
                out.text = term
                yield out


def whoosh_analyzer() -> GermanAnalyzer:
    """The Whoosh analyzer of this module (see ``GermanAnalyzer``)."""
    return GermanAnalyzer()


def zipf_of(word: str) -> float:
    """The lexicon's Zipf frequency of a word (0 if unknown); for diagnostics and tests."""
    return lexicon().get(transliterate(word))


__all__ = [
    "GermanAnalyzer",
    "QueryPart",
    "Token",
    "WordTerms",
    "analyze",
    "analyze_word",
    "data_dir",
    "expand_query",
    "fold",
    "lemma",
    "matches",
    "query_terms",
    "split_compound",
    "synonyms",
    "terms",
    "tsvector_literal",
    "use_data_dir",
    "warm_up",
    "whoosh_analyzer",
    "zipf_of",
]
