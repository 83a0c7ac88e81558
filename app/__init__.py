"""The MIO implementation platform: ``create_app`` builds a Flask app (see ``app.factory``).

This module stays light on purpose: ``mio --help`` imports ``app.cli`` and must not pay for the whole application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app; see ``app.factory.create_app``."""
    from app.factory import create_app as _create_app

    return _create_app(config)
