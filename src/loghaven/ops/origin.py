"""Who sent the request being served: the client's address, the authenticated user and the
``X-Opaque-Id`` header, for the error and slow logs.

The HTTP edge sets it for each request (api/app.py) and the guard adds the user once it has
authenticated them (api/auth.py). A ``ContextVar`` follows the work into the thread pool
(Starlette's ``run_in_threadpool`` copies the context), so the services' observers read it
without every signature carrying it; the guard changes the same object, so what ran before
authentication (the error boundary) sees the user too. Unset: the node's own work (a
scheduled job). It never holds a credential: no ``Authorization`` header, no cookie, no
query string.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass
class Origin:
    #: The client's IP address ("" when the server does not know it).
    address: str
    #: The ``X-Opaque-Id`` header, which clients set to trace their requests.
    opaque_id: str | None = None
    method: str = ""
    #: The request's path, without its query string.
    path: str = ""
    #: The authenticated user's name (None: security is off, or not authenticated yet).
    user: str | None = None

    def fields(self) -> dict[str, Any]:
        """The log entry fields of the origin."""
        return {"client.address": self.address, "user": self.user,
                "x_opaque_id": self.opaque_id}


_ORIGIN: ContextVar[Origin | None] = ContextVar("loghaven_origin", default=None)


def current() -> Origin | None:
    """The origin of the request being served; None for the node's own work."""
    return _ORIGIN.get()


@contextlib.contextmanager
def receiving(origin: Origin) -> Iterator[Origin]:
    """Serve the enclosed request as coming from ``origin``."""
    token = _ORIGIN.set(origin)
    try:
        yield origin
    finally:
        _ORIGIN.reset(token)


def authenticated(user: str) -> None:
    """Record the user the request was authenticated as."""
    origin = _ORIGIN.get()
    if origin is not None:
        origin.user = user


def fields() -> dict[str, Any]:
    """The current origin's log entry fields (none for the node's own work)."""
    origin = _ORIGIN.get()
    return origin.fields() if origin is not None else {}
