"""Database work behind the qualitative workspace, one module per use case; the access rule is ``qualitative.access``."""
