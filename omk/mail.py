"""Outgoing e-mail through SMTP, or into files or the log in development and tests."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, g, has_app_context

log = logging.getLogger("omk.mail")


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="omk")
    email.set_content(body)
    return email


def mail_dir() -> Path:
    """Where the file backend writes one .eml per message."""
    return Path(current_app.instance_path) / "mail"


@contextmanager
def held() -> Iterator[None]:
    """Send no mail inside the block, only log it at DEBUG level.

    For generated data (``omk demo``): it walks the real workflow, whose notifications would
    otherwise go to invented addresses.
    """
    previous = g.get("omk_mail_held", False)
    g.omk_mail_held = True
    try:
        yield
    finally:
        g.omk_mail_held = previous


def is_held() -> bool:
    """Whether mail is held back (inside :func:`held`)."""
    return has_app_context() and bool(g.get("omk_mail_held", False))


def send(to: str, subject: str, body: str) -> None:
    """Send one message with the configured backend (smtp, file or log)."""
    if is_held():
        log.debug("mail held back (subject %r)", subject)
        return
    email = build_message(to, subject, body)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(email)
    elif backend == "file":
        folder = mail_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = email["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (folder / f"{name}.eml").write_bytes(bytes(email))
        log.info("mail written to %s (subject %r)", folder, subject)
    elif backend == "log":
        log.info("mail (log backend): subject=%r\n%s", subject, body)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def _send_smtp(email: EmailMessage) -> None:
    cfg = current_app.config
    timeout = cfg["MAIL_TIMEOUT"]
    smtp: smtplib.SMTP
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"],
            cfg["MAIL_PORT"],
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)
    log.info("mail sent via SMTP (subject %r)", email["Subject"])
