"""Thin blueprints: parse the request, call one service, render or redirect."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    """Register every HTML blueprint."""
    import omk.views.report_files as report_files
    from omk.views import (
        account,
        auth,
        compare,
        coverage,
        cycles,
        health,
        main,
        municipalities,
        practices,
        reports,
        search,
        synergies,
        synthesis,
        users,
    )
    from omk.views.publication import bp as publication_bp

    for module in (
        main,
        auth,
        account,
        users,
        municipalities,
        health,
        reports,
        cycles,
        search,
        practices,
        coverage,
        synergies,
        synthesis,
        compare,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(report_files.bp)  # the offline path: workbook download, file upload
    reports.register_filters(app)
    app.register_blueprint(publication_bp)
