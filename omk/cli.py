"""The ``omk`` command: Flask's CLI group with the app's own commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup

from omk.errors import OmkError, ValidationFailed


def _create_app() -> Flask:
    from omk import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """OMK – Wissensdatenbank kommunale Integration (Offene Methode der Koordinierung)."""


def fail(exc: OmkError) -> None:
    """Print a domain error (with every field error) in German and exit with status 1."""
    click.echo(f"Fehler: {exc.message}", err=True)
    if isinstance(exc, ValidationFailed):
        for error in exc.errors:
            where = f" ({error.location})" if error.location else ""
            click.echo(f"  - {error.field}{where}: {error.message}", err=True)
    sys.exit(1)


users_cli = AppGroup("users", help="Konten verwalten.")
tokens_cli = AppGroup("tokens", help="API-Tokens verwalten.")
search_cli = AppGroup("search", help="Suchindex verwalten.")
municipalities_cli = AppGroup("municipalities", help="Gemeindeverzeichnis (Destatis) verwalten.")


@municipalities_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def municipalities_import(path: Path) -> None:
    """Den Destatis-Auszug (AuszugGV4QAktuell.csv) laden oder aktualisieren."""
    from omk.services.register_import import RegisterImportError, import_register

    total_lines = max(1, sum(1 for _ in path.open("rb")) - 1)
    try:
        with click.progressbar(
            length=total_lines, label="Verzeichnis lesen", file=sys.stderr
        ) as bar:
            result = import_register(path, on_parsed=bar.update)
    except RegisterImportError as exc:
        click.echo(f"Fehler: {exc.message} – nichts wurde importiert.", err=True)
        sys.exit(1)
    labels = {
        "land": "Länder",
        "regierungsbezirk": "Regierungsbezirke",
        "region": "Regionen",
        "kreis": "Kreise",
        "gemeindeverband": "Gemeindeverbände",
        "gemeinde": "Gemeinden",
    }
    click.echo(
        ", ".join(f"{result.counts.get(k, 0):,} {v}".replace(",", ".") for k, v in labels.items())
    )
    click.echo(
        f"{result.inserted} neu, {result.updated} geändert, {result.retired} nicht mehr aktuell, "
        f"{result.unchanged} unverändert – in {result.seconds:.2f} s."
    )


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["reporter", "staff", "reviewer", "admin"])
)
@click.option("--municipality", "municipality", help="AGS der Kommune (Berichterstattung).")
@click.option("--scope", help="AGS-Präfix der Region (Prüfstelle), z. B. 05 oder 05315.")
@click.option("--name", default="", help="Anzeigename.")
@click.option("--password-stdin", is_flag=True, help="Passwort von der Standardeingabe lesen.")
@click.option(
    "--invite", is_flag=True, help="Kein Passwort setzen, sondern eine Einladung per E-Mail senden."
)
def users_create(
    email: str,
    role: str,
    municipality: str | None,
    scope: str | None,
    name: str,
    password_stdin: bool,
    invite: bool,
) -> None:
    """Ein Konto anlegen (Passwort per Eingabeaufforderung oder --password-stdin)."""
    from omk.services import accounts

    password: str | None
    if invite:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Passwort", hide_input=True, confirmation_prompt="Wiederholen")
    try:
        user = accounts.create_user(
            None,
            email,
            role,
            name=name,
            password=password,
            municipality_key=municipality,
            scope=scope,
        )
    except OmkError as exc:
        fail(exc)
        return
    if invite:
        from flask import current_app

        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            from omk.views.auth import send_password_link

            send_password_link(user, invitation=True)
        click.echo(f"Einladung an {user.email} verschickt.")
    click.echo(f"Konto {user.id} angelegt: {user.email} ({role}).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--label", default="cli", help="Bezeichnung des Tokens.")
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Gültigkeit in Tagen.")
def tokens_create(email: str, label: str, days: int | None) -> None:
    """Ein API-Token für ein Konto erzeugen; das Token steht in der letzten Zeile."""
    from omk.services import accounts

    user = accounts.find_user_by_email(email)
    if user is None or not user.is_active:
        click.echo(f"Fehler: kein aktives Konto {email}.", err=True)
        sys.exit(1)
    token = accounts.create_token(None, user, label, days)
    click.echo(f"Token für {user.email} (nur jetzt sichtbar):")
    click.echo(token)


@search_cli.command("init")
def search_init() -> None:
    """Einen leeren Suchindex anlegen, falls keiner existiert."""
    from omk.search import ensure_index, index_dir

    ensure_index()
    click.echo(f"Suchindex bereit: {index_dir()}")


@click.command("demo")
def demo() -> None:
    """Demo-Konten (eines je Rolle) und Demodaten anlegen; gibt die Zugangsdaten aus."""
    from omk.services import demo as demo_service

    pairs = demo_service.ensure_accounts()
    click.echo("")
    click.echo(f"Demo-Zugänge (Passwort für alle: {demo_service.DEMO_PASSWORD}):")
    for account, created in pairs:
        note = "" if created else " (bestand schon)"
        click.echo(f"  {account.role.value:9} {account.email}{note}")


def register_commands(app: Flask) -> None:
    """Attach the app's command groups to ``flask``/``omk``."""
    for group in (users_cli, tokens_cli, search_cli, municipalities_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo)
