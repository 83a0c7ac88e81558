"""The ``mio`` command: Flask's CLI group (``mio run``, ``mio db ...``, ``mio routes``) plus platform commands.

``mio --help`` lists the commands from ``COMMANDS`` without building the app, so it starts about as fast as importing
Flask (the app pulls in SQLAlchemy, Alembic and every blueprint). Running any command builds the app as Flask does.
``tests/test_cli.py`` holds ``COMMANDS`` equal to the commands the app registers, with the same help lines.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

#: every command of ``mio`` and the first line of its help, as ``mio --help`` shows them
COMMANDS: dict[str, str] = {
    "agreement": "Inter-coder agreement (character-level kappa as NVivo, turn-level kappa, Krippendorff's alpha).",
    "create-user": "Create a user account.",
    "db": "Perform database migrations.",
    "effectiveness": "Print the trial's effectiveness estimates (JSON) or the long outcome data (CSV).",
    "explain-hot-queries": "Print the query plans of the hot queries (meant for PostgreSQL with scale data loaded).",
    "export-qdpx": "Export a project as a REFI-QDA .qdpx file.",
    "generate-scale": "Fill the database with a deterministic, production-size synthetic dataset (bulk COPY on "
    "PostgreSQL).",
    "import-qdpx": "Import a REFI-QDA .qdpx file (users matched to accounts by name or e-mail, or --map-user).",
    "import-redcap-dictionary": "Import a REDCap data dictionary CSV as a new instrument (all or nothing).",
    "import-transcript": "Import transcripts (.txt, .docx, .vtt, .srt, Otter .txt) into a project; each file "
    "all-or-nothing.",
    "jobs-requeue": "Queue again the jobs a stopped worker or web process left unfinished.",
    "outcomes": "Print the implementation outcomes of every clinic (the director's overview table).",
    "readiness-profile": "Print the site readiness profile: JSON (everything, with ICCs) or CSV (one row per group and "
    "subscale).",
    "routes": "Show the routes for the app.",
    "run": "Run a development server.",
    "seed-demo": "Load the demo: two agencies, four clinics as in the hybrid trial, one account per role (credentials "
    "printed).",
    "shell": "Run a shell in the app context.",
    "suggestion-quality": "Precision and recall of auto-coding suggestions per construct against the analysts' own "
    "codings.",
    "worker": "Run background jobs from Redis (needs REDIS_URL); without Redis, jobs run inside the web process.",
}


def _create_cli_app() -> Flask:
    from app import create_app

    # Maintenance commands need no session secret; the refusal of the default SECRET_KEY protects serving.
    serving = len(sys.argv) > 1 and sys.argv[1] == "run"
    return create_app(None if serving else {"ALLOW_DEFAULT_SECRET": True})


class MioGroup(FlaskGroup):
    """Flask's group, listing its commands from ``COMMANDS`` so that help does not build the app."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # the layout of click.MultiCommand.format_commands, with the help lines from COMMANDS
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.utils.make_default_short_help(COMMANDS[name], limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def main() -> None:
    cli = MioGroup(create_app=_create_cli_app, help="The MIO implementation platform.")
    cli.main(prog_name="mio")
