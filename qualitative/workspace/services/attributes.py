"""Variables and cases a project holds (from an imported REFI-QDA file: NVivo attributes and cases, MAXQDA document
variables...), read for the project page and the document page. The caller has already scoped the project or the
document to the user (``project_for``/``document_for``); every query here stays inside that project. Reads are
bounded: the project page lists at most ``CASE_LIMIT`` cases and says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.db import db
from qualitative.models import Case, Document, QualProject, Variable, VariableValue, qual_case_document

CASE_LIMIT = 200


@dataclass
class CaseRow:
    id: int
    name: str
    description: str
    documents: list[tuple[int, str]] = field(default_factory=list)
    values: dict[int, str] = field(default_factory=dict)  # variable id -> value (text form)


@dataclass
class ProjectAttributes:
    variables: list[Variable]
    cases: list[CaseRow]
    case_total: int
    documents_with_values: int

    @property
    def empty(self) -> bool:
        return not self.variables and not self.case_total


def project_attributes(project: QualProject, limit: int = CASE_LIMIT) -> ProjectAttributes:
    """The project's variables (in the file's order), its first ``limit`` cases with their values and member
    documents, the number of cases, and how many documents carry at least one value."""
    variables = list(db.session.execute(sa.select(Variable).where(Variable.project_id == project.id)
                                        .order_by(Variable.position, Variable.id)).scalars())
    total = db.session.execute(sa.select(sa.func.count(Case.id)).where(Case.project_id == project.id)).scalar_one()
    rows = {c.id: CaseRow(c.id, c.name, c.description or "") for c in db.session.execute(
        sa.select(Case).where(Case.project_id == project.id).order_by(Case.position, Case.id).limit(limit)).scalars()}
    if rows:
        for case_id, doc_id, name in db.session.execute(
                sa.select(qual_case_document.c.case_id, Document.id, Document.name)
                .join(Document, Document.id == qual_case_document.c.document_id)
                .where(qual_case_document.c.case_id.in_(rows), Document.project_id == project.id)
                .order_by(Document.name)):
            rows[case_id].documents.append((doc_id, name))
        for case_id, variable_id, value in db.session.execute(
                sa.select(VariableValue.case_id, VariableValue.variable_id, VariableValue.value)
                .where(VariableValue.case_id.in_(rows))):
            rows[case_id].values[variable_id] = value
    with_values = 0
    if variables:
        with_values = db.session.execute(
            sa.select(sa.func.count(sa.distinct(VariableValue.document_id)))
            .where(VariableValue.variable_id.in_([v.id for v in variables]), VariableValue.document_id.is_not(None))
        ).scalar_one()
    return ProjectAttributes(variables, list(rows.values()), total, with_values)


@dataclass
class DocumentAttributes:
    values: list[tuple[Variable, str]]
    cases: list[tuple[str, list[tuple[Variable, str]]]]  # case name, its values


def document_attributes(document: Document) -> DocumentAttributes:
    """The document's own variable values and the cases it belongs to (with theirs), in the file's order."""
    values = [(var, value) for var, value in db.session.execute(
        sa.select(Variable, VariableValue.value).join(VariableValue.variable)
        .where(VariableValue.document_id == document.id, Variable.project_id == document.project_id)
        .order_by(Variable.position, Variable.id)).all()]
    cases = list(db.session.execute(
        sa.select(Case).join(qual_case_document, qual_case_document.c.case_id == Case.id)
        .where(qual_case_document.c.document_id == document.id, Case.project_id == document.project_id)
        .order_by(Case.position, Case.id)).scalars())
    case_values: dict[int, list] = {c.id: [] for c in cases}
    if cases:
        for case_id, var, value in db.session.execute(
                sa.select(VariableValue.case_id, Variable, VariableValue.value).join(VariableValue.variable)
                .where(VariableValue.case_id.in_(case_values)).order_by(Variable.position, Variable.id)).all():
            case_values[case_id].append((var, value))
    return DocumentAttributes(values, [(c.name, case_values[c.id]) for c in cases])
