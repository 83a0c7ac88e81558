"""Inter-coder agreement of a project's coders, computed by ``qualitative.agreement`` (no formula lives here).

Scope: a document counts as coded by a coder when the coder has at least one coding in it. For each pair of
coders, the documents both coded are compared, per code and document:
- character level as NVivo computes it (kappa, percent agreement = po, agreement on coded text only);
- unit level, units = speaker turns: Cohen's kappa of presence per turn.
Per code the documents are pooled (characters summed; turns of all documents together); the pair's pooled
figures pool every code (characters summed; De Vries et al. 2008 pooled kappa of the per-code unit tables).
Krippendorff's alpha (nominal, presence per turn) takes all selected coders at once, a coder's turns being
missing in documents that coder did not code; pooled alpha treats every code x turn as a unit.
A code that neither coder of a pair applied in a document is still agreement (on absence), so it enters the
pooled figures, but such rows are not listed. Auto-coding suggestions are not codings, so never a coder here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import sqlalchemy as sa

from app.db import db
from app.models import User
from qualitative.agreement import (
    Span,
    char_level,
    disagreements,
    krippendorff_alpha_nominal,
    krippendorff_band,
    landis_koch_band,
    pooled_char_level,
    pooled_kappa,
    unit_agreement,
    unit_presence,
)
from qualitative.analysis.services.blind import blinded_document_ids
from qualitative.analysis.services.common import AnalysisInputError, code_tree, turns_by_document, units
from qualitative.models import Coding, Document, QualProject


@dataclass
class PairReport:
    coder_a: User
    coder_b: User
    documents: list[Document]
    rows: list[dict] = field(default_factory=list)  # per code x document with a coding by either coder
    per_code: list[dict] = field(default_factory=list)
    pooled_char: dict | None = None
    pooled_unit_kappa: float | None = None
    disagreements: list[dict] = field(default_factory=list)

    @property
    def pooled_band(self) -> str:
        return landis_koch_band(self.pooled_unit_kappa)

    @property
    def pooled_char_band(self) -> str:
        return landis_koch_band(self.pooled_char["kappa"] if self.pooled_char else None)


@dataclass
class AgreementReport:
    coders: list[User]
    documents: list[Document]
    codes: list
    pairs: list[PairReport]
    alpha_per_code: list[dict]
    alpha_pooled: float | None
    hidden_documents: int = 0

    @property
    def alpha_band(self) -> str:
        return krippendorff_band(self.alpha_pooled)


def _shifted(spans: list[Span], offset: int) -> list[Span]:
    return [(s + offset, e + offset) for s, e in spans]


def agreement_report(project: QualProject, coder_ids: list[int], document_ids=None, code_ids=None, viewer=None,
                     with_disagreements: bool = True) -> AgreementReport:
    """Agreement of ``coder_ids`` (two or more) on the project's documents (all, or ``document_ids``).

    ``viewer``: documents the viewer codes blind are left out (counted in ``hidden_documents``).
    """
    coder_ids = list(dict.fromkeys(coder_ids))
    if len(coder_ids) < 2:
        raise AnalysisInputError("Choose two or more coders to compare.", "coder_ids")
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(coder_ids))).scalars()}
    if missing := [c for c in coder_ids if c not in users]:
        raise AnalysisInputError(f"Unknown coder ids {missing}.", "coder_ids")
    hidden = blinded_document_ids(viewer, project.id) if viewer is not None else set()
    doc_stmt = sa.select(Document.id).where(Document.project_id == project.id)
    if document_ids is not None:
        doc_stmt = doc_stmt.where(Document.id.in_(list(document_ids)))
    considered = set(db.session.execute(doc_stmt).scalars())
    candidate = considered - hidden
    rows = db.session.execute(
        sa.select(Coding.document_id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end)
        .where(Coding.document_id.in_(sorted(candidate)), Coding.coder_id.in_(coder_ids))
    ).all() if candidate else []
    coded: dict[int, set[int]] = defaultdict(set)  # coder -> documents with any coding of theirs
    for row in rows:
        coded[row.coder_id].add(row.document_id)
    scope_ids = sorted(d for d in candidate if sum(d in coded[c] for c in coder_ids) >= 2)
    tree = code_tree(project.id)
    wanted = set(code_ids) if code_ids else None
    spans: dict[tuple[int, int, int], list[Span]] = defaultdict(list)  # (coder, doc, code)
    used: set[int] = set()
    scope = set(scope_ids)
    for row in rows:
        if row.document_id in scope and (wanted is None or row.code_id in wanted):
            spans[(row.coder_id, row.document_id, row.code_id)].append((row.start, row.end))
            used.add(row.code_id)
    codes = [c for c in tree.ordered() if c.id in used]
    documents = list(db.session.execute(
        sa.select(Document).where(Document.id.in_(scope_ids)).order_by(Document.name)).scalars()) if scope_ids else []
    lengths = {d.id: len(d.text) for d in documents}
    turns = turns_by_document(scope_ids)
    # turn bounds as arrays, converted once (the agreement functions take any sequence of pairs)
    unit_spans = {d: np.asarray(units(turns[d], lengths[d]), dtype=np.int64).reshape(-1, 2) for d in scope_ids}
    offsets, position = {}, 0
    for d in scope_ids:  # documents laid end to end for figures across documents
        offsets[d] = position
        position += lengths[d] + 1

    presence: dict[tuple[int, int, int], list[bool]] = {}  # (coder, doc, code) -> code present per turn

    def present(coder: int, doc_id: int, code_id: int) -> list[bool]:
        key = (coder, doc_id, code_id)
        if key not in presence:
            presence[key] = unit_presence(unit_spans[doc_id], spans.get(key, []))
        return presence[key]

    pairs = []
    for a, b in combinations(coder_ids, 2):
        docs_ab = [d for d in documents if d.id in coded[a] and d.id in coded[b]]
        pair = PairReport(users[a], users[b], docs_ab)
        _fill_pair(pair, codes, tree, spans, unit_spans, lengths, offsets)
        if with_disagreements:
            pair.disagreements = _disagreement_list(pair, codes, spans, unit_spans, turns, present)
        pairs.append(pair)

    alpha_rows, pooled_data = [], [[] for _ in coder_ids]
    alpha_code_doc: dict[tuple[int, int], float | None] = {}
    for code in codes:
        data: list[list[bool | None]] = [[] for _ in coder_ids]
        for d in scope_ids:
            in_doc = [present(coder, d, code.id) if d in coded[coder] else [None] * len(unit_spans[d])
                      for coder in coder_ids]
            alpha_code_doc[(code.id, d)] = krippendorff_alpha_nominal(in_doc)
            for i, values in enumerate(in_doc):
                data[i].extend(values)
        for i, values in enumerate(data):
            pooled_data[i].extend(values)
        alpha = krippendorff_alpha_nominal(data)
        alpha_rows.append({"code": code, "path": tree.paths[code.id], "alpha": alpha,
                           "band": krippendorff_band(alpha)})
    alpha_pooled = krippendorff_alpha_nominal(pooled_data) if codes else None
    for pair in pairs:  # all chosen coders' alpha beside each pair's code x document row
        for row in pair.rows:
            row["alpha"] = alpha_code_doc[(row["code"].id, row["document"].id)]
            row["alpha_band"] = krippendorff_band(row["alpha"])
    return AgreementReport([users[c] for c in coder_ids], documents, codes, pairs, alpha_rows, alpha_pooled,
                           len(considered & hidden))


def _fill_pair(pair: PairReport, codes, tree, spans, unit_spans, lengths, offsets) -> None:
    a, b = pair.coder_a.id, pair.coder_b.id
    all_char, unit_tables = [], []
    for code in codes:
        char_results, all_units, shifted_a, shifted_b = [], [], [], []
        for doc in pair.documents:
            sa_ = spans.get((a, doc.id, code.id), [])
            sb_ = spans.get((b, doc.id, code.id), [])
            char = char_level(lengths[doc.id], sa_, sb_)
            char_results.append(char)
            off = offsets[doc.id]
            all_units.append(unit_spans[doc.id] + off)
            shifted_a.extend(_shifted(sa_, off))
            shifted_b.extend(_shifted(sb_, off))
            if sa_ or sb_:
                unit = unit_agreement(unit_spans[doc.id], sa_, sb_)
                pair.rows.append({"code": code, "path": tree.paths[code.id], "document": doc, "char": char,
                                  "unit": unit, "char_band": landis_koch_band(char["kappa"]),
                                  "unit_band": landis_koch_band(unit["kappa"])})
        if not char_results:
            continue
        pooled = pooled_char_level(char_results)
        unit_all = unit_agreement(np.concatenate(all_units), shifted_a, shifted_b)
        all_char.extend(char_results)
        unit_tables.append(unit_all)
        pair.per_code.append({"code": code, "path": tree.paths[code.id], "char": pooled, "unit": unit_all,
                              "char_band": landis_koch_band(pooled["kappa"]),
                              "unit_band": landis_koch_band(unit_all["kappa"])})
    if all_char:
        pair.pooled_char = pooled_char_level(all_char)
        pair.pooled_unit_kappa = pooled_kappa(unit_tables)


def _disagreement_list(pair: PairReport, codes, spans, unit_spans, turns, present) -> list[dict]:
    """One row per turn where the two coders differ on some code: the quote and each coder's codes there."""
    a, b = pair.coder_a.id, pair.coder_b.id
    out = []
    for doc in pair.documents:
        differing: dict[int, set[int]] = defaultdict(set)
        for code in codes:
            for item in disagreements(unit_spans[doc.id], spans.get((a, doc.id, code.id), []),
                                      spans.get((b, doc.id, code.id), [])):
                differing[item["unit"]].add(code.id)
        if not differing:
            continue
        listed = [(code, code.id) for code in codes]  # ids read once (ORM attribute access is slow in loops)
        presence = {(coder, code_id): present(coder, doc.id, code_id) for coder in (a, b) for _c, code_id in listed}
        for unit in sorted(differing):
            start, end = (int(v) for v in unit_spans[doc.id][unit])
            turn = turns[doc.id][unit] if turns[doc.id] else None
            out.append({
                "document": doc, "unit": unit, "start": start, "end": end,
                "speaker": turn.speaker if turn else None, "quote": doc.text[start:end],
                "codes_a": [c for c, code_id in listed if presence[(a, code_id)][unit]],
                "codes_b": [c for c, code_id in listed if presence[(b, code_id)][unit]],
                "differing": differing[unit],
            })
    return out


