"""The ``omk`` command: Flask's CLI group with the app's own commands."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup

from omk import exchange
from omk.cli_bench import bench_cli
from omk.errors import OmkError, ValidationFailed
from omk.policy import SYSTEM


def _create_app() -> Flask:
    from omk import create_app

    # Only the server loads the search data at start (omk/search/warm.py); other commands
    # would wait for it for nothing.
    serving = sys.argv[1:2] == ["run"]
    return create_app(None if serving else {"WARM_UP": "off"})


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
compare_cli = AppGroup("compare", help="Gespeicherte Kennzahlen des Vergleichs aktualisieren.")
similar_cli = AppGroup("similar", help="Ähnliche Maßnahmen (gespeicherte Nachbarn) aktualisieren.")
synergies_cli = AppGroup("synergies", help="Synergien: gespeicherte Ergebnisse neu berechnen.")
municipalities_cli = AppGroup("municipalities", help="Gemeindeverzeichnis (Destatis) verwalten.")


class _ProgressBars:
    """A click progress bar on stderr for each phase of a long service call."""

    LABELS: ClassVar[dict[str, str]] = {
        "lesen": "Verzeichnis lesen  ",
        "schreiben": "Datenbank schreiben",
    }

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, phase: str, total: int) -> None:
        self.close()
        self._bar = click.progressbar(
            length=max(total, 1), label=self.LABELS.get(phase, phase), file=sys.stderr
        )
        self._bar.__enter__()
        if total == 0:
            self._bar.update(1)

    def advance(self, steps: int) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@municipalities_cli.command("import")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--shipped",
    is_flag=True,
    help="Den mitgelieferten Auszug laden (content/register/AuszugGV4QAktuell.csv).",
)
@click.option(
    "--stand",
    "stand",
    metavar="TT.MM.JJJJ",
    help="Gebietsstand des Auszugs; ohne Angabe aus der README.md neben der Datei.",
)
def municipalities_import(path: Path | None, shipped: bool, stand: str | None) -> None:
    """Den Destatis-Auszug (AuszugGV4QAktuell.csv) laden oder aktualisieren."""
    from flask import current_app

    from omk.paths import REGISTER_FILE
    from omk.services.register_import import (
        RegisterImportError,
        import_register,
        parse_reference_date,
    )

    if (path is None) != shipped:
        raise click.UsageError("Entweder PATH oder --shipped angeben.")
    if path is None:
        path = current_app.extensions["omk_content"].root / REGISTER_FILE
        click.echo(f"Mitgelieferter Auszug: {path}", err=True)
    reference_date = None
    if stand:
        try:
            reference_date = parse_reference_date(stand)
        except ValueError:
            click.echo(f"Fehler: --stand {stand!r} ist kein Datum (TT.MM.JJJJ).", err=True)
            sys.exit(1)
    bars = _ProgressBars()
    try:
        result = import_register(
            path, reference_date=reference_date, require_reference_date=True, progress=bars
        )
    except RegisterImportError as exc:
        bars.close()
        click.echo(f"Fehler: {exc.message} – nichts wurde importiert.", err=True)
        sys.exit(1)
    finally:
        bars.close()
    labels = {
        "land": "Länder",
        "regierungsbezirk": "Regierungsbezirke",
        "region": "Regionen",
        "kreis": "Kreise",
        "gemeindeverband": "Gemeindeverbände",
        "gemeinde": "Gemeinden",
    }

    def n(value: int) -> str:
        return f"{value:,}".replace(",", ".")

    click.echo(", ".join(f"{n(result.counts.get(k, 0))} {v}" for k, v in labels.items()))
    seconds = f"{result.seconds:.2f}".replace(".", ",")
    click.echo(
        f"{n(result.inserted)} neu, {n(result.updated)} geändert, "
        f"{n(result.retired)} nicht mehr aktuell, {n(result.unchanged)} unverändert "
        f"– in {seconds} s."
    )
    if result.reference_date is not None:
        click.echo(f"Gebietsstand: {result.reference_date:%d.%m.%Y}")


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
        accounts.send_password_link(user, invitation=True)
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
    from omk.search import ensure_index

    click.echo(f"Suchindex bereit: {ensure_index()}")


@search_cli.command("sync")
def search_sync() -> None:
    """Offene Änderungen (Outbox) in den Suchindex übernehmen (für cron)."""
    from omk.search import service

    applied = service.sync()
    pending = service.status()["outbox_pending"]
    click.echo(f"{applied} Änderungen übernommen, {pending} offen.")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Den Suchindex neben dem laufenden neu aufbauen und dann austauschen."""
    from omk.search import service

    started = time.perf_counter()
    bar = click.progressbar(length=1, label="Maßnahmen indexieren", file=sys.stderr)
    with bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        count = service.reindex(progress)
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(f"{count} Fassungen indexiert in {seconds} s; der neue Index ist aktiv.")


