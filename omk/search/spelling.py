"""Spelling correction of query words that match nothing ("Meinten Sie …?" and the search
that shows the corrected query's results).

A word that matches no practice gets the index's nearest word (the backend's ``suggest``:
edit distance at most 2, the most frequent first). A misspelled compound often has no such
neighbour as a whole ("Ehrenamtskordination": the corpus says "Ehrenamt" and
"Koordination", never "Ehrenamtskoordination"), so one part of it is corrected instead: the
word is cut where one side is a known German word (a compound modifier or head of the
lexicon) and the other side gets the index's nearest word.

Only words that are no German word themselves are corrected without being asked
(:func:`known_word`): a correctly spelled word that just does not occur in any practice
("Kriegserlebnissen") is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from omk.search import analysis
from omk.search.analysis.compounds import LINKERS, _head, _modifier

#: The shorter side of a cut has at least this many letters.
MIN_SIDE = 4
#: A side shorter than this may differ from its correction by one edit only.
SHORT_SIDE = 8
#: The known side of a cut has at least this many letters ("affee" is no evidence).
MIN_KNOWN = 6
#: At most this many cuts are tried (each asks the backend once or twice).
MAX_CUTS = 3

Suggest = Callable[[str], str | None]


def known_word(word: str) -> bool:
    """True if ``word`` is a German word as typed: in simplemma's dictionary or the lexicon
    (a compound of known parts is not enough: "Hausaufgabnhilfe" splits, wrongly)."""
    accents = analysis.fold_accents(word)
    return analysis.lemma(accents) is not None or analysis.zipf_of(accents) > 0


def confident(word: str, corrected: str) -> bool:
    """Whether a word that matches nothing is a typo of ``corrected`` rather than a word the
    practices lack: no German word as typed, and one edit away if it splits into known
    words ("Hausaufgabnhilfe" → "hausaufgabenhilfe", but not "Flüchtlingshelfer" →
    "flüchtlingshilfe")."""
    if known_word(word):
        return False
    return not analysis.split_compound(word) or distance(analysis.fold(word), corrected) <= 1


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def _close(typed: str, found: str | None) -> str | None:
    if not found or found == typed:
        return None
    allowed = 1 if len(typed) < SHORT_SIDE else 2
    return found if distance(typed, found) <= allowed else None


def _known_modifier(piece: str) -> bool:
    return _modifier(analysis.transliterate(piece)) is not None


def _known_head(piece: str) -> bool:
    return analysis.lemma(piece) is not None or _head(analysis.transliterate(piece)) is not None


def _corrected_modifier(piece: str, suggest: Suggest) -> str | None:
    """A misspelled left part, corrected with or without its linking morpheme."""
    found = _close(piece, suggest(piece))
    if found:
        return found
    for linker in LINKERS:
        stem = piece[: -len(linker)]
        if piece.endswith(linker) and len(stem) >= MIN_SIDE:
            found = _close(stem, suggest(stem))
            if found:
                return found + linker
            break
    return None


def compound_correction(word: str, suggest: Suggest) -> str | None:
    """A misspelled compound with one part corrected (folded), or None.

    "ehrenamtskordination" → "ehrenamtskoordination" (Ehrenamts + a correction of
    "kordination"); of the cuts with the longest known sides, the one needing fewest edits."""
    typed = analysis.fold_accents(word).lower()  # umlauts kept for the lexicon
    if not typed.isalpha() or len(typed) < 2 * MIN_SIDE or analysis.split_compound(typed):
        return None  # a compound of known words is no typo of one
    cuts: list[tuple[int, int, bool]] = []  # (known letters, cut, left side known)
    for cut in range(MIN_SIDE, len(typed) - MIN_SIDE + 1):
        left, right = typed[:cut], typed[cut:]
        if len(left) >= MIN_KNOWN and _known_modifier(left) and not _known_head(right):
            cuts.append((len(left), cut, True))
        elif len(right) >= MIN_KNOWN and _known_head(right) and not _known_modifier(left):
            cuts.append((len(right), cut, False))
    found: list[tuple[int, int, str]] = []  # (edits, -known letters, corrected word)
    for known, cut, left_known in sorted(cuts, reverse=True)[:MAX_CUTS]:
        left, right = analysis.fold(typed[:cut]), analysis.fold(typed[cut:])
        if left_known:
            fixed = _close(right, suggest(right))
            if fixed:
                found.append((distance(right, fixed), -known, left + fixed))
        else:
            fixed = _corrected_modifier(left, suggest)
            if fixed:
                found.append((distance(left, fixed), -known, fixed + right))
    return min(found)[2] if found else None


def correction(word: str, suggest: Suggest) -> str | None:
    """The index's word for a query word that matches nothing (folded), or None: the nearest
    word of the index, else the word with one compound part corrected."""
    folded = analysis.fold(word)
    found = suggest(folded)
    if found:
        return found if found != folded else None  # the index has the word itself
    return compound_correction(word, suggest)
