"""Thin blueprints: parse the request, call one service, render or redirect."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    """Register every HTML blueprint."""
    from omk.views import account, auth, cycles, health, main, municipalities, reports, users

    for module in (main, auth, account, users, municipalities, health, reports, cycles):
        app.register_blueprint(module.bp)
    reports.register_filters(app)
