"""Elasticsearch API keys: creation, the stored record, verification and role restriction.

A key is an id (20 characters, as ES's) and a secret of 128 random bits; clients send
``Authorization: ApiKey base64(id:secret)``. The secret is stored as a salted SHA-256 (ES's
``ssha256`` API key hashing): with 128 bits of entropy a slow hash adds nothing against
guessing, while argon2 would cost ~90 ms per request or a cache of live secrets. A key acts
for its owner, limited by its ``role_descriptors`` (ES's rule: the intersection of both),
evaluated with the owner's current roles, so removing a role from the owner also takes it
from the owner's keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loghaven import params
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.errors import ActionRequestValidation, IllegalArgument
from loghaven.security.descriptors import roles_from_descriptors
from loghaven.security.privileges import Intersection, RolePrivileges
from loghaven.security.subject import Privileges, Subject
from loghaven.security.wildcards import Matcher

#: The realm API keys' owners come from, as ES names its native realm.
REALM = "default_native"
REALM_TYPE = "native"
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
#: ES's actions; a caller whose roles grant them sees (or invalidates) every user's keys, as
#: ES's ``manage_api_key``; without them only their own (``manage_own_api_key``).
CREATE_ACTION = "cluster:admin/xpack/security/api_key/create"
GET_ACTION = "cluster:admin/xpack/security/api_key/get"
INVALIDATE_ACTION = "cluster:admin/xpack/security/api_key/invalidate"
_NAME_MAX = 256


@dataclass(frozen=True)
class Query:
    """Which keys a get or invalidate request means (ES's request fields)."""

    ids: tuple[str, ...] = ()
    name: str | None = None
    username: str | None = None
    realm_name: str | None = None
    owner: bool = False


def validate_name(name: Any) -> str:
    """ES's checks of a new key's name."""
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ActionRequestValidation("Validation Failed: 1: api key name is required;")
    name = params.expect_string(name, "name", "api_key_request")
    if len(name) > _NAME_MAX:
        raise ActionRequestValidation(f"Validation Failed: 1: api key name may not be more "
                                      f"than [{_NAME_MAX}] characters long;")
    if name != name.strip():
        raise ActionRequestValidation("Validation Failed: 1: api key name may not begin or "
                                      "end with whitespace;")
    if name.startswith("_"):
        raise ActionRequestValidation("Validation Failed: 1: api key name may not begin with "
                                      "an underscore;")
    return name


def get_query(values: Mapping[str, str]) -> Query:
    """``GET _security/api_key``'s parameters, checked as ES's GetApiKeyRequest."""
    query = Query(ids=(values["id"],) if values.get("id") else (), name=values.get("name") or None,
                  username=values.get("username") or None,
                  realm_name=values.get("realm_name") or None,
                  owner=params.param_bool(values, "owner"))
    errors = []
    if query.ids and query.name:
        errors.append("only one of [api key id, api key name] can be specified")
    if (query.ids or query.name) and (query.username or query.realm_name):
        errors.append("username or realm name must not be specified when the api key id or "
                      "api key name is specified")
    if query.owner and (query.username or query.realm_name):
        errors.append("neither username nor realm-name may be specified when retrieving "
                      "owned API keys")
    _refuse(errors)
    return query


def invalidate_query(body: Mapping[str, Any]) -> Query:
    """``DELETE _security/api_key``'s body, checked as ES's InvalidateApiKeyRequest."""
    ids = [body["id"]] if body.get("id") else []
    ids += params.expect_list(body.get("ids") or [], "ids", "invalidate_api_key_request")
    owner = params.parse_bool(body.get("owner", False), "owner")
    query = Query(ids=tuple(str(i) for i in ids), name=body.get("name") or None,
                  username=body.get("username") or None,
                  realm_name=body.get("realm_name") or None, owner=owner)
    errors = []
    if body.get("id") and body.get("ids"):
        errors.append("Must use either [id] or [ids], not both at the same time")
    if not (query.ids or query.name or query.username or query.realm_name or owner):
        errors.append("One of [api key id(s), api key name, username, realm name] must be "
                      "specified if [owner] flag is false")
    if (query.ids or query.name) and (query.username or query.realm_name):
        errors.append("username or realm name must not be specified when the api key id(s) "
                      "or api key name are specified")
    if owner and (query.username or query.realm_name):
        errors.append("neither username nor realm-name may be specified when invalidating "
                      "owned API keys")
    _refuse(errors)
    return query


def _refuse(errors: list[str]) -> None:
    if errors:
        raise ActionRequestValidation("Validation Failed: " + "".join(
            f"{n}: {e};" for n, e in enumerate(errors, 1)))


def select(records: Iterable[Mapping[str, Any]], query: Query) -> list[dict[str, Any]]:
    """The records a query names (a name may use ``*`` wildcards, as in ES), by creation."""
    names = Matcher([query.name]) if query.name else None
    return sorted((dict(r) for r in records
                   if (not query.ids or r["id"] in query.ids)
                   and (names is None or names(r["name"]))
                   and (query.username is None or r["username"] == query.username)
                   and (query.realm_name is None or r["realm"] == query.realm_name)),
                  key=lambda r: (r["creation"], r["id"]))


def new_record(name: str, owner: str, body: Mapping[str, Any], now_ms: int,
               ) -> tuple[dict[str, Any], str]:
    """A new key's stored record and its secret (returned to the client once)."""
    expiration = body.get("expiration")
    expires = None
    if expiration is not None:
        try:
            expires = now_ms + parse_duration_ms(str(expiration), "expiration")
        except ValueError as exc:
            raise IllegalArgument(str(exc)) from None
    descriptors = params.expect_object(body.get("role_descriptors") or {}, "role_descriptors",
                                       "api_key_request")
    metadata = params.expect_object(body.get("metadata") or {}, "metadata", "api_key_request")
    roles_from_descriptors(descriptors)  # refuses what Elasticsearch would refuse
    key_id = new_id()
    secret = secrets.token_urlsafe(16)
    salt = secrets.token_hex(16)
    record = {"id": key_id, "name": name, "type": "rest", "creation": now_ms,
              "expiration": expires, "invalidated": False, "invalidation": None,
              "username": owner, "realm": REALM, "realm_type": REALM_TYPE,
              "metadata": metadata, "role_descriptors": descriptors,
              "salt": salt, "hash": _hash(salt, secret)}
    return record, secret


def new_id() -> str:
    """A random id of 20 characters, as the ids Elasticsearch and OpenSearch generate."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def encoded(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def decode(value: str) -> tuple[str, str] | None:
    """``(id, secret)`` of the ``ApiKey`` credentials, None when they are not well formed."""
    try:
        text = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key_id, sep, secret = text.partition(":")
    return (key_id, secret) if sep and key_id and secret else None


def verify(record: Mapping[str, Any], secret: str) -> bool:
    return hmac.compare_digest(record["hash"], _hash(record["salt"], secret))


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}{secret}".encode()).hexdigest()


def expired(record: Mapping[str, Any], now: float) -> bool:
    return record.get("expiration") is not None and record["expiration"] <= now * 1000


def render(record: Mapping[str, Any], now: float) -> dict[str, Any]:
    """A key as ``GET _security/api_key`` shows it (never the secret or its hash)."""
    out = {"id": record["id"], "name": record["name"], "type": "rest",
           "creation": record["creation"]}
    if record.get("expiration") is not None:
        out["expiration"] = record["expiration"]
    out["invalidated"] = bool(record.get("invalidated")) or expired(record, now)
    if record.get("invalidation") is not None:
        out["invalidation"] = record["invalidation"]
    out.update(username=record["username"], realm=record["realm"],
               realm_type=record.get("realm_type", REALM_TYPE),
               metadata=record.get("metadata") or {},
               role_descriptors=record.get("role_descriptors") or {})
    return out


def authenticate_body(subject: Subject, key_name: str | None) -> dict[str, Any]:
    """``GET _security/_authenticate``: who the caller is, as ES answers it."""
    if subject.api_key_id is None:
        realm = {"name": REALM, "type": REALM_TYPE}
        return {"username": subject.name, "roles": list(subject.roles), "full_name": None,
                "email": None, "metadata": {}, "enabled": True,
                "authentication_realm": realm, "lookup_realm": realm,
                "authentication_type": "realm"}
    key_realm = {"name": "_es_api_key", "type": "_es_api_key"}
    return {"username": subject.name, "roles": [], "full_name": None, "email": None,
            "metadata": {}, "enabled": True, "authentication_realm": key_realm,
            "lookup_realm": key_realm, "authentication_type": "api_key",
            "api_key": {"id": subject.api_key_id, "name": key_name}}


# Role restriction -----------------------------------------------------------------------


def restrict(owner: Privileges, record: Mapping[str, Any],
             action_groups: Mapping[str, Mapping[str, Any]]) -> Privileges:
    """The key's privileges: its owner's, limited by its role descriptors when it has any."""
    descriptors = record.get("role_descriptors") or {}
    if not descriptors:
        return owner
    return Intersection(owner, RolePrivileges(roles_from_descriptors(descriptors),
                                              action_groups, record["username"]))
