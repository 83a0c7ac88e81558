"""The qualitative workspace: projects and members, transcript import and de-identification, participants, the
codebook, coding in the browser and memos. ``register(app)`` is called by ``qualitative.init_app``."""

from __future__ import annotations

from flask import Flask


def add_project_link(app: Flask, label: str, endpoint: str, need: str = "read") -> None:
    """Other qualitative pages (analysis, agreement, ratings) add a link to the project page; ``endpoint`` takes
    ``qual_project_id``; shown to users holding at least ``need`` on the project."""
    app.extensions.setdefault("qualitative.project_links", []).append((label, endpoint, need))


def add_project_tab(app: Flask, label: str, endpoint: str, need: str = "read", order: int = 50,
                    current: tuple[str, ...] = ()) -> None:
    """A tab of the one tab bar every page of a project shows (``qualitative/_project_nav.html``): ``endpoint``
    takes ``qual_project_id``; the tab is marked current on ``endpoint`` and on the endpoints (or prefixes ending
    in ".") listed in ``current``; shown to users holding at least ``need`` on the project."""
    app.extensions.setdefault("qualitative.project_tabs", []).append((order, label, endpoint, need, current))


#: the workspace's own tabs; the analysis package adds its pages between them (see its ``init_app``)
WORKSPACE_TABS = (
    (10, "Transcripts", "qualitative.project", "read",
     ("qualitative.workspace", "qualitative.document_", "qualitative.speakers", "qualitative.deidentify",
      "qualitative.deidentify_", "qualitative.coding_", "qualitative.imports")),
    (20, "Codebook", "qualitative.codebook", "read", ("qualitative.codebook_", "qualitative.code_")),
    (90, "Participants", "qualitative.participants", "read", ("qualitative.participant_",)),
    (92, "Memos", "qualitative.memos", "read", ("qualitative.memo_",)),
    (94, "Import transcripts", "qualitative.upload", "code", ()),
    (96, "Members", "qualitative.members", "manage", ("qualitative.member_",)),
)


def register(app: Flask) -> None:
    from app.main import add_nav
    from app.models import Role
    from qualitative.workspace import views  # noqa: F401  (routes attach to the blueprint)
    from qualitative.workspace.blueprint import bp
    from qualitative.workspace.cli import import_transcript
    from qualitative.workspace.demo import seed_workspace_demo
    from qualitative.workspace.services import transcripts  # noqa: F401  (registers the import job)

    app.register_blueprint(bp)
    for order, label, endpoint, need, current in WORKSPACE_TABS:
        add_project_tab(app, label, endpoint, need, order, current)
    add_nav(app, "Qualitative", "qualitative.projects", (Role.ANALYST, Role.DIRECTOR), order=40)
    app.cli.add_command(import_transcript)
    app.extensions["mio.demo_seeders"].append(seed_workspace_demo)
