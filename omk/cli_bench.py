"""``omk bench``: the benchmarks, which print measured numbers (no app, no configuration:
each builds what it measures in a temporary folder or a throwaway database)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import click

bench_cli = click.Group("bench", help="Benchmarks (ohne Datenbank, in einem Temp-Ordner).")


def _bench_schema(value: str) -> str:
    """``--keep``: only a schema of the benchmark's own (the URL defaults to the app's
    database, whose schemas a run must never drop)."""
    if not value:
        return value
    from omk.search.bench_pg import PREFIX, valid_schema

    if not valid_schema(value):
        raise click.BadParameter(
            f"nur ein Schema, dessen Name mit {PREFIX} beginnt (Kleinbuchstaben, Ziffern, _),"
            f" z. B. {PREFIX}100k; {value!r} nicht",
            param_hint="--keep",
        )
    return value


@bench_cli.command("search")
@click.option("--docs", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option(
    "--engine",
    "--backend",
    "engines",
    type=click.Choice(["whoosh", "postgres", "fts5"]),
    multiple=True,
    help="nur diese Engine (wiederholbar; Standard: whoosh und fts5)",
)
@click.option(
    "--database-url",
    envvar="OMK_DATABASE_URL",
    default="",
    help="PostgreSQL für --backend postgres (Standard: OMK_DATABASE_URL; ein eigenes Schema)",
)
@click.option(
    "--hybrid/--no-hybrid",
    default=True,
    show_default=True,
    help="auch die hybride Rangfolge messen (Anfrage-Embedding und Neuordnung)",
)
@click.option(
    "--keep",
    default="",
    metavar="SCHEMA",
    callback=lambda _ctx, _param, value: _bench_schema(value),
    help="PostgreSQL: Korpus in diesem Schema (omk_bench_…) behalten und wiederverwenden"
    " (ohne Neuindexierung)",
)
@click.option(
    "--keep-index",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Whoosh/FTS5: Indexe in diesem Ordner behalten und wiederverwenden (gleiches Korpus)",
)
def bench_search(
    docs: int,
    engines: tuple[str, ...],
    database_url: str,
    hybrid: bool,
    keep: str,
    keep_index: Path | None,
) -> None:
    """Suche messen: synthetisches Korpus indexieren, 200 Anfragen (Whoosh, PostgreSQL, FTS5)."""
    from omk.search import bench

    click.echo(f"{bench.machine()}; load average {bench.load()} at the start", err=True)

    started = time.perf_counter()

    def progress(engine: str, done: int) -> None:
        if done % max(1_000, docs // 10) == 0 or done == docs:
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            click.echo(f"  {engine}: {done} Dokumente ({wall:.0f} s, CPU {cpu:.0f} s)", err=True)

    cpu_started = time.process_time()
    if "postgres" in engines and not database_url.startswith("postgresql"):
        raise click.UsageError("--backend postgres braucht --database-url postgresql+psycopg://…")
    timings = bench.run(
        docs, progress, engines or bench.ENGINES, database_url, hybrid, keep, keep_index
    )
    click.echo(bench.table(timings))
    click.echo(f"({bench.machine()}; load average {bench.load()} at the end)")


@bench_cli.command("search-index")
@click.option("--docs", type=click.IntRange(min=1), default=5_000, show_default=True)
@click.option(
    "--writers", type=click.IntRange(min=1), help="Schreibprozesse (Standard: 2, mit --profile 1)"
)
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), help="cProfile-Datei")
def bench_search_index(docs: int, writers: int | None, profile: Path | None) -> None:
    """Nur den Whoosh-Neuaufbau messen (CPU je Maßnahme; mit --profile nach Stufen)."""
    from omk.search import bench_index

    count = writers or (1 if profile else bench_index.WRITER_PROCS)
    click.echo(bench_index.report(bench_index.run(docs, count, profile)))


def _sizes_option(
    flag: str, low: int, high: int, what: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The repeatable size option of a benchmark (into the parameter ``sizes``)."""
    return click.option(
        flag,
        "sizes",
        type=click.IntRange(min=low, max=high),
        multiple=True,
        help=f"so viele {what} erzeugen (wiederholbar; Standard: 10000 und 100000)",
    )


