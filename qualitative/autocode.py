"""Lexicon-based auto-coding suggestions for CFIR constructs in interview transcripts.

Rule (RULE_VERSION): the text of each speaker turn is lowercased (length-preserving) and lemmatized with spaCy's
blank English pipeline and lookup lemmatizer (spacy-lookups-data); a PhraseMatcher on lemma sequences finds each
codebook lexicon term. Every hit is widened to its enclosing speaker turn and hits are merged per code per turn.
Callers pass only what interviewees said: interviewer and moderator turns are left out (``interviewee_turn``).
A valence hint comes from cue lemmas within CUE_WINDOW tokens of a hit (barrier cues such as "not", "n't", "no",
"never", "hard to", "lack of"; facilitator cues such as "help", "support", "easy"), and, when asked for, from the
VADER compound score of the turn (Hutto & Gilbert 2014; |compound| >= 0.05) if no cue decided it.

Score (a monotone confidence for ranking, not a probability): score = 1 - exp(-E), with the evidence E of a code
in a turn the sum, over the *distinct* lexicon terms matched, of
    strength(t) = (1 + (tokens(t) - 1) / 2) / codes(t)      a phrase is stronger than a word; a term shared by
                                                             several codes is split between them
                  x MENTION_WEIGHT for a role construct      naming a role ("counselor", "mom") mentions who, it is
                  (key starting with a MENTION_PREFIXES)     not evidence of the construct by itself
                  x idf(t) = ln(1 + N / df(t)) / ln(1 + N)   N turns given, df(t) of them with the term: a word the
                                                             interviewee uses in most turns is background (1 when
                                                             in one turn only; a smoothed inverse document
                                                             frequency, Sparck Jones 1972)
plus CONTEXT_BONUS when a second distinct term of the same code lies within CUE_WINDOW tokens of a hit (the
context window). Suggestions under MIN_SCORE are not made. Suggestions are never counted as a coder in agreement
statistics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from qualitative.agreement import Span, unit_presence

RULE_VERSION = "cfir-lexicon-2026.2"
CUE_WINDOW = 5  # tokens either side of a hit
MENTION_PREFIXES: tuple[str, ...] = ("IV.ROLE.",)  # CFIR 2.0 Individuals: Roles subdomain
MENTION_WEIGHT = 0.3
CONTEXT_BONUS = 0.5
MIN_SCORE = 0.5  # one specific word in one turn scores 1 - e^-1 = 0.63; a role word alone 0.26
VADER_THRESHOLD = 0.05  # Hutto & Gilbert (2014) conventional cut-off for the compound score
BARRIER_CUES: tuple[str, ...] = (
    "not", "no", "never", "nobody", "nothing", "hard to", "lack of", "lack", "barrier", "struggle", "difficult",
    "difficulty", "problem", "challenge", "challenging", "can't", "cannot", "without", "worry", "frustrating",
    "too much", "impossible", "unable", "fail", "resist",
)
FACILITATOR_CUES: tuple[str, ...] = (
    "help", "helpful", "support", "easy", "easier", "great", "benefit", "work well", "facilitate", "love",
    "enjoy", "success", "successful", "positive", "excited", "smooth", "glad", "valuable", "encourage",
)

__all__ = [
    "RULE_VERSION",
    "AutocodeInputError",
    "Autocoder",
    "Suggestion",
    "interviewee_turn",
    "is_interviewer_label",
    "lower_same_length",
    "suggestion_quality",
]


class AutocodeInputError(ValueError):
    """Bad input to the auto-coder; the message names the entry or turn."""


@dataclass(frozen=True)
class Suggestion:
    """One suggested coding: a code over a whole speaker turn, with the lexicon terms that triggered it.

    ``start``/``end`` are the turn's offsets; ``term_spans`` the offsets of each hit, for highlighting.
    """

    code_key: str
    start: int
    end: int
    matched_terms: list[str]
    valence: str  # "barrier" | "facilitator" | "neutral"
    score: float
    term_spans: list[tuple[int, int]] = field(default_factory=list)  # offsets of each hit in the full text
    rule_version: str = field(default=RULE_VERSION)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lower_same_length(text: str) -> str:
    """Lowercase without changing the length, so token offsets stay valid code-point offsets into ``text``.

    str.lower() lengthens a few characters (U+0130 'İ' becomes 'i' + U+0307); those keep only the first character
    of their lowercase form.
    """
    low = text.lower()
    if len(low) == len(text):  # no lowercase mapping shortens text, so equal length means aligned
        return low
    return "".join(ch.lower()[0] for ch in text)


_INTERVIEWER = re.compile(
    r"^\s*(?:interviewer|facilitator|co-?facilitator|moderator|note-?taker|researcher)\b", re.IGNORECASE)


def is_interviewer_label(label: str | None) -> bool:
    """"Interviewer", "Facilitator 2", "Moderator": the research team's side of the conversation."""
    return bool(label) and _INTERVIEWER.match(label) is not None