@search_cli.command("embed")
def search_embed() -> None:
    """Fehlende Textabschnitt-Vektoren (Suche nach Bedeutung) für alle Maßnahmen berechnen."""
    from omk.search import embeddings, passages

    if not embeddings.embeddings_available():
        reason = embeddings.unavailable_reason() or "Sprachmodell nicht verfügbar"
        click.echo(f"Nichts zu tun: {reason}. Die Suche bleibt wortbasiert.", err=True)
        sys.exit(1)
    started = time.perf_counter()
    with click.progressbar(length=1, label="Maßnahmen einbetten", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done)

        count = passages.embed_all(progress)
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(f"{count} Fassungen eingebettet in {seconds} s; gespeicherte wiederverwendet.")


@search_cli.command("verify")
def search_verify() -> None:
    """Suchindex und Datenbank vergleichen; Exit-Code 1 bei Abweichungen."""
    from omk.search import service
    from omk.services import outbox

    drift = service.verify()
    for label, keys in (
        ("fehlt im Index", drift.missing),
        ("veraltet im Index", drift.stale),
        ("im Index, aber nicht veröffentlicht", drift.extra),
    ):
        for key in keys:
            click.echo(f"{label}: {key}")
    if drift.clean:
        click.echo("Suchindex und Datenbank stimmen überein.")
        return
    n = len(drift.missing) + len(drift.stale) + len(drift.extra)
    # sync only applies what the outbox still holds; drift without pending entries (an index
    # changed behind the outbox's back) only a rebuild repairs
    pending = outbox.lag(service.CONSUMER).pending
    if pending:
        click.echo(
            f"{n} Abweichungen; {pending} Änderungen warten noch auf den Index: "
            "`omk search sync` übernimmt sie. Bleiben danach Abweichungen, "
            "behebt `omk search reindex` sie.",
            err=True,
        )
    else:
        click.echo(f"{n} Abweichungen: `omk search reindex` behebt sie.", err=True)
    sys.exit(1)


cycles_cli = AppGroup("cycles", help="Berichtsrunden verwalten.")
reports_cli = AppGroup(
    "reports", help="Berichte im Format omk-report/1 importieren und exportieren."
)
reminders_cli = AppGroup("reminders", help="Erinnerungen an fällige Berichte.")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} ist kein Datum (JJJJ-MM-TT).") from None


@cycles_cli.command("create")
@click.argument("code")
@click.option("--start", "start", required=True, help="Beginn des Berichtszeitraums (JJJJ-MM-TT).")
@click.option("--end", "end", required=True, help="Ende des Berichtszeitraums (JJJJ-MM-TT).")
@click.option("--deadline", required=True, help="Abgabefrist (JJJJ-MM-TT).")
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="AGS-Präfix einer erfassten Region (mehrfach möglich); ohne: ganz Deutschland.",
)
@click.option("--title", default="", help="Titel der Runde.")
@click.option("--objectives-file", type=click.File(encoding="utf-8"), help="Ziele (Markdown).")
@click.option("--template-version", default=None, help="Version der Berichtsvorlage.")
def cycles_create(
    code: str,
    start: str,
    end: str,
    deadline: str,
    regions: tuple[str, ...],
    title: str,
    objectives_file: Any,
    template_version: str | None,
) -> None:
    """Eine Berichtsrunde eröffnen, z. B. omk cycles create 2025 --start 2025-01-01 …"""
    from omk.services import cycles

    try:
        cycle = cycles.create_cycle(
            SYSTEM,
            code,
            _date(start),
            _date(end),
            _date(deadline),
            regions=list(regions) or [""],
            title=title,
            objectives=objectives_file.read() if objectives_file else "",
            template_version=template_version,
        )
    except OmkError as exc:
        fail(exc)
        return
    where = ", ".join(p or "ganz Deutschland" for p in cycle.prefixes)
    click.echo(
        f"Berichtsrunde {cycle.code} eröffnet: {cycle.period_start:%d.%m.%Y}–"
        f"{cycle.period_end:%d.%m.%Y}, Frist {cycle.deadline:%d.%m.%Y}, Regionen: {where}, "
        f"Vorlage {cycle.template_version}."
    )


