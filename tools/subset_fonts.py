"""Reduce the four Fira Sans faces OMK loads to Latin characters (``make assets``).

KERN-UX ships Fira Sans with Cyrillic, Greek and Vietnamese (132-148 KB per face); German
pages, register names (Sorbian and Danish ones included) and typographic punctuation need
Latin and Latin Extended-A. The subset keeps kerning, ligatures and tabular figures, every
name record (copyright, licence) and is renamed "OMK Sans": the SIL Open Font License asks
modified versions of a font with a Reserved Font Name ("Fira") to carry another name.
Characters outside the subset fall back to the next font (``unicode-range`` in fonts.css).

``python tools/subset_fonts.py SOURCE_DIR TARGET_DIR``
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset

#: Basic Latin, Latin-1, Latin Extended-A, spacing modifiers, general punctuation (dashes,
#: quotes „“ ‚‘, ellipsis, ›‹), superscripts, the euro sign, arrows and a few math signs.
#: fonts.css declares the same ranges as its ``unicode-range``.
UNICODES = (
    "U+0000-017F,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,"
    "U+2070-209F,U+20AC,U+2122,U+2190-2199,U+2212,U+2215,U+2248,U+2260,U+2264-2265,"
    "U+FEFF,U+FFFD"
)
FACES = ("Regular", "SemiBold", "Italic", "SemiBoldItalic")
#: Name records that are the font's name (family, full, PostScript, unique id, typographic).
RENAMED = (1, 3, 4, 6, 16, 17, 21, 22)


def _subset(source: Path, target: Path) -> None:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # kerning, ligatures, tnum (tables align figures)
    options.name_IDs = ["*"]  # keep copyright, licence and its URL
    options.name_languages = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in RENAMED:
            text = record.toUnicode().replace("Fira Sans", "OMK Sans")
            record.string = text.replace("FiraSans", "OMKSans")
    subset.save_font(font, str(target), options)


def main(argv: list[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for face in FACES:
        _subset(source / f"FiraSans-{face}.woff2", target / f"OMKSans-{face}.woff2")
        before = (source / f"FiraSans-{face}.woff2").stat().st_size
        after = (target / f"OMKSans-{face}.woff2").stat().st_size
        print(f"{face}: {before / 1024:.0f} KB → {after / 1024:.0f} KB")
    shutil.copy(Path(__file__).parent / "fonts" / "OFL.txt", target / "OFL.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
