"""Absolute addresses for links that leave the request: e-mails and the "Online:" line.

Every such link starts with ``OMK_BASE_URL``, never with the Host header of whoever asked
(a forged Host must not put its own address into a mail). Only in debug mode, and only while
``OMK_BASE_URL`` is left at its default, a link to a *page* follows the address the
developer's browser used, so links work on any port; a link that carries a secret (set a
password, an invitation) always uses ``OMK_BASE_URL``.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

from omk.config import Defaults


def secret_base_url() -> str:
    """The base of links that carry a secret: always ``OMK_BASE_URL``."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def page_base_url() -> str:
    """The base of links to pages (see the module's rule for debug mode)."""
    base = secret_base_url()
    if (
        current_app.debug
        and base == Defaults.BASE_URL.rstrip("/")
        and has_request_context()
        and request.host_url
    ):
        return request.host_url.rstrip("/")
    return base


def base_url_is_default() -> bool:
    """Whether ``OMK_BASE_URL`` was left at its default (links would point at 127.0.0.1)."""
    return secret_base_url() == Defaults.BASE_URL.rstrip("/")