def _documents(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.is_file())
    return [path]


@reports_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--publish",
    is_flag=True,
    help="Direkt als veröffentlichte (angenommene) Fassung importieren – für den Umzug "
    "zwischen Instanzen; mit Eintrag im Audit-Log.",
)
def reports_import(path: Path, publish: bool) -> None:
    """Berichte (omk-report/1, eine JSON-Datei je Bericht) aus einer Datei oder einem Ordner."""
    from omk.services import reports

    files = _documents(path)
    if not files:
        click.echo("Keine .json-Dateien gefunden.", err=True)
        sys.exit(1)
    changed = unchanged = failed = 0
    with click.progressbar(files, label="Berichte importieren", file=sys.stderr) as bar:
        for file in bar:
            try:
                doc = exchange.parse_json(file.read_bytes(), where="file")
                _, did_change = reports.import_document(SYSTEM, doc, publish=publish)
            except OmkError as exc:
                failed += 1
                click.echo(f"\n{file}: {exc.message}", err=True)
                if isinstance(exc, ValidationFailed):
                    for error in exc.errors:
                        click.echo(f"  - {error.field}: {error.message}", err=True)
                continue
            changed += did_change
            unchanged += not did_change
    click.echo(f"{changed} importiert, {unchanged} unverändert, {failed} fehlerhaft.")
    if failed:
        sys.exit(1)


@reports_cli.command("check-unknown")
def reports_check_unknown() -> None:
    """Gespeicherte unbekannte Felder prüfen (höchstens 20 je Objekt, 10 KB je Wert, Tiefe 5).

    Listet Kommune, Runde, Fassung (oder Entwurf) und Pfad jedes Verstoßes – nie den Inhalt –
    und endet mit 1, wenn es welche gibt. Nichts wird geändert oder gelöscht."""
    from sqlalchemy import select

    from omk.extensions import db
    from omk.models import Report
    from omk.services import reports

    found = 0
    for report in db.session.scalars(select(Report).order_by(Report.id)):
        where = f"{report.municipality_key} {report.cycle.code}"
        stored = [("Entwurf", reports.working_document(report))]
        stored += [
            (f"Fassung {rev.number}", reports.revision_document(rev))
            for rev in sorted(report.revisions, key=lambda r: r.number)
        ]
        for label, doc in stored:
            for error in exchange.bound_errors(doc):
                found += 1
                click.echo(f"{where} {label}: {error.field}: {error.message}")
    if found:
        click.echo(f"{found} Verstöße gegen die Grenzen für unbekannte Felder.", err=True)
        sys.exit(1)
    click.echo("Alle gespeicherten unbekannten Felder liegen in den Grenzen.")


@reports_cli.command("export")
@click.option("--cycle", "cycle_code", required=True, help="Code der Berichtsrunde.")
@click.option("--region", default="", help="Nur diese Region (AGS-Präfix).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Zielordner (wird angelegt).",
)
def reports_export(cycle_code: str, region: str, output: Path) -> None:
    """Die veröffentlichten Berichte einer Runde als omk-report/1-Dateien (Entwürfe nie)."""
    from omk.services import cycles, reports

    try:
        cycle = cycles.get_cycle(cycle_code)
    except OmkError as exc:
        fail(exc)
        return
    documents = reports.export_documents(SYSTEM, cycle, region)
    output.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        target = output / f"{doc['cycle']}_{doc['municipality']}.json"
        target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"{len(documents)} Bericht(e) nach {output} exportiert.")


@reminders_cli.command("send")
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(0, 365),
    help="Erinnern, wenn die Frist in höchstens so vielen Tagen endet (oder abgelaufen ist).",
)
def reminders_send(days: int) -> None:
    """Kommunen erinnern, die noch nicht eingereicht haben (für cron, einmal täglich)."""
    from omk.services import cycles

    sent = cycles.send_reminders(days)
    mails = sum(n for _, _, n in sent)
    click.echo(f"{len(sent)} Kommune(n) erinnert, {mails} E-Mail(s) versandt.")


