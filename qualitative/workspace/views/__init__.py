"""Views of the qualitative workspace: thin handlers (parse, authorize with ``project_for``, call a service,
render). Importing this package attaches every route to ``qualitative.workspace.blueprint.bp``."""

from qualitative.workspace.views import (  # noqa: F401
    codebook,
    coding,
    deidentify,
    evolution,
    media,
    memos,
    projects,
    transcripts,
)
