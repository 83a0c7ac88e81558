"""Qualitative analysis: transcripts, CFIR 2.0 codebook, coding, auto-coding, agreement, ratings, REFI-QDA."""


def init_app(app) -> None:
    from qualitative import models  # noqa: F401  (tables known to migrations)
    from qualitative.analysis import init_app as init_analysis
    from qualitative.workspace import register as register_workspace

    # order matters: the workspace's demo seeder makes the project and codings the analysis seeder builds on
    register_workspace(app)
    init_analysis(app)