@click.command("demo")
def demo() -> None:
    """Demodaten anlegen (Konten, drei Berichtsrunden, Berichte mit echten Maßnahmen und
    synthetischen Kennzahlen); idempotent. Gibt eine Übersicht und die Zugangsdaten aus."""
    from omk import demo as demo_service

    def warn(skipped: list[demo_service.SourcePractice]) -> None:
        names = sorted({p.municipality_name for p in skipped})
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        click.echo(
            f"Warnung: {len(skipped)} Maßnahmen übersprungen – ihre Kommune "
            f"({len(names)}: {shown}) fehlt im Gemeindeverzeichnis.",
            err=True,
        )

    started = time.perf_counter()

    def progress(step: demo_service.Progress) -> None:
        elapsed = f"[{time.perf_counter() - started:4.0f} s]"
        if step.stage == "reports" and step.created:
            click.echo(
                f"{elapsed} Runde {step.cycle}: {step.done} von {step.total} Kommunen, "
                f"{step.created} Berichte neu …",
                err=True,
            )
        elif step.stage == "update" and step.created:
            click.echo(
                f"{elapsed} Suchindex, ähnliche Maßnahmen und Vektoren für die Suche nach "
                "Bedeutung aktualisieren …",
                err=True,
            )

    click.echo(
        "Demodaten anlegen … (beim ersten Mal etwa ein bis zwei Minuten: Berichte über die "
        "echten Abläufe, Suchindex, ähnliche Maßnahmen)",
        err=True,
    )
    try:
        result = demo_service.create_demo(on_skipped=warn, on_progress=progress)
    except OmkError as exc:
        fail(exc)
        return
    click.echo(
        f"Demodaten: {result.practices} Maßnahmen aus content/practices/ "
        f"(echt, mit Quellen, CC BY 4.0), {result.reports_created} Berichte neu angelegt "
        f"in {result.seconds:.1f} s."
    )
    for code, counts in result.counts.items():
        status = "offen" if result.cycle_status.get(code) == "open" else "geschlossen"
        parts = [
            f"{counts[state]} {label}"
            for state, label in demo_service.STATE_COUNT_LABELS.items()
            if counts.get(state)
        ]
        total = sum(counts.values())
        click.echo(f"  Runde {code} ({status}): {total} Berichte – " + ", ".join(parts or ["–"]))
    click.echo("Die Kennzahlen der Demoberichte sind synthetisch und als solche gekennzeichnet.")
    click.echo("")
    click.echo(f"Demo-Zugänge (Passwort für alle: {demo_service.DEMO_PASSWORD}):")
    for account, created in result.accounts:
        note = "" if created else " (bestand schon)"
        click.echo(f"  {account.role.value:9} {account.email}{note}")
    click.echo(
        f"Dazu {result.other_accounts} Konten ohne Passwort (Berichterstattung je Kommune, "
        f"Prüfstelle je Land), davon {result.other_accounts_created} neu."
    )


@click.command("synthesis")
@click.option("--cycle", "cycle_code", required=True, help="Code der Berichtsrunde, z. B. 2025.")
@click.option("--region", default="", help="AGS-Präfix (Land, Bezirk, Kreis); leer: Deutschland.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "md", "csv"]),
    default="pdf",
    show_default=True,
    help="pdf, html (druckbar), md (Markdown) oder csv (ZIP je Tabelle)",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--names/--no-names",
    default=False,
    show_default=True,
    help="Beteiligung mit Namen der Kommunen (sonst nur Zahlen)",
)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
def synthesis(cycle_code: str, region: str, fmt: str, output: Path, names: bool, lang: str) -> None:
    """Synthesebericht einer Runde und Region erzeugen (nur angenommene Berichte)."""
    from omk.synthesis import cli_support

    try:
        seconds = cli_support.write(cycle_code, region, fmt, output, names=names, lang=lang)
    except OmkError as exc:
        fail(exc)
        return
    size = f"{output.stat().st_size:,}".replace(",", ".")
    took = f"{seconds:.1f}".replace(".", ",")
    click.echo(f"Synthesebericht geschrieben: {output} ({size} Bytes, {took} s)")