def coder_ref(user: User) -> str:
    """How exports name a coder: the account e-mail, or for an imported coder (no real e-mail) its shown name."""
    return user.display_name if user.imported else user.email


def report_rows(report: AgreementReport) -> tuple[list[str], list[list]]:
    """The report as one flat table (for CSV and Excel): per code x document, per code, pooled, alpha."""
    headers = ["level", "coder_a", "coder_b", "code", "document", "characters", "char_kappa", "char_band",
               "percent_agreement", "agreement_on_coded", "turns", "unit_kappa", "unit_band", "alpha", "alpha_band",
               "unit_kappa_ci_low", "unit_kappa_ci_high", "unit_kappa_reading"]
    # alpha on "code x document" rows is of all chosen coders (not only the pair) on that document
    out: list[list] = []
    for pair in report.pairs:
        ea, eb = coder_ref(pair.coder_a), coder_ref(pair.coder_b)
        for r in pair.rows:
            out.append(["code x document", ea, eb, r["path"], r["document"].name, r["char"]["n"], r["char"]["kappa"],
                        r["char_band"], r["char"]["po"], r["char"]["agreement_on_coded"], r["unit"]["n"],
                        r["unit"]["kappa"], r["unit_band"], r["alpha"], r["alpha_band"], *_ci(r["unit"])])
        for r in pair.per_code:
            out.append(["code", ea, eb, r["path"], "(all documents)", r["char"]["n"], r["char"]["kappa"],
                        r["char_band"], r["char"]["po"], r["char"]["agreement_on_coded"], r["unit"]["n"],
                        r["unit"]["kappa"], r["unit_band"], None, None, *_ci(r["unit"])])
        if pair.pooled_char:
            c = pair.pooled_char
            out.append(["pooled", ea, eb, "(all codes)", "(all documents)", c["n"], c["kappa"],
                        landis_koch_band(c["kappa"]), c["po"], c["agreement_on_coded"], None,
                        pair.pooled_unit_kappa, pair.pooled_band, None, None, None, None, None])
    everyone = "; ".join(coder_ref(u) for u in report.coders)
    for r in report.alpha_per_code:
        out.append(["alpha", everyone, "", r["path"], "(all documents)", None, None, None, None, None, None, None,
                    None, r["alpha"], r["band"], None, None, None])
    if report.codes:
        out.append(["alpha pooled", everyone, "", "(all codes)", "(all documents)", None, None, None, None, None,
                    None, None, None, report.alpha_pooled, report.alpha_band, None, None, None])
    return headers, out


def _ci(unit: dict) -> list:
    """A turn-level kappa's 95% CI (Fleiss, Cohen & Everitt 1969) and its plain reading (``kappa_reading``)."""
    return [unit.get("ci_low"), unit.get("ci_high"), unit.get("reading")]


def report_json(report: AgreementReport) -> dict:
    headers, rows = report_rows(report)
    return {
        "coders": [coder_ref(u) for u in report.coders],
        "documents": [d.name for d in report.documents],
        "rows": [dict(zip(headers, row, strict=True)) for row in rows],
    }
