"""WSGI entry point: ``gunicorn wsgi:app``."""

from omk import create_app

app = create_app()
