"""Inter-coder agreement on qualitative coding: character level (as NVivo), unit level (speaker turns).

Pure functions: plain data in, plain data out. Offsets are zero-based, end-exclusive code-point positions
into the normalised transcript text; a span is a ``(start, end)`` pair. Auto-coding suggestions are never
counted as a coder (reference: implementation-science.md, "Inter-coder reliability").

Sources
- NVivo "Run a coding comparison query" (character-level kappa, per code per source).
- Cohen J. (1960) A coefficient of agreement for nominal scales. Educ Psychol Meas 20:37-46.
- De Vries H, Elliott MN, Kanouse DE, Teleki SS (2008) Using pooled kappa to summarize interrater agreement
  across many items. Field Methods 20(3):272-282.
- Krippendorff K. (2011) Computing Krippendorff's alpha-reliability. Annenberg School, UPenn.
- Landis JR, Koch GG (1977) The measurement of observer agreement for categorical data. Biometrics 33:159-174.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from qualitative._alpha import AlphaInputError, krippendorff_alpha

Span = tuple[int, int]

__all__ = [
    "AgreementInputError",
    "AlphaInputError",
    "char_level",
    "cohen_kappa",
    "cohen_kappa_table",
    "disagreements",
    "krippendorff_alpha_nominal",
    "kappa_interval",
    "kappa_reading",
    "krippendorff_band",
    "landis_koch_band",
    "merge_spans",
    "pooled_char_level",
    "pooled_kappa",
    "unit_agreement",
    "unit_presence",
]


class AgreementInputError(ValueError):
    """Bad input to an agreement statistic; the message names the argument and position."""


# --------------------------------------------------------------------------- spans


def merge_spans(spans: Iterable[Span], doc_length: int | None = None, name: str = "spans") -> list[Span]:
    """Sort and merge one coder's spans into disjoint, non-empty ``(start, end)`` intervals.

    Overlapping or touching codings by the same coder count once (a character is coded or not).
    Raises AgreementInputError for a reversed span, a negative start or an end past ``doc_length``.
    """
    checked: list[Span] = []
    for i, span in enumerate(spans):
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise AgreementInputError(f"{name}[{i}]: expected a (start, end) pair of integers, got {span!r}") from exc
        if start < 0 or end < start:
            raise AgreementInputError(f"{name}[{i}]: span ({start}, {end}) must have 0 <= start <= end")
        if doc_length is not None and end > doc_length:
            raise AgreementInputError(f"{name}[{i}]: span ({start}, {end}) ends past the document length {doc_length}")
        if end > start:
            checked.append((start, end))
    checked.sort()
    merged: list[Span] = []
    for start, end in checked:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _covered(spans: list[Span]) -> int:
    return sum(end - start for start, end in spans)


def _intersection_length(a: list[Span], b: list[Span]) -> int:
    """Characters inside both merged span lists (two-pointer sweep, linear time)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total


# --------------------------------------------------------------------------- character level (NVivo)


def _char_figures(n: int, a: int, b: int, both: int) -> dict[str, Any]:
    """NVivo's character-level figures from the four counts (N, A, B, both)."""
    union = a + b - both
    neither = n - union
    po = (both + neither) / n
    pe = (a * b + (n - a) * (n - b)) / (n * n)
    kappa = None if pe == 1 else (po - pe) / (1 - pe)
    return {
        "n": n,
        "A": a,
        "B": b,
        "both": both,
        "neither": neither,
        "po": po,
        "pe": pe,
        "kappa": kappa,
        "agreement_on_coded": both / union if union else None,
    }


def char_level(doc_length: int, spans_a: Iterable[Span], spans_b: Iterable[Span]) -> dict[str, Any]:
    """Character-level agreement of two coders for one code in one document, as NVivo computes it.

    With N = document length in characters, A and B = characters each coder coded, both = characters both coded,
    neither = characters neither coded:
        po = (both + neither) / N
        pe = (A*B + (N-A)*(N-B)) / N^2
        kappa = (po - pe) / (1 - pe), None ("n/a") when pe == 1 (both coded nothing or both coded everything)
        agreement_on_coded = both / (A + B - both), None when neither coder coded anything.
    Returns a dict with keys n, A, B, both, neither, po, pe, kappa, agreement_on_coded.
    """
    if isinstance(doc_length, bool) or not isinstance(doc_length, int) or doc_length <= 0:
        raise AgreementInputError(f"doc_length must be a positive integer, got {doc_length!r}")
    a = merge_spans(spans_a, doc_length, "spans_a")
    b = merge_spans(spans_b, doc_length, "spans_b")
    return _char_figures(doc_length, _covered(a), _covered(b), _intersection_length(a, b))


