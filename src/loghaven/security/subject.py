"""Who is acting, and what their roles let them do: the contract between authentication (who),
the role model (what) and the places that enforce it (the HTTP edge, the catalog's name
resolution, the search service)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class IndexRules:
    """What a subject may see of one index's documents: document- and field-level security.

    ``dls`` is a query (Query DSL, ``${user.name}`` already substituted) a document must match;
    ``fls_include``/``fls_exclude`` are field patterns (``*`` wildcards) of the ``_source``
    fields shown (None: all fields) and hidden; ``masked`` are the roles' ``masked_fields`` entries:
    a field pattern whose values are replaced by a hash, optionally with OpenSearch's
    ``::algorithm`` or ``::/regex/::replacement``.
    """

    dls: dict | None = None
    fls_include: tuple[str, ...] | None = None
    fls_exclude: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()


class Privileges(Protocol):
    """The permissions of a set of roles, as OpenSearch's privilege evaluation answers them.

    Action names are OpenSearch's (``cluster:monitor/health``, ``indices:data/read/search``).
    """

    def allows_cluster(self, action: str) -> bool:
        """Whether a cluster permission of the roles covers ``action``."""
        ...

    def allows_index(self, action: str, index: str, aliases: Collection[str] = ()) -> bool:
        """Whether an index permission of the roles covers ``action`` on this index or alias
        name (or on one of ``aliases``, the aliases of the index: a grant on an alias holds
        for its member indices)."""
        ...

    def allows_some_index(self, action: str) -> bool:
        """Whether any index permission covers ``action`` (else a request for it is denied
        before its indices are resolved)."""
        ...

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        """Document- and field-level security on this index (with its ``aliases``: roles
        that name an alias restrict its member indices); None when unrestricted."""
        ...


class AllAccess:
    """The privileges of the node itself (security disabled, internal work)."""

    def allows_cluster(self, action: str) -> bool:
        return True

    def allows_index(self, action: str, index: str, aliases: Collection[str] = ()) -> bool:
        return True

    def allows_some_index(self, action: str) -> bool:
        return True

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        return None


@dataclass(frozen=True)
class Subject:
    """An authenticated caller.

    ``roles`` are the security roles after role mapping; ``backend_roles`` come from the user
    record (or the API key's owner); ``auth_type`` is ``basic``, ``api_key``, ``session``,
    ``sigv4`` (an access key), ``hec`` (a Splunk HEC token) or ``internal``.
    """

    name: str
    privileges: Privileges
    backend_roles: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    auth_type: str = "basic"
    #: For an API key: its id (an API key's privileges are its owner's, restricted).
    api_key_id: str | None = None
    #: For an access key (``sigv4``) its id, for a HEC token (``hec``) its name.
    credential: str | None = None

    @property
    def owner(self) -> tuple[str, str | None]:
        """Who owns what this subject opens (a scroll, a point in time): the user, or the API
        key, as Elasticsearch ties a search context to the authenticated user and realm (a UI
        session and Basic are the same user of the same user store)."""
        return (self.name, self.api_key_id if self.auth_type == "api_key" else None)

    def describe(self) -> str:
        """The user as OpenSearch prints it in ``authinfo`` and in denial messages."""
        return (f"User [name={self.name}, backend_roles=[{', '.join(self.backend_roles)}], "
                f"requestedTenant=null]")


#: The node acting for itself: no user, no restriction.
INTERNAL = Subject(name="_internal", privileges=AllAccess(), auth_type="internal")
