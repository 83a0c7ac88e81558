"""Readiness: instruments, surveys, scoring, aggregation and site profiles (pure modules here; web parts in
subpackages)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from readiness import surveys

    surveys.init_app(app)
