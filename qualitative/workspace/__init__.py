"""The qualitative workspace: projects and members, transcript import and de-identification, participants, the
codebook, coding in the browser and memos. ``register(app)`` is called by ``qualitative.init_app``."""

from __future__ import annotations

from flask import Flask


def add_project_link(app: Flask, label: str, endpoint: str, need: str = "read") -> None:
    """Other qualitative pages (analysis, agreement, ratings) add a link to the project page; ``endpoint`` takes
    ``qual_project_id``; shown to users holding at least ``need`` on the project."""
    app.extensions.setdefault("qualitative.project_links", []).append((label, endpoint, need))


def register(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from qualitative.workspace import views  # noqa: F401  (routes attach to the blueprint)
    from qualitative.workspace.blueprint import bp
    from qualitative.workspace.cli import import_transcript
    from qualitative.workspace.demo import seed_workspace_demo
    from qualitative.workspace.services import transcripts  # noqa: F401  (registers the import job)

    app.register_blueprint(bp)
    add_nav(app, "Qualitative", "qualitative.projects", (Role.ANALYST, Role.DIRECTOR), order=40)
    app.cli.add_command(import_transcript)
    app.extensions["mio.demo_seeders"].append(seed_workspace_demo)
