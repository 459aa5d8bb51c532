"""Compound splitting over the frequency lexicon (parts, linking morphemes, no-split list)."""

from __future__ import annotations

import re
from functools import lru_cache

from .dictionary import _capitalised, _dictionary, lexicon, nosplit, stopwords
from .folding import transliterate

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


#: Separable verb prefixes: "zu" + "ge" starts a participle (zugewandert, angekommen,
#: eingebürgert), so a left piece such as "zuge" or "ange" is never a compound's modifier.
SEPARABLE_PREFIXES = frozenset(
    (
        *("ab", "an", "auf", "aus", "bei", "dabei", "dar", "durch", "ein", "fest", "fort"),
        *("frei", "her", "heraus", "herein", "hin", "hinaus", "hoch", "los", "mit", "nach"),
        *("statt", "teil", "um", "vor", "voran", "vorbei", "weg", "weiter", "wieder", "zu"),
        *("zurueck", "zusammen"),
    )
)


def _participle_start(piece: str) -> bool:
    """True for a separable prefix followed by the participle's "ge" (zuge-, ange-)."""
    return piece.endswith("ge") and piece[:-2] in SEPARABLE_PREFIXES


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
        if cut in forbidden or _participle_start(key[:cut]):
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
