"""Pattern detectors for identifiers in transcript text: emails, US phone numbers, dates of birth, capitalised
names. Each returns ``(start, end)`` code-point spans into the text it is given.

These are proposals for a person to review (HIPAA Safe Harbor lists names, telephone numbers, email addresses
and dates directly related to an individual, 45 CFR 164.514(b)(2)); heuristics miss some and over-flag others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qualitative.deidentify.wordlists import COMMON_WORDS, TITLES

EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")

# North American Numbering Plan numbers: optional +1 / 1, area code (bare or in parentheses), exchange, line;
# separators space, dot or hyphen; or a 7-digit local number with a hyphen or dot. Not glued to other digits.
PHONE = re.compile(
    r"(?<![\w+\-./])"
    r"(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}|\d{3}[.-]\d{4})"
    r"(?![\w\-/]|\.\d)"
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}"  # 1990-03-04
    rf"|\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})"  # 3/4/1990, 03-04-90
    rf"|{_MONTH}\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"  # March 4, 1990
    rf"|\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"  # 4th of March 1990
    rf"|{_MONTH}\s+\d{{1,2}}{_ORDINAL}"  # March 4th (no year)
    rf"|{_MONTH},?\s+\d{{4}})"  # March 1990
)
DATE_OF_BIRTH = re.compile(
    r"\b(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday)"
    r"(?:\s+(?:is|was|on|in|of|the))*\s*[:\-,]?\s*(?:(?:is|was|on|in|the)\s+)*"
    rf"(?P<date>{_DATE})(?!\w)",
    re.IGNORECASE,
)

#: a US street address: a house number, up to four words, a street type ("1234 North Elm Street", "12 Oak Ave.")
STREET_ADDRESS = re.compile(
    r"(?<![\w-])\d{1,6}[A-Za-z]?\s+(?:[A-Za-z0-9.'’-]+\s+){0,4}?"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|"
    r"circle|cir|highway|hwy|parkway|pkwy|square|sq)\b\.?",
    re.IGNORECASE,
)
ANY_DATE = re.compile(rf"(?<![0-9A-Za-z]){_DATE}(?![0-9A-Za-z])", re.IGNORECASE)  # "_" may join it (file names)

_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_SENTENCE_END = '.!?…:;"“”([{\n'
_CLITIC = re.compile(r"['’](?:s|m|re|ve|ll|d|t)?$", re.IGNORECASE)  # Ana's, I'm, We'll, Jones'

_NAME_JOINERS = frozenset(
    {" "} | {f" {p} " for p in ("de", "da", "del", "della", "di", "du", "van", "von", "der", "la", "le", "y")}
)


def emails(text: str) -> Iterator[tuple[int, int]]:
    for match in EMAIL.finditer(text):
        yield match.span()


def phones(text: str) -> Iterator[tuple[int, int]]:
    for match in PHONE.finditer(text):
        yield match.span()


def dates_of_birth(text: str) -> Iterator[tuple[int, int]]:
    """Only the date after a birth cue ("born on", "DOB", "date of birth:", "birthday is") is returned."""
    for match in DATE_OF_BIRTH.finditer(text):
        yield match.span("date")


def _sentence_initial(text: str, start: int, region_start: int) -> bool:
    i = start - 1
    while i >= region_start and text[i] in " \t'‘":
        i -= 1
    return i < region_start or text[i] in _SENTENCE_END


def _after_title(text: str, start: int) -> bool:
    before = text[max(0, start - 12) : start].rstrip()
    match = re.search(r"([A-Za-z]+)\.?$", before)
    return match is not None and match[1].casefold() in TITLES


def capitalised_names(
    text: str, regions: Iterable[tuple[int, int]], common_words: frozenset[str] = COMMON_WORDS
) -> list[tuple[int, int]]:
    """Spans of capitalised tokens that look like names, adjacent tokens joined ("Maria Lopez", "Ana de Souza").

    Rule: a token counts when its first letter is upper case, it is not all capitals (acronyms), has more than
    one letter, is not a common or domain word, and its lower-case form is not used elsewhere in the text (then it
    is an ordinary word). Sentence-initial tokens count only when the same token also occurs mid-sentence, or
    right after a title (Dr., Ms.).
    """
    lowercase_words = {m[0] for m in _WORD.finditer(text) if m[0][0].islower()}
    candidates: list[tuple[int, int, str, bool]] = []  # start, end, token, initial
    for region_start, region_end in regions:
        for match in _WORD.finditer(text, region_start, region_end):
            token = _CLITIC.sub("", match[0])
            if len(token) < 2 or not token[0].isupper() or token.isupper():
                continue
            folded = token.casefold()
            if (
                folded in common_words
                or folded.removesuffix("s") in common_words
                or folded in lowercase_words
            ):
                continue
            initial = _sentence_initial(text, match.start(), region_start) and not _after_title(
                text, match.start()
            )
            candidates.append((match.start(), match.start() + len(token), token, initial))
    proper = {token for _, _, token, initial in candidates if not initial}
    spans: list[tuple[int, int]] = []
    for start, end, token, initial in candidates:
        if initial and token not in proper:
            continue
        if spans and text[spans[-1][1] : start] in _NAME_JOINERS:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def identifiers_in(text: str, *, any_date: bool = False) -> list[tuple[str, str]]:
    """``(kind, text found)`` for each e-mail address, phone number, street address and date of birth in a short
    free-text field (a decline reason, a note, a study ID, a file name); with ``any_date`` every date counts (a
    study ID or a file name holds no date). For refusing identifiers before they are saved."""
    found: list[tuple[str, str]] = []
    for kind, spans in (("e-mail address", emails(text)), ("phone number", phones(text)),
                        ("date of birth", dates_of_birth(text))):
        found += [(kind, text[a:b]) for a, b in spans]
    found += [("street address", m.group(0)) for m in STREET_ADDRESS.finditer(text)]
    if any_date:
        found += [("date", m.group(0)) for m in ANY_DATE.finditer(text) if ("date of birth", m.group(0)) not in found]
    return found


# --- file and document names ---------------------------------------------------------------------------------
#: words a transcript's file name is made of besides names: never taken for a name
FILE_NAME_WORDS = frozenset(
    """
    interview interviews transcript transcripts transcription transcribed focus group groups fg session sessions
    final draft clean cleaned copy notes note part audio video recording recorded call zoom teams otter meeting
    version edited redacted deidentified identified raw new old baseline followup follow wave round site clinic
    staff counselor counsellor counselors mother mothers mom supervisor supervisors director leader leaders
    facilitator interviewer participant participants respondent speaker english spanish translated translation
    day week month morning afternoon evening intake exit pilot pre post mid docx txt vtt srt transcript
    """.split()
)
NAME_REPLACEMENTS = {"name": "[NAME]", "e-mail address": "[EMAIL]", "phone number": "[PHONE]",
                     "street address": "[ADDRESS]", "date of birth": "[DOB]"}
_LETTERS = re.compile(r"[^\W\d_]+")
_NAME_GAP = re.compile(r"[\s_.\-]*")


@dataclass(frozen=True, slots=True)
class NameFinding:
    """An identifier in a file or document name: ``[start, end)`` code points, its kind (a key of
    ``NAME_REPLACEMENTS``), the text, and whether it is certain (a known name, an e-mail, phone, address or birth
    date) or only possible (a capitalised word that is no common word: a person should look)."""

    start: int
    end: int
    kind: str
    text: str
    certain: bool


def _name_tokens(name: str) -> Iterator[tuple[int, int]]:
    """Runs of letters, split where a lower-case letter meets an upper-case one (JaneSmith -> Jane, Smith)."""
    for run in _LETTERS.finditer(name):
        start = run.start()
        for i in range(run.start() + 1, run.end()):
            if name[i].isupper() and name[i - 1].islower():
                yield start, i
                start = i
        yield start, run.end()


def _known_variants(known_names: Iterable[str]) -> set[str]:
    """Case-folded full names, and each word of two letters or more of them that is not a common word or a
    title (a first or a last name alone identifies too)."""
    variants: set[str] = set()
    for raw in known_names:
        name = " ".join(str(raw).split())
        if len(name) < 2:
            continue
        if len(_LETTERS.findall(name)) > 1:  # a one-word name goes through the word test below
            variants.add(name.casefold())
        for word in _LETTERS.findall(name):
            folded = word.casefold()
            if len(word) >= 2 and folded not in COMMON_WORDS and folded not in TITLES \
                    and folded not in FILE_NAME_WORDS:
                variants.add(folded)
    return variants


def identifiers_in_name(name: str, known_names: Iterable[str] = (),
                        common_words: Iterable[str] = ()) -> list[NameFinding]:
    """Identifiers in a file or document name (``Interview_Jane_Smith_2026-03-01``), sorted and not overlapping.

    Certain: an e-mail address, phone number, street address or date of birth (``identifiers_in``, read with
    ``_`` as a space), and any word or full name of ``known_names`` (the transcript's speakers, the clinic's staff,
    the names redacted from its text), in any case. Possible: a capitalised word (not all capitals, two letters or
    more) that is neither a common word (``COMMON_WORDS``, ``FILE_NAME_WORDS``, ``common_words``: clinic and
    agency names) nor a title; the first word only when the next is one too (a name's first word is capitalised
    anyway: "Short one"). Name words next to each other (joined by nothing, a space, ``_``, ``-`` or ``.``)
    form one finding. A date without a birth cue is kept: transcripts are named by their interview date."""
    spaced = name.replace("_", " ")
    findings: list[NameFinding] = []
    for kind, pattern in (("e-mail address", EMAIL), ("phone number", PHONE), ("street address", STREET_ADDRESS)):
        source = name if kind == "e-mail address" else spaced
        findings += [NameFinding(m.start(), m.end(), kind, name[m.start():m.end()], True)
                     for m in pattern.finditer(source)]
    findings += [NameFinding(m.start("date"), m.end("date"), "date of birth", name[m.start("date"):m.end("date")],
                             True) for m in DATE_OF_BIRTH.finditer(spaced)]
    known = _known_variants(known_names)
    common = COMMON_WORDS | FILE_NAME_WORDS | TITLES | {w.casefold() for w in common_words}
    for full in sorted((k for k in known if " " in k), key=len, reverse=True):  # full names, spaces as any gap
        words = [re.escape(w) for w in full.split()]
        pattern = re.compile(r"(?<![^\W\d_])" + r"[\s_.\-]*".join(words) + r"(?![^\W\d_])", re.IGNORECASE)
        findings += [NameFinding(m.start(), m.end(), "name", m.group(0), True) for m in pattern.finditer(name)]
    tokens = list(_name_tokens(name))
    possible: list[bool] = []
    for start, end in tokens:
        token = name[start:end]
        folded = token.casefold()
        possible.append(len(token) >= 2 and token[0].isupper() and not token.isupper() and folded not in common
                        and folded.removesuffix("s") not in common)
        if folded in known:
            findings.append(NameFinding(start, end, "name", token, True))
    for i, (start, end) in enumerate(tokens):
        # the first word is capitalised anyway ("Short one", "Entrevista madre 07"): a possible name only when
        # the next word is one too and follows directly (Jane_Doe, JaneSmith)
        if possible[i] and (i > 0 or (len(tokens) > 1 and possible[1]
                                      and _NAME_GAP.fullmatch(name[end:tokens[1][0]]))):
            findings.append(NameFinding(start, end, "name", name[start:end], False))
    return _merge_name_findings(name, findings)


def _merge_name_findings(name: str, findings: list[NameFinding]) -> list[NameFinding]:
    """Drop findings inside a kept one (certain first, then longer); join neighbouring name findings."""
    kept: list[NameFinding] = []
    for f in sorted(findings, key=lambda f: (not f.certain, f.start - f.end, f.start)):
        if all(f.end <= k.start or k.end <= f.start for k in kept):
            kept.append(f)
    kept.sort(key=lambda f: f.start)
    merged: list[NameFinding] = []
    for f in kept:
        last = merged[-1] if merged else None
        if last is not None and last.kind == f.kind == "name" and _NAME_GAP.fullmatch(name[last.end:f.start]):
            merged[-1] = NameFinding(last.start, f.end, "name", name[last.start:f.end], last.certain or f.certain)
        else:
            merged.append(f)
    return merged


def redacted_name(name: str, findings: Iterable[NameFinding]) -> str:
    """``name`` with each finding replaced by its placeholder (``NAME_REPLACEMENTS``)."""
    out, cursor = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        out += [name[cursor:f.start], NAME_REPLACEMENTS[f.kind]]
        cursor = f.end
    return "".join([*out, name[cursor:]])
