"""The joint displays as one Excel workbook: statistics by themes, side by side, quotes (with their links) and the
readiness profile rows, one sheet each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from implementation_outcomes.integration.services.joint import key_statistics

QuoteLink = Callable[[dict[str, Any]], str]


def _cell(display: dict, clinic_id: int, construct_id: int) -> dict | None:
    return display["cells"][clinic_id].get(construct_id)


def _first_quote(cell: dict | None) -> str:
    if not cell or not cell["exemplars"]:
        return ""
    return cell["exemplars"][0]["quote"]


def statistics_by_themes(display: dict) -> tuple[list[str], list[list]]:
    clinics = display["clinics"]
    headers = ["construct / statistic"]
    for c in clinics:
        headers += [f"{c.code} rating", f"{c.code} exemplar quote"]
    rows = []
    quant = display["quantitative"]
    for i, (label, _value) in enumerate(key_statistics(quant[clinics[0].id]["outcomes"]) if clinics else []):
        row = [label]
        for c in clinics:
            row += [key_statistics(quant[c.id]["outcomes"])[i][1], ""]
        rows.append(row)
    for construct in display["constructs"]:
        row = [construct["path"]]
        for c in clinics:
            cell = _cell(display, c.id, construct["id"])
            row += [cell["label"] if cell else "not rated", _first_quote(cell)]
        rows.append(row)
    return headers, rows


def side_by_side(display: dict) -> tuple[list[str], list[list]]:
    headers = ["clinic", "quantitative: measure", "quantitative: value", "n", "rwg(j)",
               "qualitative: construct", "rating", "rationale", "exemplar quote"]
    rows = []
    for c in display["clinics"]:
        quant = display["quantitative"][c.id]
        left: list[list] = [[label, value, "", ""] for label, value in key_statistics(quant["outcomes"])]
        for component in quant["readiness"]["components"]:
            for s in component["subscales"]:
                left.append([f"{component['label']}: {s['label']}", "" if s["mean"] is None else round(s["mean"], 2),
                             s["n"], "" if s["rwg_j"] is None or s["mean"] is None else round(s["rwg_j"], 2)])
        source = quant["readiness"].get("gates_source")
        cohort = f" ({source['cohort']})" if source else ""
        for gate in quant["readiness"]["gates"] or []:
            left.append([f"Hard gate{cohort}: {gate['label']}", gate["status"], "", ""])
        for earlier in (source or {}).get("history", []):
            left.append([f"Hard gates, earlier cohort {earlier['cohort']}", earlier["gates_status"],
                         earlier["eligible_counselors"], ""])
        right: list[list] = []
        for construct in display["constructs"]:
            cell = _cell(display, c.id, construct["id"])
            right.append([construct["path"], cell["label"] if cell else "not rated",
                          (cell or {}).get("rationale") or "", _first_quote(cell)])
        for i in range(max(len(left), len(right))):
            rows.append([c.code, *(left[i] if i < len(left) else ["", "", "", ""]),
                         *(right[i] if i < len(right) else ["", "", "", ""])])
    return headers, rows


def quotes(display: dict, link: QuoteLink) -> tuple[list[str], list[list]]:
    headers = ["clinic", "construct", "consensus rating", "document", "speaker", "quote", "coding id", "link"]
    rows = []
    for c in display["clinics"]:
        for construct in display["constructs"]:
            cell = _cell(display, c.id, construct["id"])
            for ex in (cell or {}).get("exemplars", []):
                rows.append([c.code, construct["path"], cell["label"], ex["document"], ex["speaker"] or "",
                             ex["quote"], ex["coding_id"], link(ex)])
    return headers, rows


def sheets(display: dict, link: QuoteLink, notes: list[str]) -> dict[str, tuple[list[str], list[list]]]:
    return {"Statistics by themes": statistics_by_themes(display), "Side by side": side_by_side(display),
            "Quotes": quotes(display, link), "Notes": (["note"], [[n] for n in notes])}
