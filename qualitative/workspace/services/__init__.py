"""Database work behind the qualitative workspace, one module per use case; ``project_for`` is the access rule."""

from qualitative.workspace.services.access import (
    code_for,
    coding_for,
    document_for,
    memo_for,
    participant_for,
    privilege_of,
    project_for,
)

__all__ = ["code_for", "coding_for", "document_for", "memo_for", "participant_for", "privilege_of", "project_for"]
