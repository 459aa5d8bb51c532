"""Texts of the comparison translated at run time are listed for extraction and translated."""

from __future__ import annotations

from omk.compare import peers, scoreboard
from omk.services import compare
from tests.test_i18n import _catalogue


def test_scoreboard_and_group_labels_are_translated() -> None:
    catalogue = _catalogue()
    for text in [
        *scoreboard.BAND_LABELS.values(),
        *scoreboard.CATEGORY_LABELS.values(),
        *peers.GROUP_LABELS.values(),
        compare.NOT_GIVEN,
    ]:
        assert text in catalogue, f"{text!r}: add it to omk/translations/dynamic_msgids.py"