outbox_cli = AppGroup("outbox", help="Änderungen an Veröffentlichtem für Suchindex und Co.")


@outbox_cli.command("status")
def outbox_status() -> None:
    """Je Verbraucher zeigen, wie viele Einträge noch nicht angewendet sind."""
    from omk.services import outbox

    names = sorted(outbox.consumers())
    if not names:
        click.echo("Keine Verbraucher registriert.")
    for name in names:
        lag = outbox.lag(name)
        oldest = lag.oldest_at.isoformat(timespec="seconds") if lag.oldest_at else "–"
        click.echo(f"{name}: Stand {lag.position}, {lag.pending} offen (ältester: {oldest})")


@outbox_cli.command("drain")
def outbox_drain() -> None:
    """Alle offenen Einträge an alle Verbraucher ausliefern (für cron)."""
    from omk.services import outbox

    registered = outbox.consumers()
    for name in outbox.in_order(sorted(registered)):
        click.echo(f"{name}: {outbox.drain(name, registered[name])} angewendet")


def _echo_sync(applied: int, consumer: str) -> None:
    """Say what an outbox consumer's sync applied and what it still has to do."""
    from omk.services import outbox

    pending = outbox.lag(consumer).pending
    click.echo(f"{applied} Änderungen übernommen, {pending} offen.")


@similar_cli.command("sync")
def similar_sync() -> None:
    """Offene Änderungen (Outbox) in die ähnlichen Maßnahmen übernehmen (für cron)."""
    from omk.services import similarity

    _echo_sync(similarity.sync(), similarity.CONSUMER)


@similar_cli.command("rebuild")
def similar_rebuild() -> None:
    """Fehlende Vektoren berechnen und alle ähnlichen Maßnahmen neu bestimmen."""
    _rebuild_similar()


@synergies_cli.command("sync")
@click.option(
    "--suggestions-only",
    is_flag=True,
    help="Nur veraltete Vorschläge neu berechnen, die ähnlichen Maßnahmen nicht (häufiger cron).",
)
def synergies_sync(suggestions_only: bool) -> None:
    """Alles neu berechnen, was die Synergie-Seite gespeichert liest (für cron): die ähnlichen
    Maßnahmen, dann die Vorschläge jeder Art und Runde (eine Liste für alle Sprachen)."""
    from omk.synergies import store

    if not suggestions_only:
        _rebuild_similar()
    started = time.perf_counter()

    def progress(work: store.Work, n: int, total: int) -> None:
        click.echo(f"[{n}/{total}] {work.cycle.code} · {work.provider.kind}", err=True)

    count = store.sync(progress=progress)
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(f"{count} Vorschlagslisten neu berechnet in {seconds} s.")


def _rebuild_similar() -> None:
    from omk.search import embeddings
    from omk.services import similarity

    started = time.perf_counter()
    cpu = time.process_time()
    reason = embeddings.unavailable_reason()
    count = similarity.rebuild()
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    cpu_seconds = f"{time.process_time() - cpu:.1f}".replace(".", ",")
    how = "lexikalisch (" + reason + ")" if reason else "lexikalisch und semantisch (e5)"
    click.echo(
        f"{count} Nachbarn gespeichert in {seconds} s (CPU {cpu_seconds} s); Verfahren: {how}."
    )


@compare_cli.command("sync")
def compare_sync() -> None:
    """Offene Änderungen (Outbox) in die gespeicherten Kennzahlen übernehmen (für cron)."""
    from omk.services.compare import store

    _echo_sync(store.sync(), store.CONSUMER)


@compare_cli.command("rebuild")
def compare_rebuild() -> None:
    """Die Kennzahlen aller veröffentlichten Berichte neu speichern."""
    from omk.services.compare import store

    started = time.perf_counter()
    count = store.rebuild()
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(f"{count} Kennzahlen gespeichert in {seconds} s.")


# Needs no app and no configuration: on the top-level group, not attached by the app.
main.add_command(bench_cli)


def register_commands(app: Flask) -> None:
    """Attach the app's command groups to ``flask``/``omk``."""
    for group in (
        users_cli,
        tokens_cli,
        search_cli,
        similar_cli,
        compare_cli,
        synergies_cli,
        municipalities_cli,
        cycles_cli,
        reports_cli,
        reminders_cli,
        outbox_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(demo)
    app.cli.add_command(synthesis)
