"""Build content/search/lexicon-de.tsv.gz, the word list of the German compound splitter.

Run once by hand when the sources change (not at run time, not in CI):

    python -m venv /tmp/wf && /tmp/wf/bin/pip install 'wordfreq==3.1.1'
    /tmp/wf/bin/python scripts/build_search_lexicon.py

Sources (content/search/README.md has the licences): wordfreq 3.1.1's German frequencies
(data CC BY-SA 4.0, so the lexicon is CC BY-SA 4.0 too) for words with a Zipf frequency of at
least 2.0, plus every word of the demo practices (content/practices/practices.jsonl, CC BY 4.0)
with its wordfreq frequency, at least 1.5. One line per word: ``word<TAB>zipf*10``.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = ROOT / "content" / "practices" / "practices.jsonl"
TARGET = ROOT / "content" / "search" / "lexicon-de.tsv.gz"
MIN_ZIPF = 2.0
CORPUS_FLOOR = 1.5
WORD = re.compile(r"^[a-zäöüßàâçéèêëîïôûùñóú]{3,}$")
TEXT_FIELDS = ("title", "summary", "description", "outcomes", "transferability")


def corpus_words() -> set[str]:
    """Every lower-case word (hyphenated parts separately) of the demo practices."""
    words: set[str] = set()
    for line in PRACTICES.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts = [str(record.get(field) or "") for field in TEXT_FIELDS]
        texts += [str(actor.get("name", "")) for actor in record.get("actors", [])]
        for text in texts:
            for token in re.findall(r"[^\W\d_]+", text.lower()):
                if WORD.match(token):
                    words.add(token)
    return words


def main() -> None:
    """Write the lexicon file."""
    from wordfreq import get_frequency_dict  # only needed to rebuild the file

    frequencies = get_frequency_dict("de")
    lexicon: dict[str, float] = {}
    for word, frequency in frequencies.items():
        zipf = math.log10(frequency) + 9
        if zipf >= MIN_ZIPF and WORD.match(word):
            lexicon[word] = zipf
    for word in corpus_words():
        zipf = math.log10(frequencies[word]) + 9 if word in frequencies else 0.0
        lexicon[word] = max(lexicon.get(word, 0.0), zipf, CORPUS_FLOOR)
    lines = [f"{word}\t{round(zipf * 10)}" for word, zipf in sorted(lexicon.items())]
    header = (
        "# German word list for compound splitting; word<TAB>Zipf frequency x 10.\n"
        "# Derived from wordfreq 3.1.1 (data CC BY-SA 4.0) and content/practices (CC BY 4.0);\n"
        "# licensed CC BY-SA 4.0. See content/search/README.md.\n"
    )
    with gzip.GzipFile(TARGET, "wb", mtime=0) as handle:
        handle.write((header + "\n".join(lines) + "\n").encode("utf-8"))
    print(f"{len(lines)} words -> {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
