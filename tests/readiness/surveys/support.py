"""Helpers shared by the readiness survey tests."""

from __future__ import annotations

from pathlib import Path

ORIC_REF, AIM_REF, FIM_REF = "shipped:oric@1.0.0", "shipped:aim@1.0.0", "shipped:fim@1.0.0"
FIXTURE = Path(__file__).parent.parent / "data" / "team_leadership_dictionary.csv"


def oric_answers(value=4, **overrides) -> dict:
    answers = {f"oric_{i:02d}": str(value) for i in range(1, 13)}
    answers.update({k: str(v) for k, v in overrides.items()})
    return answers


def aim_answers(value=4, **overrides) -> dict:
    answers = {f"aim_{i:02d}": str(value) for i in range(1, 5)}
    answers.update({k: str(v) for k, v in overrides.items()})
    return answers


def fim_answers(value=4, **overrides) -> dict:
    answers = {f"fim_{i:02d}": str(value) for i in range(1, 5)}
    answers.update({k: str(v) for k, v in overrides.items()})
    return answers
