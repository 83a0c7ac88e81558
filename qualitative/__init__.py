"""Qualitative analysis: transcripts, CFIR 2.0 codebook, coding, auto-coding, agreement, ratings, REFI-QDA."""


def init_app(app) -> None:
    from qualitative import models  # noqa: F401  (tables known to migrations)
    from qualitative.workspace import register as register_workspace

    # the workspace's demo seeder registers first: later qualitative seeders build on its codings
    register_workspace(app)
