"""``mio generate-scale`` and ``mio explain-hot-queries``; generation also runs as the background job
``scale.generate`` (same code, progress on the job page)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from app.audit import acting_as
from app.db import db
from app.jobs import JobContext, job
from app.scale.generate import generate, spec_for

SIZE_OPTIONS = ("agencies", "clinics_per_agency", "counselors_per_clinic", "mothers_per_clinic",
                "sessions_per_mother", "ratings_per_clinic", "respondents_per_clinic", "transcripts_per_clinic",
                "turns_per_transcript", "codings_per_transcript", "codes_per_project", "seed")


@job("scale.generate")
def generate_job(ctx: JobContext, scale: str | None = None, reset: bool = False, **sizes) -> dict:
    """Idempotent as a job must be: generation is one transaction, so an attempt that died left nothing, and a
    finished one is only replaced when ``reset`` was asked for."""
    spec = spec_for(scale, **sizes)
    # SQLite has one writer: the job's own open transaction would block progress written on a second connection,
    # so there the step count is stored when the job ends (on PostgreSQL the page sees each step).
    live = db.engine.dialect.name != "sqlite"
    counts = generate(spec, reset=reset, progress=lambda done, total, message: live and ctx.progress(done, total, message))
    db.session.commit()  # the whole dataset at once; then the final step can be shown on any database
    ctx.progress(7, 7, f"{sum(counts.values()):,} rows written")
    return counts


def _size_option(name: str):
    return click.option(f"--{name.replace('_', '-')}", name, type=int, default=None,
                        help="Override the preset's value.")


@click.command("generate-scale")
@click.option("--scale", default="1", show_default=True,
              help="tiny (a few rows, for tests) or a factor on the 100 agencies (0.01 = 1 agency).")
@click.option("--reset", is_flag=True, help="Delete earlier scale data first (only rows the generator made).")
@with_appcontext
def generate_scale(scale: str, reset: bool, **sizes) -> None:
    """Fill the database with a deterministic, production-size synthetic dataset (bulk COPY on PostgreSQL)."""
    try:
        spec = spec_for(scale, **sizes)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    started = time.perf_counter()
    click.echo("Generating: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in spec.expected.items()))

    def progress(done: int, total: int, message: str) -> None:
        click.echo(f"  [{done}/{total}] {message} ({time.perf_counter() - started:.1f} s)")

    try:
        with acting_as("cli:generate-scale"):
            counts = generate(spec, reset=reset, progress=progress)
            db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.UsageError(str(exc)) from None
    click.echo(f"Done in {time.perf_counter() - started:.1f} s: {sum(counts.values()):,} rows in {len(counts)} tables.")
    click.echo("Then store the derived figures the pages read: mio outcomes refresh-fidelity-summaries")


for _name in reversed(SIZE_OPTIONS):
    generate_scale = _size_option(_name)(generate_scale)


@click.command("explain-hot-queries")
@click.option("--analyze", is_flag=True, help="EXPLAIN ANALYZE (runs the queries).")
@with_appcontext
def explain_hot_queries(analyze: bool) -> None:
    """Print the query plans of the hot queries (meant for PostgreSQL with scale data loaded)."""
    from app.scale.explain import explain_all

    for name, plan in explain_all(analyze=analyze):
        click.echo(f"== {name}\n{plan}\n")


def register(app) -> None:
    app.cli.add_command(generate_scale)
    app.cli.add_command(explain_hot_queries)
