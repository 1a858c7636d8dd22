"""Persistence of the security configuration in the node's metastore.

Each entity is one metastore object (kind ``security_<type>``, named by the entity), so that a
change writes only what changed, in one transaction. Built-in (static) roles and action groups
are not stored: they come from :mod:`loghaven.security.builtin` (``static`` or ``reserved``,
so never changed through the API) and are merged in on reading. API keys and access keys are
stored by id; UI sessions, HEC tokens and OpenSearch's API keys (``apitokens``) by the SHA-256 of their token (never the token).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loghaven.storage.metastore import Metastore

#: The configuration types, by their REST API names.
USERS = "internalusers"
ROLES = "roles"
ROLES_MAPPING = "rolesmapping"
ACTION_GROUPS = "actiongroups"
TYPES = (USERS, ROLES, ROLES_MAPPING, ACTION_GROUPS)

_KIND = {USERS: "security_user", ROLES: "security_role", ROLES_MAPPING: "security_rolesmapping",
         ACTION_GROUPS: "security_actiongroup"}
_API_KEY = "security_api_key"
_SESSION = "security_session"
_ACCESS_KEY = "security_access_key"
_HEC_TOKEN = "security_hec_token"
_API_TOKEN = "security_api_token"
_META = "security_meta"

Change = tuple[str, str, dict[str, Any] | None]


class SecurityStore:
    def __init__(self, metastore: Metastore,
                 statics: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self.metastore = metastore
        #: Built-in entities per type (read-only).
        self.statics = statics

    def entries(self, ctype: str) -> dict[str, dict[str, Any]]:
        """Every entity of a type, stored and built-in, by name."""
        stored = self.metastore.list(_KIND[ctype])
        for name, entry in self.statics.get(ctype, {}).items():
            stored[name] = dict(entry)
        return stored

    def apply(self, changes: list[Change]) -> None:
        """Put (a value) or delete (None) entities, all in one transaction."""
        self.metastore.put_many([(_KIND[ctype], name, value) for ctype, name, value in changes])

    def bootstrapped(self) -> bool:
        return self.metastore.get(_META, "bootstrap") is not None

    def bootstrap(self, changes: list[Change], at: int) -> None:
        """The first secure start's entities, with the marker that it happened, together."""
        self.metastore.put_many([*((_KIND[c], n, v) for c, n, v in changes),
                                 (_META, "bootstrap", {"at": at})])

    # API keys ---------------------------------------------------------------------------

    def api_key(self, key_id: str) -> dict[str, Any] | None:
        return self.metastore.get(_API_KEY, key_id)

    def api_keys(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(_API_KEY)

    def put_api_keys(self, records: list[dict[str, Any]]) -> None:
        self.metastore.put_many([(_API_KEY, record["id"], record) for record in records])

    # Access keys (SigV4) and HEC tokens ---------------------------------------------------

    def access_key(self, key_id: str) -> dict[str, Any] | None:
        return self.metastore.get(_ACCESS_KEY, key_id)

    def access_keys(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(_ACCESS_KEY)

    def put_access_key(self, key_id: str, record: dict[str, Any] | None) -> None:
        """Store a key's record, or delete it (None)."""
        self.metastore.put_many([(_ACCESS_KEY, key_id, record)])

    def hec_token(self, digest: str) -> dict[str, Any] | None:
        return self.metastore.get(_HEC_TOKEN, digest)

    def hec_tokens(self) -> dict[str, dict[str, Any]]:
        """Every token's record, by the digest of the token."""
        return self.metastore.list(_HEC_TOKEN)

    def put_hec_token(self, digest: str, record: dict[str, Any] | None) -> None:
        self.metastore.put_many([(_HEC_TOKEN, digest, record)])

    # OpenSearch's API keys (apitokens) --------------------------------------------------

    def api_token(self, digest: str) -> dict[str, Any] | None:
        return self.metastore.get(_API_TOKEN, digest)

    def api_tokens(self) -> dict[str, dict[str, Any]]:
        """Every key's record, by the digest of its token."""
        return self.metastore.list(_API_TOKEN)

    def put_api_token(self, digest: str, record: dict[str, Any]) -> None:
        self.metastore.put_many([(_API_TOKEN, digest, record)])

    # UI sessions ------------------------------------------------------------------------

    def session(self, digest: str) -> dict[str, Any] | None:
        return self.metastore.get(_SESSION, digest)

    def put_session(self, digest: str, record: dict[str, Any]) -> None:
        self.metastore.put(_SESSION, digest, record)

    def delete_session(self, digest: str) -> None:
        self.metastore.delete(_SESSION, digest)

    def sessions(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(_SESSION)
