"""Messages that are shown in the language of the request: a German msgid and its parameters.

A service or validator raises its errors with ``msg("Die Runde %(code)s gibt es nicht.",
code=code)``. The result is a :class:`Message`: a ``str`` holding the German text (so the API,
logs and tests see exactly what they saw before) that also keeps its msgid and parameters.
Shown on a page it is translated first and formatted afterwards, in the request's language:
``_(message)`` in a view and ``{{ message }}`` in a template both do that (see
:func:`install`), where ``_()`` of the formatted German text could never match a msgid.

``msg`` is an extraction keyword (Makefile ``translations-update``, tests/test_i18n.py), so
its first argument must be a literal. Parameters that are Messages themselves are translated
as well; any other parameter is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from babel import support
from flask import Flask

#: A parameter of a message: shown as it is (a Message is translated first).
Param = str | int | float | None


class Message(str):
    """The German text of ``msgid % params``, which knows its msgid and parameters."""

    msgid: str
    params: Mapping[str, Param]

    def __new__(cls, msgid: str, params: Mapping[str, Param] | None = None) -> Message:
        values = dict(params or {})
        self = super().__new__(cls, msgid % values if values else msgid)
        self.msgid = msgid
        self.params = values
        return self

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext``: the msgid translated, then formatted."""
        text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {
            name: value.translated(gettext) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }


def msg(msgid: str, **params: Param) -> Message:
    """A message translated when shown: ``msg("Revision %(number)s gibt es nicht.", number=3)``."""
    return Message(msgid, params)


def localise(text: str) -> str:
    """``text`` in the language of the request (a Message formatted after translating)."""
    from flask_babel import gettext

    if isinstance(text, Message):
        return text.translated(gettext)
    translated: str = gettext(text)
    return translated


class _Translations(support.Translations):
    """The catalogue of a language that translates a Message by its msgid and parameters."""

    def gettext(self, message: str) -> str:
        if isinstance(message, Message):
            return message.translated(super().gettext)
        return super().gettext(message)

    ugettext = gettext


def _finalize(value: Any) -> Any:
    """What ``{{ … }}`` prints: a Message in the language of the request."""
    return localise(value) if isinstance(value, Message) else value


def install(app: Flask) -> None:
    """Make ``_()`` (Python and templates) and ``{{ … }}`` translate Messages.

    Flask-Babel looks texts up in a ``babel.support.Translations`` per language; the domain
    below hands out the same catalogues as :class:`_Translations`."""
    from flask_babel import Domain, get_babel

    class MessageDomain(Domain):  # type: ignore[misc,unused-ignore]  # flask_babel: no hints
        def get_translations(self) -> support.NullTranslations:
            state = _babel_state()
            cached = getattr(state, "babel_translations", None)
            if cached is not None:
                return cached  # type: ignore[no-any-return]  # Flask-Babel stores it untyped
            translations: support.NullTranslations = super().get_translations()
            if type(translations) is support.Translations:
                translations.__class__ = _Translations
            if state is not None:
                state.babel_translations = translations
            return translations

    config = get_babel(app)
    config.instance.domain_instance = MessageDomain(domain=config.default_domain)
    app.jinja_env.finalize = _finalize
    # Flask-Babel's own callables look the locale and catalogue up anew for every text; a
    # 50-row table asks hundreds of times. These take the request's catalogue once.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # i18n extension
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )


def _babel_state() -> Any:
    """Flask-Babel's per-request state (``g._flask_babel``), None outside a request."""
    from flask.globals import _cv_app

    ctx = _cv_app.get(None)
    return ctx.g.__dict__.get("_flask_babel") if ctx is not None else None


def current_translations() -> support.NullTranslations:
    """The catalogue of the request's language, looked up once per request.

    Kept where Flask-Babel keeps its per-request state (``babel_translations``), which its
    ``refresh()`` deletes and ``force_locale()`` resets, so both still switch the language."""
    from flask_babel import get_translations

    cached = getattr(_babel_state(), "babel_translations", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]  # Flask-Babel stores it untyped
    translations: support.NullTranslations = get_translations()
    return translations
