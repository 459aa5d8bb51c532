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
  at most MAX_GROUP words (larger ones are too vague to expand a query with).

Nothing here was chosen for a query of the evaluation sets: the filter is the same for every
synset.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omk.search import analysis

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = ROOT / "content" / "practices" / "practices.jsonl"
DOMAIN_FILES = (ROOT / "content" / "taxonomy.yaml", ROOT / "content" / "indicators.yaml")
TARGET = ROOT / "content" / "search" / "thesaurus-de.txt"
TEXT_FIELDS = ("title", "summary", "description", "outcomes", "transferability", "actors")
MIN_ZIPF = 3.0
MAX_GROUP = 12
WORD = re.compile(r"^[A-Za-zÄÖÜäöüß]{4,}$")
LABEL = re.compile(r"\s*\(([^)]*)\)")

HEADER = """\
# Related words for query expansion, derived from OpenThesaurus (www.openthesaurus.de,
# Daniel Naber and the OpenThesaurus contributors; Debian package mythes-de 20160424).
# Licence: LGPL-2.1 or later, as its source (content/search/README.md). Do not edit by hand:
# rebuild with scripts/build_search_thesaurus.py (it says what is kept).
# Format: the synonym format of synonyms.txt (one group of equivalent words per line). A
# query word's expansions from this file rank below the word itself and below synonyms.txt.
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


def main(source: Path) -> None:
    domain = domain_terms()
    lines: list[str] = []
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
            lines.append(", ".join(kept))
    lines = sorted(set(lines), key=str.casefold)
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} groups written to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