def pooled_char_level(results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Pool character-level comparisons across codes and/or documents by summing characters.

    N, A, B and both are summed over the ``char_level`` results given, then the NVivo formulas are applied to
    the sums (so long documents weigh more, as in NVivo's pooled figures).
    """
    n = a = b = both = 0
    for i, r in enumerate(results):
        try:
            n += int(r["n"])
            a += int(r["A"])
            b += int(r["B"])
            both += int(r["both"])
        except KeyError as exc:
            raise AgreementInputError(f"results[{i}]: missing key {exc.args[0]!r} (pass char_level results)") from exc
    if n <= 0:
        raise AgreementInputError("results: nothing to pool (no characters)")
    return _char_figures(n, a, b, both)


# --------------------------------------------------------------------------- unit level


def _turn_bounds(turns: Sequence[Span]) -> tuple[np.ndarray, np.ndarray]:
    """Turn starts and ends as integer arrays; a malformed turn raises AgreementInputError naming it."""
    try:
        array = np.asarray(turns, dtype=np.int64)
        if array.size == 0:
            array = array.reshape(0, 2)
        fast = array.ndim == 2 and array.shape[1] == 2
    except (TypeError, ValueError, OverflowError):
        fast = False
    if fast:
        starts, ends = array[:, 0], array[:, 1]
    else:  # turn by turn, as (turn[0], turn[1]), naming a malformed one
        pairs = []
        for i, turn in enumerate(turns):
            try:
                pairs.append((int(turn[0]), int(turn[1])))
            except (TypeError, ValueError, IndexError) as exc:
                raise AgreementInputError(f"turns[{i}]: expected a (start, end) pair of integers, got {turn!r}") from exc
        starts = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        ends = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    bad = np.flatnonzero((starts < 0) | (ends < starts))
    if bad.size:
        i = int(bad[0])
        raise AgreementInputError(f"turns[{i}]: turn ({starts[i]}, {ends[i]}) must have 0 <= start <= end")
    return starts, ends


def unit_presence(turns: Sequence[Span], spans: Iterable[Span]) -> list[bool]:
    """For each unit (speaker turn) say whether a coding overlaps it.

    A coding [s, e) overlaps a unit [ts, te) when s < te and ts < e (at least one shared character).
    Computed for all turns at once: the first merged coding ending after the turn starts must begin before the
    turn ends.
    """
    merged = merge_spans(spans)
    ts, te = _turn_bounds(turns)
    if not merged:
        return [False] * len(ts)
    starts = np.fromiter((s for s, _ in merged), dtype=np.int64, count=len(merged))
    ends = np.fromiter((e for _, e in merged), dtype=np.int64, count=len(merged))
    k = np.searchsorted(ends, ts, side="right")  # first merged span ending after the turn starts
    inside = k < len(merged)
    present = inside & (starts[np.minimum(k, len(merged) - 1)] < te) & (te > ts)
    return present.tolist()


def cohen_kappa_table(x: Sequence[Hashable], y: Sequence[Hashable]) -> dict[str, Any]:
    """Cohen's kappa for two coders' nominal labels on the same units, with its parts.

    po = share of units with the same label; pe = sum over labels c of p_x(c) * p_y(c);
    kappa = (po - pe) / (1 - pe), None when pe == 1 (both coders used one and the same label throughout).
    Returns {n, po, pe, kappa, se, ci_low, ci_high, confidence, few_units} (``kappa_interval``). Cohen (1960).
    """
    if len(x) != len(y):
        raise AgreementInputError(f"x and y must label the same units: {len(x)} labels vs {len(y)}")
    n = len(x)
    if n == 0:
        raise AgreementInputError("x and y are empty: no units to compare")
    for name, seq in (("x", x), ("y", y)):
        for i, v in enumerate(seq):
            if v is None:
                raise AgreementInputError(
                    f"{name}[{i}] is missing; Cohen's kappa needs complete pairs (use Krippendorff's alpha)"
                )
    po = sum(1 for u, v in zip(x, y, strict=True) if u == v) / n
    cx, cy = Counter(x), Counter(y)
    pe = sum(cx[c] * cy.get(c, 0) for c in cx) / (n * n)
    kappa = None if pe == 1 else (po - pe) / (1 - pe)
    return {"n": n, "po": po, "pe": pe, "kappa": kappa, **kappa_interval(x, y, kappa, pe)}


#: below this many units a kappa's large-sample CI is rough: the page says so beside it
FEW_UNITS = 30


def kappa_interval(x: Sequence[Hashable], y: Sequence[Hashable], kappa: float | None, pe: float,
                   confidence: float = 0.95) -> dict[str, Any]:
    """Large-sample standard error of Cohen's kappa and its Wald CI, kappa +/- z * SE.

    Var(kappa) = [sum_i p_ii (1 - (p_i. + p_.i)(1 - kappa))^2 + (1 - kappa)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
    - (kappa - pe (1 - kappa))^2] / ((1 - pe)^2 n) (Fleiss, Cohen & Everitt 1969, Psychol Bull 72:323-327; the
    formula of statsmodels ``cohens_kappa`` and SAS PROC FREQ), the CI clipped to kappa's range [-1, 1]. None when
    kappa is undefined. ``few_units`` is set
    below ``FEW_UNITS`` units, where the normal approximation is rough.
    """
    n = len(x)
    out: dict[str, Any] = {"se": None, "ci_low": None, "ci_high": None, "confidence": confidence,
                           "few_units": n < FEW_UNITS}
    if kappa is None:
        return out
    labels = sorted(set(x) | set(y), key=repr)
    index = {c: i for i, c in enumerate(labels)}
    p = np.zeros((len(labels), len(labels)))
    for u, v in zip(x, y, strict=True):
        p[index[u], index[v]] += 1 / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    term_a = float((np.diag(p) * (1 - (row + col) * (1 - kappa)) ** 2).sum())
    off = p * (col[:, None] + row[None, :]) ** 2
    np.fill_diagonal(off, 0)
    term_b = (1 - kappa) ** 2 * float(off.sum())
    term_c = (kappa - pe * (1 - kappa)) ** 2
    variance = (term_a + term_b - term_c) / ((1 - pe) ** 2 * n)
    se = float(np.sqrt(variance)) if variance >= 0 else None
    if se is not None:
        z = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)
        out.update(se=se, ci_low=max(-1.0, kappa - z * se), ci_high=min(1.0, kappa + z * se))
    return out


def kappa_reading(table: Mapping[str, Any]) -> str | None:
    """A plain sentence where a turn-level kappa's band would mislead, for a ``unit_agreement`` result:
    one coder never applied the code while the other did (kappa is then 0 whatever the turns: chance agreement
    equals observed agreement, so "slight" says nothing about the coding), or too few turns for the CI."""
    n, a, b = table["n"], table["both"] + table["a_only"], table["both"] + table["b_only"]
    if table.get("kappa") is not None and (a == 0) != (b == 0):
        marked = a or b
        who = "the first coder" if a else "the second coder"
        return (f"Kappa is 0 because only {who} applied the code ({marked} of {n} turns) and the other coder "
                f"never did: with one coder never using the code, chance agreement equals observed agreement "
                f"({table['po']:.0%}), so kappa is 0 however the turns read. Compare the {marked} turn"
                f"{'s' if marked != 1 else ''} rather than the band.")
    if table.get("few_units"):
        if table.get("ci_low") is None:
            return f"Only {n} turns, and no confidence interval can be formed: read the turns, not the band."
        return (f"Only {n} turns: 95% CI {table['ci_low']:.2f} to {table['ci_high']:.2f} (Fleiss-Cohen-Everitt "
                f"large-sample SE, rough below {FEW_UNITS} turns); the band is not a verdict.")
    return None


def cohen_kappa(x: Sequence[Hashable], y: Sequence[Hashable]) -> float | None:
    """Cohen's kappa for nominal labels; None when undefined (pe == 1). See ``cohen_kappa_table``."""
    return cohen_kappa_table(x, y)["kappa"]


def unit_agreement(turns: Sequence[Span], spans_a: Iterable[Span], spans_b: Iterable[Span]) -> dict[str, Any]:
    """Unit-level agreement for one code: presence per turn for each coder, then Cohen's kappa.

    Returns {n, po, pe, kappa, se, ci_low, ci_high, confidence, few_units, both, a_only, b_only, neither (counts of
    units), reading (``kappa_reading``: a plain sentence where the band would mislead, else None)}.
    """
    pa = unit_presence(turns, spans_a)
    pb = unit_presence(turns, spans_b)
    table = cohen_kappa_table(pa, pb)
    table["both"] = sum(1 for u, v in zip(pa, pb, strict=True) if u and v)
    table["a_only"] = sum(1 for u, v in zip(pa, pb, strict=True) if u and not v)
    table["b_only"] = sum(1 for u, v in zip(pa, pb, strict=True) if v and not u)
    table["neither"] = table["n"] - table["both"] - table["a_only"] - table["b_only"]
    table["reading"] = kappa_reading(table)
    return table


def pooled_kappa(tables: Iterable[Mapping[str, Any]]) -> float | None:
    """Pooled kappa across codes (De Vries et al. 2008): kappa_pooled = (mean po - mean pe) / (1 - mean pe).

    ``tables`` are per-code results holding ``po`` and ``pe`` (e.g. from ``cohen_kappa_table`` or
    ``unit_agreement``). Averaging po and pe before forming the ratio is the same as summing them.
    None when the mean pe is 1.
    """
    po_sum = pe_sum = 0.0
    count = 0
    for i, t in enumerate(tables):
        try:
            po_sum += float(t["po"])
            pe_sum += float(t["pe"])
        except KeyError as exc:
            raise AgreementInputError(f"tables[{i}]: missing key {exc.args[0]!r}") from exc
        count += 1
    if count == 0:
        raise AgreementInputError("tables: no per-code results to pool")
    po, pe = po_sum / count, pe_sum / count
    return None if pe == 1 else (po - pe) / (1 - pe)


def krippendorff_alpha_nominal(reliability_data: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data, 2+ coders, None = missing (coders x units).

    Coincidence-matrix method of Krippendorff (2011): alpha = 1 - D_o / D_e. None when undefined.
    """
    return krippendorff_alpha(reliability_data, level="nominal")


def disagreements(turns: Sequence[Span], spans_a: Iterable[Span], spans_b: Iterable[Span]) -> list[dict[str, Any]]:
    """Units where the two coders differ on presence of the code, for a side-by-side reconcile view.

    Returns one dict per differing unit: {unit, start, end, coder_a, coder_b} with presence booleans.
    """
    pa = unit_presence(turns, spans_a)
    pb = unit_presence(turns, spans_b)
    return [
        {"unit": i, "start": int(turns[i][0]), "end": int(turns[i][1]), "coder_a": u, "coder_b": v}
        for i, (u, v) in enumerate(zip(pa, pb, strict=True))
        if u != v
    ]


# --------------------------------------------------------------------------- bands


def landis_koch_band(kappa: float | None) -> str:
    """Landis & Koch (1977) label: < 0 poor, 0-.20 slight, .21-.40 fair, .41-.60 moderate,
    .61-.80 substantial, .81-1 almost perfect; "n/a" when kappa is None."""
    if kappa is None:
        return "n/a"
    if kappa < 0:
        return "poor"
    for limit, label in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if kappa <= limit:
            return label
    return "almost perfect"


def krippendorff_band(alpha: float | None) -> str:
    """Krippendorff's (2004) guidance: alpha >= .800 "reliable", >= .667 "tentative", else "unreliable";
    "n/a" when alpha is None."""
    if alpha is None:
        return "n/a"
    if alpha >= 0.800:
        return "reliable"
    if alpha >= 0.667:
        return "tentative"
    return "unreliable"