def interviewee_turn(speaker: str | None, participant_id: int | None) -> bool:
    """The speaker rule: a turn is the interviewee's unless its speaker is not mapped to a participant and its label
    names the research team (interviewer, facilitator, moderator, note-taker, researcher). Suggestions and joint
    display exemplar quotes use only interviewee turns."""
    return participant_id is not None or not is_interviewer_label(speaker)


class Autocoder:
    """Build once per codebook, then call ``suggest`` per transcript.

    ``codebook_entries`` are dicts with at least ``key`` and ``lexicon`` (as returned by load_cfir_codebook);
    entries with ``codable`` false or an empty lexicon are skipped. ``use_vader`` adds the VADER compound of a
    turn as a fallback valence hint (vaderSentiment, no download needed).
    """

    def __init__(self, codebook_entries: Iterable[Mapping[str, Any]], use_vader: bool = False) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher

        lexicons: dict[str, list[str]] = {}  # validated before the (slower) pipeline is built
        for i, entry in enumerate(codebook_entries):
            key = entry.get("key")
            if not isinstance(key, str) or not key:
                raise AutocodeInputError(f"codebook_entries[{i}]: missing 'key'")
            if not entry.get("codable", True):
                continue
            lexicon = entry.get("lexicon") or []
            if isinstance(lexicon, str) or not all(isinstance(t, str) and t.strip() for t in lexicon):
                raise AutocodeInputError(f"codebook_entries[{i}] (key {key!r}): 'lexicon' must be a list of terms")
            lexicons.setdefault(key, []).extend(lexicon)
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        self.nlp.initialize()
        self.nlp.max_length = 10**8  # tokenizer and lookup only: long turns are cheap
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.code_order = {key: i for i, key in enumerate(lexicons)}
        self._term_codes: dict[str, list[str]] = {}
        for key, lexicon in lexicons.items():
            for term in lexicon:
                codes = self._term_codes.setdefault(self._lemma_text(term), [])
                if key not in codes:
                    codes.append(key)
        self._kind: dict[int, tuple[str, str]] = {}
        self._add("term", list(self._term_codes))
        self._add("barrier", [self._lemma_text(t) for t in BARRIER_CUES])
        self._add("facilitator", [self._lemma_text(t) for t in FACILITATOR_CUES])
        self._vader = None
        if use_vader:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()

    def _lemma_text(self, term: str) -> str:
        doc = self.nlp(lower_same_length(term.strip()))
        return "".join(t.lemma_ + t.whitespace_ for t in doc).strip()

    def _add(self, kind: str, lemma_terms: list[str]) -> None:
        for term in dict.fromkeys(lemma_terms):
            label = f"{kind}\x1f{term}"
            self.matcher.add(label, [self.nlp(term)])
            self._kind[self.nlp.vocab.strings[label]] = (kind, term)

    def suggest(self, text: str, turns: Sequence[Span] | None = None, min_score: float = MIN_SCORE) -> list[Suggestion]:
        """Suggestions for ``text`` split into speaker ``turns`` ((start, end) offsets; None = one unit).

        Returns suggestions ordered by turn, then by codebook order; one per code per turn whose score reaches
        ``min_score``. Pass turn spans that cover what interviewees said (not the speaker label, not the
        interviewer's questions) so names like "Counselor" and questions like "To start..." do not hit.
        """
        if turns is None:
            turns = [(0, len(text))]
        for i, (s, e) in enumerate(turns):
            if not (0 <= s <= e <= len(text)):
                raise AutocodeInputError(f"turns[{i}]: ({s}, {e}) is not inside the text of length {len(text)}")
        texts = (lower_same_length(text[s:e]) for s, e in turns)
        matched = []
        df: dict[str, int] = {}
        for (start, end), doc in zip(turns, self.nlp.pipe(texts, batch_size=256), strict=True):
            hits, cues = self._matches(doc)
            matched.append((start, end, doc, hits, cues))
            for term in {term for term, _, _ in hits}:
                df[term] = df.get(term, 0) + 1
        idf = {term: math.log(1 + len(turns) / n) / math.log(1 + len(turns)) for term, n in df.items()}
        out: list[Suggestion] = []
        for start, end, doc, hits, cues in matched:
            if hits:
                out.extend(s for s in self._turn_suggestions(doc, start, end, text, hits, cues, idf)
                           if s.score >= min_score)
        return out

    def strength(self, term: str, code: str) -> float:
        """Lexicon strength of a (lemmatized) term for a code, before idf (see the module docstring)."""
        weight = (1 + (len(term.split()) - 1) / 2) / len(self._term_codes[term])
        return weight * MENTION_WEIGHT if code.startswith(MENTION_PREFIXES) else weight

    def _matches(self, doc: Any) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
        hits: list[tuple[str, int, int]] = []
        cues: list[tuple[str, int, int]] = []
        for match_id, s, e in self.matcher(doc):
            kind, term = self._kind[match_id]
            if kind == "term":
                hits.append((term, s, e))
            else:
                cues.append((kind, s, e))
        return hits, cues

    def _turn_suggestions(self, doc: Any, start: int, end: int, text: str, hits, cues,
                          idf: Mapping[str, float]) -> list[Suggestion]:
        per_code: dict[str, dict[str, Any]] = {}
        for term, s, e in hits:
            votes = {k for k, cs, ce in cues if cs < e + CUE_WINDOW and ce > s - CUE_WINDOW}
            for code in self._term_codes[term]:
                agg = per_code.setdefault(
                    code, {"terms": [], "spans": [], "hits": [], "barrier": 0, "facilitator": 0}
                )
                if term not in agg["terms"]:
                    agg["terms"].append(term)
                last = doc[e - 1]
                agg["spans"].append((start + doc[s].idx, start + last.idx + len(last)))
                agg["hits"].append((term, s, e))
                for k in votes:
                    agg[k] += 1
        compound: float | None = None
        out = []
        for code in sorted(per_code, key=self.code_order.__getitem__):
            agg = per_code[code]
            if agg["barrier"] > agg["facilitator"]:
                valence = "barrier"
            elif agg["facilitator"] > agg["barrier"]:
                valence = "facilitator"
            elif agg["barrier"] == 0 and self._vader is not None:
                if compound is None:
                    compound = self._vader.polarity_scores(text[start:end])["compound"]
                valence = (
                    "barrier" if compound <= -VADER_THRESHOLD
                    else "facilitator" if compound >= VADER_THRESHOLD else "neutral"
                )
            else:
                valence = "neutral"
            evidence = sum(self.strength(t, code) * idf[t] for t in agg["terms"])
            if any(t1 != t2 and s2 < e1 + CUE_WINDOW and e2 > s1 - CUE_WINDOW
                   for t1, s1, e1 in agg["hits"] for t2, s2, e2 in agg["hits"]):
                evidence += CONTEXT_BONUS
            score = round(1 - math.exp(-evidence), 6)
            out.append(Suggestion(code, start, end, agg["terms"], valence, score, sorted(set(agg["spans"]))))
        return out


