"""Planning a REFI-QDA import before anything is written: which clinic, kind, date and name each source gets,
and which key each code gets. Raises AnalysisInputError naming the source when no clinic can be found."""

from __future__ import annotations

from datetime import date

from app.models import Clinic
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.codebook import load_cfir_codebook
from qualitative.codebook_io import key_from_name
from qualitative.refiqda import QdaProject


def clinic_finder(clinics: list[Clinic]):
    by_key = {}
    for clinic in clinics:
        by_key.setdefault(clinic.code.strip().lower(), clinic)
        by_key.setdefault(clinic.name.strip().lower(), clinic)
    return lambda value: by_key.get(str(value).strip().lower()) if isinstance(value, str) else None


def variables_named(qda: QdaProject, *names: str) -> set[str]:
    wanted = {n.lower() for n in names}
    return {v.guid for v in qda.variables if v.name.strip().lower() in wanted}


def cfir_keys() -> dict[tuple[str, str], str]:
    return {(e["name"].strip().lower(), e["kind"]): e["key"] for e in load_cfir_codebook()}


def code_key(row: dict, cfir: dict, used: set[str]) -> str:
    key = cfir.get((str(row["name"]).strip().lower(), str(row["kind"])))
    if not key or key in used:
        return key_from_name(str(row["name"]).lower(), used)  # keeps letters beyond ASCII (café-émotions)
    used.add(key)
    return key


def plan_sources(qda: QdaProject, clinics: list[Clinic], default_clinic: Clinic | None) -> list[dict]:
    """Clinic, kind, date and unique name for each source; raises naming the source when no clinic is known."""
    find = clinic_finder(clinics)
    clinic_vars = variables_named(qda, "clinic", "site", "clinic code")
    kind_vars = variables_named(qda, "document kind", "kind", "type")
    date_vars = {v.guid for v in qda.variables if v.type in ("Date", "DateTime") and "date" in v.name.lower()}
    case_clinic: dict[str, Clinic] = {}
    for case in qda.cases:
        clinic = next((find(v) for g, v in case.variable_values.items() if g in clinic_vars and find(v)), None)
        clinic = clinic or find(case.name)
        for ref in case.source_refs:
            if clinic is not None:
                case_clinic.setdefault(ref, clinic)
    plans, names = [], set()
    for source in qda.sources:
        clinic = next((find(v) for g, v in source.variable_values.items() if g in clinic_vars and find(v)), None)
        clinic = clinic or case_clinic.get(source.guid) or default_clinic
        if clinic is None:
            raise AnalysisInputError(f"Source “{source.name}”: no clinic found in its variables or cases; choose "
                                     "the clinic the documents belong to.", "clinic_id")
        kind = "interview"
        for g, v in source.variable_values.items():
            if g in kind_vars and isinstance(v, str) and "focus" in v.lower():
                kind = "focus-group"
        when = next((v if isinstance(v, date) else None for g, v in source.variable_values.items()
                     if g in date_vars), None)
        name = (source.name or "Source").strip()[:240] or "Source"
        unique, n = name, 2
        while unique in names:
            unique, n = f"{name} ({n})", n + 1
        names.add(unique)
        plans.append({"clinic": clinic, "kind": kind, "date": when.date() if hasattr(when, "date") else when,
                      "name": unique})
    return plans
