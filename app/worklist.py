"""The home page's work queues: what each role has to do today, with exact counts and links straight to the work.

Feature packages register a *provider* per queue in ``init_app`` (``add_work``), as they register navigation
(``app.main.add_nav``); the base imports no feature package. A provider is called with the signed-in user and
returns a :class:`WorkItem`, or ``None`` when the queue does not apply to that user. Providers count with bounded
queries (``COUNT`` under ``app.security.scoped`` or the feature's own access rule, first links with ``LIMIT``), so
the home page costs a fixed number of queries whatever the size of the data.

Administrators pass every role gate elsewhere; on the home page they see the director's queues (the platform's
oversight view) so their page is not a union of every role's lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from app.models import Role

#: how many "first items" a queue links to directly (the rest are behind the queue's own link)
FIRST_LINKS = 5


@dataclass(frozen=True)
class WorkLink:
    label: str
    url: str


@dataclass(frozen=True)
class WorkItem:
    """One queue: ``count`` things to do, ``url`` the page where they are done; ``links`` the first few of them."""

    key: str  # stable identifier (tests, data-work attribute)
    label: str  # what the things are, in the user's words ("Applications to review")
    count: int
    url: str | None = None
    link_label: str = "Open the list"
    detail: str | None = None  # one sentence: how the count is defined
    links: tuple[WorkLink, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)  # first items without a page of their own to link to
    #: True when each link/note is one of the ``count`` items; False when they group them (per project, per clinic)
    itemized: bool = True

    @property
    def more(self) -> int:
        """How many items the first links/notes leave out (0 when the links group the items)."""
        if not self.itemized:
            return 0
        return max(0, self.count - max(len(self.links), len(self.notes)))


@dataclass(frozen=True)
class WorkProvider:
    roles: tuple[str, ...]
    provider: Callable[[object], WorkItem | None]
    order: int


def add_work(app: Flask, roles: tuple[str, ...], provider: Callable[[object], WorkItem | None],
             order: int = 50) -> None:
    """Feature packages call this in ``init_app``: ``provider(user)`` builds the queue for a user of ``roles``."""
    app.extensions["mio.work"].append(WorkProvider(tuple(roles), provider, order))


def home_role(user) -> str:
    """The role whose queues ``user`` sees (administrators: the director's)."""
    return Role.DIRECTOR if user.role == Role.ADMIN else user.role


def work_for(user) -> list[WorkItem]:
    """Every queue that applies to ``user``: those with work first, each part in ``order``."""
    if not user.is_authenticated:
        return []
    role = home_role(user)
    providers = sorted((p for p in current_app.extensions.get("mio.work", []) if role in p.roles),
                       key=lambda p: p.order)
    items = [item for item in (p.provider(user) for p in providers) if item is not None]
    return sorted(items, key=lambda item: item.count == 0)  # work first; the order stands within each part