def suggestion_quality(
    suggestions: Iterable[Suggestion], analyst_codings: Mapping[str, Iterable[Span]], turns: Sequence[Span]
) -> dict[str, dict[str, Any]]:
    """Turn-level precision and recall of suggestions against an analyst's codings, per construct.

    A turn counts for a code when a suggestion (or an analyst coding) overlaps it (``unit_presence``).
    tp = turns both mark, fp = suggested only, fn = analyst only; precision = tp / (tp + fp), recall =
    tp / (tp + fn), f1 = 2PR / (P + R); each None when its denominator is 0. Codes in either input are reported.
    """
    suggested: dict[str, list[Span]] = {}
    for s in suggestions:
        suggested.setdefault(s.code_key, []).append((s.start, s.end))
    result: dict[str, dict[str, Any]] = {}
    for code in sorted(set(suggested) | set(analyst_codings)):
        ps = unit_presence(turns, suggested.get(code, []))
        pa = unit_presence(turns, analyst_codings.get(code, []))
        tp = sum(1 for u, v in zip(ps, pa, strict=True) if u and v)
        fp = sum(1 for u, v in zip(ps, pa, strict=True) if u and not v)
        fn = sum(1 for u, v in zip(ps, pa, strict=True) if v and not u)
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        if precision is None or recall is None:
            f1 = None
        else:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[code] = {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}
    return result
