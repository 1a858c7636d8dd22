"""The subject a piece of work acts for, and the action it performs.

OpenSearch keeps the authenticated user in its thread context; here a ``ContextVar`` does the
same. The HTTP edge sets it for each request after checking the route's action; a scheduled job
sets it to its owner. It follows the work into the thread pool (Starlette's ``run_in_threadpool``
copies the context), so the catalog's name resolution and the search service read it without
every signature carrying it. Unset means the node itself: no restriction (security disabled).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from loghaven.security.subject import INTERNAL, IndexRules, Subject


@dataclass(frozen=True)
class Acting:
    subject: Subject
    #: The action the work performs (OpenSearch's name), against which index names resolve.
    action: str
    #: Told of each index name refused to the subject, with the action (the edge records it
    #: in the audit log as ``MISSING_PRIVILEGES``).
    on_denied: Callable[[str, str], None] | None = None


_ACTING: ContextVar[Acting | None] = ContextVar("loghaven_acting", default=None)


def current() -> Acting | None:
    """Who the current work acts for; None for the node itself."""
    return _ACTING.get()


@contextlib.contextmanager
def acting(subject: Subject, action: str,
           on_denied: Callable[[str, str], None] | None = None) -> Iterator[Acting]:
    """Run the enclosed work as ``subject`` performing ``action``."""
    acting = Acting(subject, action, on_denied)
    token = _ACTING.set(acting)
    try:
        yield acting
    finally:
        _ACTING.reset(token)


@contextlib.contextmanager
def as_node(action: str) -> Iterator[None]:
    """Work on the node's own (system) indices as the node itself, whoever asked (the REST
    layer has checked the caller's permission for the API)."""
    with acting(INTERNAL, action):
        yield


def acting_user() -> dict[str, Any] | None:
    """The acting user as OpenSearch records it on what they write (a monitor's or an ISM
    policy's ``user``), to act as them later; None for the node itself."""
    now = _ACTING.get()
    if now is None or now.subject is INTERNAL:
        return None
    subject = now.subject
    return {"name": subject.name, "backend_roles": list(subject.backend_roles),
            "roles": list(subject.roles), "custom_attribute_names": [],
            "user_requested_tenant": None}


def owner() -> tuple[str, str | None] | None:
    """The owner of the search contexts the current work opens (:attr:`Subject.owner`); None
    for the node itself (security disabled)."""
    now = _ACTING.get()
    return None if now is None else now.subject.owner


def index_rules(index: str, aliases: Collection[str] = ()) -> IndexRules | None:
    """Document- and field-level security of the current subject on ``index`` (whose
    ``aliases`` the roles may name instead of it)."""
    now = _ACTING.get()
    return None if now is None else now.subject.privileges.index_rules(index, aliases)
