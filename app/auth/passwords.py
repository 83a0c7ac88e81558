"""Which passwords are accepted, and how long a repeated failure waits (ASVS 2.1 and 2.2.1). Plain functions, no
Flask: the views and the CLI apply them.

Strength: zxcvbn (Dropbox's estimator, the Python port on PyPI as ``zxcvbn``) must score a new password at least
``MIN_SCORE`` = 3, "safely unguessable" (about 10^8 guesses or more), counting the user's own e-mail and name as
known words. Breached passwords: the 30,000 most frequent passwords of Mark Burnett's 10-million-password corpus
compiled from public breaches, which zxcvbn ships as its ``passwords`` dictionary, are refused outright whatever
their score (compared case-insensitively). Length 12 to 128 characters; any character, spaces included.

Progressive delay: after ``free`` failures for one account from one address, each further failure doubles the
wait before the next try: 2, 4, 8 ... seconds, at most ``cap``. Counting per account *and* address means a
stranger guessing from elsewhere never locks the account's owner out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
#: zxcvbn's run time grows with length; a passphrase's first 100 characters decide its strength well enough
_ESTIMATE_CHARS = 100


@functools.lru_cache(maxsize=1)
def breached_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def problems(password: str, user_inputs: Iterable[str] = ()) -> list[str]:
    """Why ``password`` is refused (empty when it is accepted), in words a user can act on."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if password.lower() in breached_passwords():
        return ["This password appears in lists of breached passwords; choose another."]
    from zxcvbn import zxcvbn

    inputs = [part for text in user_inputs if text for part in _words(text)]
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result["feedback"]
    message = "This password is too easy to guess"
    if feedback.get("warning"):
        message += f": {feedback['warning'].rstrip('.')}"
    message += ". " + " ".join(
        feedback.get("suggestions") or ["Add another word or two. Uncommon words are better."]
    )
    return [message]


def _words(text: str) -> list[str]:
    """An e-mail or a name as zxcvbn's user inputs: the whole and its words (``jane.doe@x.org`` -> jane, doe ...)."""
    text = text.lower()
    return sorted({text, *(part for part in re.split(r"[\W_]+", text) if len(part) >= 3)})


def progressive_delay(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after ``failures`` consecutive failures: 0 for the first ``free``, then 2, 4, 8 ... up to
    ``cap`` (``2 ** (failures - free)``)."""
    if failures <= free:
        return 0
    return min(cap, 2 ** min(failures - free, 30))
