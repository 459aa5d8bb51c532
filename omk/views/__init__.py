"""Thin blueprints: parse the request, call one service, render or redirect."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    """Register every HTML blueprint."""
    from omk.views import account, auth, health, main, municipalities, users

    for module in (main, auth, account, users, municipalities, health):
        app.register_blueprint(module.bp)
