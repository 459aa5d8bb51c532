"""Where the data folders that ship with the code live: ``content/`` and ``migrations/``.

One rule for both. In a checkout of the repository (``setup.cfg`` beside the ``omk`` package)
they are the repository's top-level folders. An installed package (``pip install .``, a wheel)
carries copies of them in ``omk/_shipped/`` (put there by ``setup.py``). The setting
``OMK_CONTENT_DIR`` points the app at another content folder; migrations always come with
the code.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
SHIPPED_DIR = PACKAGE_DIR / "_shipped"


def shipped(name: str) -> Path:
    """The folder ``name`` (content, migrations): the checkout's, else the package's copy."""
    checkout = CHECKOUT_DIR / name
    if (CHECKOUT_DIR / "setup.cfg").is_file() and checkout.is_dir():
        return checkout
    return SHIPPED_DIR / name


CONTENT_DIR = shipped("content")
MIGRATIONS_DIR = shipped("migrations")
#: The Destatis extract within the content folder (``omk municipalities import --shipped``).
REGISTER_FILE = "register/AuszugGV4QAktuell.csv"
