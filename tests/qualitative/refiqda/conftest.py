"""Fixtures for the REFI-QDA tests: the shared XSD schemas and a sample project."""

from __future__ import annotations

import pytest
import xmlschema

from qualitative.refiqda import QdaProject
from tests.qualitative.refiqda.refi_support import build_sample_project, refi_schema_dir


@pytest.fixture(scope="session")
def project_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(refi_schema_dir() / "Project.xsd"))


@pytest.fixture(scope="session")
def codebook_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(refi_schema_dir() / "Codebook.xsd"))


@pytest.fixture
def sample_project() -> QdaProject:
    return build_sample_project()
