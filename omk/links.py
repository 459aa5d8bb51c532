"""Absolute addresses: for links that leave the request (e-mails, the "Online:" line) and
for links a response hands out (a feed's address, the entries of a feed, the API's ``url``).

A link that leaves the request starts with ``OMK_BASE_URL``, never with the Host header of
whoever asked (a forged Host must not put its own address into a mail). Only in debug mode,
and only while ``OMK_BASE_URL`` is left at its default, a link to a *page* follows the address
the developer's browser used, so links work on any port; a link that carries a secret (set a
password, an invitation) always uses ``OMK_BASE_URL``.

A link in a response goes back to whoever asked: while ``OMK_BASE_URL`` is left at its
default it follows the address the request came to (``url_for(..., _external=True)``, behind
the trusted proxies of ``OMK_PROXY_COUNT``), so a feed copied from a server on another port
works; once ``OMK_BASE_URL`` is set, it is the public address.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

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


def response_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a response (see the module's rule): the request's own address
    while ``OMK_BASE_URL`` is left at its default, else ``OMK_BASE_URL``; outside a request
    always ``OMK_BASE_URL``."""
    if not has_request_context():
        base = secret_base_url()
        with current_app.test_request_context(base_url=base):
            return base + url_for(endpoint, **values)
    if base_url_is_default():
        return url_for(endpoint, _external=True, **values)
    return secret_base_url() + url_for(endpoint, **values)
