"""The analysis side of qualitative projects: auto-coding suggestions, inter-coder agreement with blind samples,
retrieval and matrices, CFIR construct ratings per clinic, and REFI-QDA exchange.

``init_app`` registers the blueprint, the navigation entry, the ``mio`` commands (agreement, suggestion-quality, export-qdpx,
import-qdpx), the background jobs and the demo seeder (which runs after the workspace seeder).
"""

from __future__ import annotations

#: the analysis pages in the project's one tab bar, between the workspace's (``qualitative.workspace.WORKSPACE_TABS``)
ANALYSIS_TABS = (
    (25, "Analysis overview", "analysis.hub", ()),
    (30, "Suggestions", "analysis.suggestions", ("analysis.suggestions_", "analysis.suggestion_")),
    (40, "Queries", "analysis.queries", ("analysis.queries_", "analysis.query_")),
    (50, "Coded segments", "analysis.segments", ("analysis.segments_",)),
    (55, "Matrices", "analysis.matrices", ("analysis.matrix_",)),
    (60, "Agreement", "analysis.agreement", ("analysis.agreement_",)),
    (65, "Blind samples", "analysis.blind_samples", ("analysis.blind_sample_",)),
    (70, "CFIR ratings", "analysis.ratings", ("analysis.ratings_", "analysis.rating_")),
    (80, "Exports", "analysis.exchange", ("analysis.export_",)),
)


def init_app(app) -> None:
    from app.main import add_nav
    from qualitative.access import QUAL_ROLES
    from qualitative.analysis import (
        jobs,  # noqa: F401  (registers the background jobs)
        models,  # noqa: F401  (tables known to migrations)
    )
    from qualitative.analysis.cli import register as register_commands
    from qualitative.analysis.demo import seed_analysis
    from qualitative.analysis.views import bp
    from qualitative.workspace import add_project_tab

    app.register_blueprint(bp)
    for order, label, endpoint, current in ANALYSIS_TABS:
        add_project_tab(app, label, endpoint, "read", order, current)
    add_nav(app, "Qualitative analysis", "analysis.index", QUAL_ROLES, order=41)
    from app.models import Role
    from app.worklist import add_work
    from qualitative.analysis import worklist

    add_work(app, (Role.DIRECTOR,), worklist.uncoded_backlog, order=13)
    for order, provider in enumerate((worklist.documents_to_code, worklist.suggestions_to_review,
                                      worklist.blind_samples_waiting, worklist.disagreements), start=10):
        add_work(app, (Role.ANALYST,), provider, order=order)
    register_commands(app)
    app.config.setdefault("QDPX_SYNC_CODINGS", 20000)
    app.extensions["mio.demo_seeders"].append(seed_analysis)
