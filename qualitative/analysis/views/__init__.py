"""The analysis blueprint: auto-coding suggestions, agreement and blind samples, retrieval and matrices, CFIR
construct ratings and REFI-QDA exchange. Handlers stay thin: parse, authorise (``project_for``), call a service,
render. Route ids are named after their models (``qual_project_id``, ``document_id``, ``suggestion_id`` ...)."""

from __future__ import annotations

from qualitative.analysis.views import agreement, exchange, project, queries, ratings, retrieval, suggestions
from qualitative.analysis.views.blueprint import bp

__all__ = ["agreement", "bp", "exchange", "project", "queries", "ratings", "retrieval", "suggestions"]