@bench_cli.command("compare")
@_sizes_option("--reports", 100, 500_000, "veröffentlichte Berichte")
@click.option(
    "--database-url",
    default="",
    help="in dieser (Wegwerf-)Datenbank messen, z. B. postgresql+psycopg://…; ihre Tabellen "
    "werden gelöscht und neu angelegt (Standard: SQLite in einem temporären Ordner)",
)
def bench_compare(sizes: tuple[int, ...], database_url: str) -> None:
    """Vergleich messen: alle Gemeinden, Scoreboard eines Landes, naive ORM-Schleife."""
    from omk.services import compare_bench

    timings = compare_bench.run(
        list(sizes) or [10_000, 100_000],
        lambda s: click.echo(s, err=True),
        database=database_url or None,
    )
    click.echo(compare_bench.table(timings))


@bench_cli.command("synthesis")
@click.option(
    "--reports",
    type=click.IntRange(min=10, max=2_000),
    default=400,
    show_default=True,
    help="so viele berichtende Kommunen eines Landes (NRW) erzeugen",
)
@click.option("--repeat", type=click.IntRange(min=1, max=10), default=1, show_default=True)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="HTML und PDF in diesen Ordner schreiben (zum Ansehen)",
)
def bench_synthesis(reports: int, repeat: int, keep: Path | None) -> None:
    """Synthesebericht messen: HTML und PDF eines Landes neben den Vergleichsabfragen allein."""
    from omk.synthesis import bench as synthesis_bench

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    timings = synthesis_bench.run(reports, repeat, lambda s: click.echo(s, err=True), keep)
    click.echo(synthesis_bench.table(timings))


@bench_cli.command("synergies")
@_sizes_option("--docs", 1_000, 1_000_000, "Maßnahmen")
@click.option(
    "--exact-max",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    help="bis zu dieser Größe das exakte Verfahren ganz, darüber an einer Stichprobe",
)
@click.option("--no-vectors", is_flag=True, help="ohne (generierte) dichte Vektoren")
@click.option(
    "--view",
    "view_sizes",
    type=click.IntRange(min=50, max=12_000),
    multiple=True,
    help="statt dessen die Synergieseite und GET /api/v1/synergies bei so vielen "
    "berichtenden Kommunen je Runde messen (wiederholbar, z. B. 1000 und 10000)",
)
@click.option(
    "--repeat", type=click.IntRange(min=1, max=20), default=5, show_default=True, help="mit --view"
)
@click.option("--profile", is_flag=True, help="mit --view: die langsamste Anfrage mit cProfile")
@click.option(
    "--mode",
    "modes",
    type=click.Choice(["live", "first", "kept"]),
    multiple=True,
    help="mit --view: nur so messen (wiederholbar): live = je Anfrage berechnet, first = erste "
    "Anfrage nach einer Änderung, kept = gespeichert (Standard: alle drei)",
)
@click.option(
    "--database-url",
    default="",
    help="mit --view: in dieser (Wegwerf-)Datenbank messen, z. B. postgresql+psycopg://…; "
    "ihre Tabellen werden gelöscht und neu angelegt (Standard: SQLite in einem Temp-Ordner)",
)
def bench_synergies(
    sizes: tuple[int, ...],
    exact_max: int,
    no_vectors: bool,
    view_sizes: tuple[int, ...],
    repeat: int,
    profile: bool,
    modes: tuple[str, ...],
    database_url: str,
) -> None:
    """Ähnliche Maßnahmen aller Paare messen: Verfahren des Produkts neben dem exakten
    (mit --view: die Synergieseite und ihre API bei vielen veröffentlichten Berichten)."""
    from omk.synergies import bench

    if view_sizes:
        from omk.search.bench import load, machine
        from omk.synergies import bench_view

        click.echo(f"{machine()}; load average {load()} at the start", err=True)
        timings = bench_view.run(
            list(view_sizes),
            repeat,
            lambda s: click.echo(s, err=True),
            database=database_url or None,
            profile=profile,
            variants=bench_view.all_variants(modes or bench_view.MODES),
        )
        click.echo(bench_view.table(timings))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        click.echo(
            f"({machine()}; load average {load()} at the end; peak memory of this process,"
            f" kept lists included: {peak:.0f} MiB)"
        )
        return
    results = bench.run(
        list(sizes) or [10_000, 100_000],
        dense=not no_vectors,
        exact_max=exact_max,
        report=lambda s: click.echo(s, err=True),
    )
    click.echo(bench.table(results, dense=not no_vectors))
