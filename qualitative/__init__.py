"""Qualitative analysis: transcripts, CFIR 2.0 codebook, coding, auto-coding, agreement, ratings, REFI-QDA."""


def init_app(app) -> None:
    from qualitative import models  # noqa: F401  (tables known to migrations)
    from qualitative.analysis import init_app as init_analysis

    # The analysis seeder must stay registered after the workspace seeder (it reads the workspace's demo project).
    init_analysis(app)
