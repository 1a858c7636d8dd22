"""Splunk HTTP Event Collector tokens of users: ``Authorization: Splunk <token>``.

A token is a GUID (122 random bits), as Splunk's, shown once at creation. It is a bearer
secret, stored as its SHA-256 (as API keys: with that much entropy a slow hash adds nothing)
and looked up by that digest. The fields are Splunk's (``services/data/inputs/http``):
``index`` (the default index of events that name none), ``indexes`` (the indexes events may
name; empty: any the owner may write), ``disabled``, ``description``; ``source`` and
``sourcetype`` (and ``host``) are the defaults of events that name none; ``useACK`` turns
indexer acknowledgements on (hec/acks.py).

Tokens also come from the configuration file (``hec.tokens``: mappings with the same fields,
``name``, ``token`` and, with security on, the ``user`` they act as): listed with the others,
never changed over HTTP.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from loghaven import params
from loghaven.errors import ActionRequestValidation
from loghaven.security.privileges import Intersection
from loghaven.security.subject import IndexRules, Privileges
from loghaven.security.wildcards import Matcher

#: OpenSearch-style permission to manage other users' tokens (one's own needs none).
MANAGE_ACTION = "restapi:admin/hectokens"
_FIELDS = ("index", "indexes", "disabled", "description", "source", "sourcetype", "host",
           "useACK")
#: Where a token was defined: through the REST APIs (the metastore) or ``hec.tokens``.
CONFIG = "config"
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


def new_token() -> str:
    return str(uuid.uuid4())


def digest(token: str) -> str:
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


def validate_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ActionRequestValidation("Validation Failed: 1: token name must be 1 to 256 "
                                      "letters, digits, '_', '.' or '-';")
    return name


def settings(body: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The token's fields from a PUT body (over ``current`` when it exists), checked."""
    unknown = sorted(set(body) - {*_FIELDS, "user"})
    if unknown:
        raise ActionRequestValidation(f"Validation Failed: 1: unknown field [{unknown[0]}];")
    out = {field: (current or {}).get(field) for field in _FIELDS}
    for field in ("index", "description", "source", "sourcetype", "host"):
        if body.get(field) is not None:
            out[field] = params.expect_string(body[field], field, "hec_token")
    if "indexes" in body:
        out["indexes"] = [params.expect_string(i, "indexes", "hec_token")
                          for i in params.expect_list(body["indexes"] or [], "indexes",
                                                      "hec_token")]
    for flag in ("disabled", "useACK"):
        if body.get(flag) is not None:
            out[flag] = params.parse_bool(body[flag], flag)
        out[flag] = bool(out[flag])
    out["indexes"] = out["indexes"] or []
    out["description"] = out["description"] or ""
    if out["index"] and out["indexes"] and out["index"] not in out["indexes"]:
        raise ActionRequestValidation(f"Validation Failed: 1: the default index "
                                      f"[{out['index']}] is not one of the allowed indexes;")
    return out


def render(record: Mapping[str, Any]) -> dict[str, Any]:
    """A token as the API lists it (never the token or its digest)."""
    out = {"user": record["user"], **{field: record.get(field) for field in _FIELDS},
           "created": record["created"]}
    if record.get("origin") == CONFIG:
        out["origin"] = CONFIG
    return out


def from_config(entries: list[Any], *, security: bool) -> dict[str, dict[str, Any]]:
    """``hec.tokens``: each entry's record by the digest of its token, checked at start (a
    ValueError names the entry), so that a typo fails the start rather than every request."""
    records: dict[str, dict[str, Any]] = {}
    names: set[str] = set()
    for position, entry in enumerate(entries):
        where = f"hec.tokens[{position}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected a mapping with name, token and Splunk's "
                             f"token fields")
        body = dict(entry)
        name, token, user = body.pop("name", None), body.pop("token", None), body.pop("user",
                                                                                      None)
        if not isinstance(name, str) or not isinstance(token, str) or not token.strip():
            raise ValueError(f"{where}: [name] and [token] are required strings")
        if security and not isinstance(user, str):
            raise ValueError(f"{where}: [user] (the user the token acts as) is required when "
                             f"security is enabled")
        try:
            validate_name(name)
            fields = settings(body, None)
        except ActionRequestValidation as exc:
            raise ValueError(f"{where}: {exc.reason}") from None
        if name in names:
            raise ValueError(f"{where}: a token named [{name}] is defined twice")
        names.add(name)
        records[digest(token)] = {"name": name, "user": user, **fields, "created": None,
                                  "origin": CONFIG}
    return records


class AllowedIndexes:
    """A token's ``indexes`` as privileges, intersected with its owner's: with a non-empty
    list, index actions reach only those indexes (or aliases of them), wherever the names are
    resolved."""

    def __init__(self, indexes: list[str]) -> None:
        self.matcher = Matcher(indexes)

    def allows_cluster(self, action: str) -> bool:
        return True

    def allows_index(self, action: str, index: str, aliases: Collection[str] = ()) -> bool:
        return self.matcher(index) or any(self.matcher(alias) for alias in aliases)

    def allows_some_index(self, action: str) -> bool:
        return True

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        return None


def restrict(owner: Privileges, record: Mapping[str, Any]) -> Privileges:
    """The token's privileges: its owner's, limited to its allowed indexes when it has any."""
    indexes = record.get("indexes") or []
    return Intersection(owner, AllowedIndexes(indexes)) if indexes else owner
