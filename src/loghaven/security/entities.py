"""The four kinds of security configuration entity — internal users, roles, role mappings and
action groups — and changes to them with OpenSearch's rules and messages.

OpenSearch's REST API answers its own errors as ``{"status": "NOT_FOUND", "message": ...}`` or,
for a body that fails validation, ``{"status": "error", "reason": ...}``; :class:`ConfigRefused`
carries such a body. Every change is computed against a :class:`~loghaven.security.service.
Snapshot` and returned as a list of puts and deletes that the service applies in one
transaction. Reserved, static and hidden entities cannot be changed through the API (in
OpenSearch only the TLS super-admin can; Loghaven has none), hidden ones are not shown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonpatch
import jsonpointer

from loghaven.errors import LoghavenError
from loghaven.security.passwords import hash_password, is_hash
from loghaven.security.store import ACTION_GROUPS, ROLES, ROLES_MAPPING, USERS
from loghaven.security.wildcards import Matcher

if TYPE_CHECKING:
    from loghaven.security.service import Snapshot

Change = tuple[str, str, dict[str, Any] | None]

#: OpenSearch's bound on entity names and string values.
MAX_STRING_LENGTH = 256
_PATCH_OPERATIONS = ("add", "replace", "remove")
_FLAGS = ("reserved", "hidden", "static")


class ConfigRefused(LoghavenError):
    """A refused request of the security REST API, with OpenSearch's body for it."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message") or body.get("reason")), status=status)
        self.body = body

    def to_body(self) -> dict[str, Any]:
        return self.body


_STATUS_NAMES = {200: "OK", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND",
                 500: "INTERNAL_SERVER_ERROR"}


def refused(status: int, message: str) -> ConfigRefused:
    return ConfigRefused(status, payload(status, message))


def payload(status: int, message: str) -> dict[str, Any]:
    """OpenSearch's ``{"status": "CREATED", "message": ...}`` answer body."""
    names = {**_STATUS_NAMES, 201: "CREATED"}
    return {"status": names[status], "message": message}


def _invalid(reason: str, **details: Any) -> ConfigRefused:
    return ConfigRefused(400, {"status": "error", "reason": reason, **details})


# Each type: its name in messages, the keys a body may have, and its stored form -------------

_ARRAY, _OBJECT, _STRING = "Array expected", "Object expected", "String expected"


@dataclass(frozen=True)
class Kind:
    resource: str
    allowed: Mapping[str, str]
    normalize: Callable[[dict[str, Any]], dict[str, Any]]
    mandatory_or: tuple[str, ...] = ()


def normalize_user(body: Mapping[str, Any]) -> dict[str, Any]:
    return _with_description(body, {
        "hash": body.get("hash", ""), "reserved": False, "hidden": False,
        "backend_roles": list(body.get("backend_roles") or []),
        "attributes": {str(k): str(v) for k, v in (body.get("attributes") or {}).items()},
        "opendistro_security_roles": list(body.get("opendistro_security_roles") or [])})


def normalize_mapping(body: Mapping[str, Any]) -> dict[str, Any]:
    return _with_description(body, {
        "hosts": list(body.get("hosts") or []), "users": list(body.get("users") or []),
        "reserved": False, "hidden": False,
        "backend_roles": list(body.get("backend_roles") or []),
        "and_backend_roles": list(body.get("and_backend_roles") or [])})


def _normalize_role(body: Mapping[str, Any]) -> dict[str, Any]:
    return _with_description(body, {
        "reserved": False, "hidden": False,
        "cluster_permissions": list(body.get("cluster_permissions") or []),
        "index_permissions": [_index_permission(p) for p in body.get("index_permissions") or []],
        "tenant_permissions": list(body.get("tenant_permissions") or [])})


def _index_permission(permission: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"index_patterns": list(permission.get("index_patterns") or [])}
    if permission.get("dls"):
        out["dls"] = permission["dls"]
    out["fls"] = list(permission.get("fls") or [])
    out["masked_fields"] = list(permission.get("masked_fields") or [])
    out["allowed_actions"] = list(permission.get("allowed_actions") or [])
    return out


def _normalize_action_group(body: Mapping[str, Any]) -> dict[str, Any]:
    out = _with_description(body, {"reserved": False, "hidden": False,
                                   "allowed_actions": list(body.get("allowed_actions") or [])})
    if body.get("type"):
        out["type"] = str(body["type"]).lower()
    return out


def _with_description(body: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if body.get("description"):
        out["description"] = body["description"]
    return out


KINDS: dict[str, Kind] = {
    USERS: Kind("user", {"backend_roles": _ARRAY, "attributes": _OBJECT,
                         "description": _STRING, "opendistro_security_roles": _ARRAY,
                         "hash": _STRING, "password": _STRING}, normalize_user),
    ROLES: Kind("role", {"cluster_permissions": _ARRAY, "tenant_permissions": _ARRAY,
                         "index_permissions": _ARRAY, "description": _STRING},
                _normalize_role),
    ROLES_MAPPING: Kind("rolesmapping", {"backend_roles": _ARRAY, "and_backend_roles": _ARRAY,
                                         "hosts": _ARRAY, "users": _ARRAY,
                                         "description": _STRING}, normalize_mapping,
                        ("and_backend_roles", "backend_roles", "hosts", "users")),
    ACTION_GROUPS: Kind("actiongroup", {"allowed_actions": _ARRAY, "description": _STRING,
                                        "type": _STRING}, _normalize_action_group),
}


# Reading ----------------------------------------------------------------------------------


def render(ctype: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entity as the GET API shows it: no password hash, ``static`` always present."""
    out = dict(entry)
    if ctype == USERS:
        out["hash"] = ""
    out.setdefault("static", False)
    return out


def get(snapshot: Snapshot, ctype: str, name: str | None) -> dict[str, Any]:
    entries = snapshot.of(ctype)
    if name is None:
        return {n: render(ctype, e) for n, e in entries.items() if not e.get("hidden")}
    _required_name(ctype, name)
    entry = entries.get(name)
    if entry is not None and entry.get("hidden"):
        raise refused(404, f"Resource '{name}' is not available.")
    if entry is None:
        raise refused(404, f"{KINDS[ctype].resource} '{name}' not found.")
    return {name: render(ctype, entry)}


# Changing ---------------------------------------------------------------------------------


def put(snapshot: Snapshot, ctype: str, name: str, body: Any) -> tuple[list[Change], bool]:
    """A PUT's changes, and whether it creates the entity."""
    _required_name(ctype, name)
    if body is None:
        raise _invalid("Request body required for this action.")
    if not isinstance(body, dict):
        raise _invalid("Could not parse content of request.")
    entries = snapshot.of(ctype)
    _validate_keys(ctype, body)
    _changeable(entries, name)
    existing = entries.get(name)
    entry = _prepare(snapshot, ctype, name, dict(body), existing)
    return [(ctype, name, entry)], existing is None


def delete(snapshot: Snapshot, ctype: str, name: str) -> list[Change]:
    _required_name(ctype, name)
    entries = snapshot.of(ctype)
    _changeable(entries, name)
    if name not in entries:
        raise refused(404, f"{KINDS[ctype].resource} '{name}' not found.")
    return [(ctype, name, None)]


def patch(snapshot: Snapshot, ctype: str, name: str | None,
          operations: Any) -> list[Change]:
    """A JSON Patch (RFC 6902) of one entity (``name``) or of the whole type; no changes when
    the patch changes nothing."""
    _check_patch(operations)
    entries = snapshot.of(ctype)
    if name is not None:
        _required_name(ctype, name)
        _changeable(entries, name)
        if name not in entries:
            raise refused(404, f"{KINDS[ctype].resource} '{name}' not found.")
        patched = _apply_patch(operations, _editable(entries[name]))
        return [(ctype, name, _patched_entity(snapshot, ctype, name, patched, entries[name]))]
    before = {n: _editable(e) for n, e in entries.items()}
    after = _apply_patch(operations, before)
    if not isinstance(after, dict):
        raise refused(400, "Wrong request body")
    changes: list[Change] = []
    for entity in sorted(set(before) | set(after)):
        if before.get(entity) == after.get(entity):
            continue
        if entity in before:
            _changeable(entries, entity)
        if entity not in after:
            changes.append((ctype, entity, None))
        else:
            changes.append((ctype, entity, _patched_entity(snapshot, ctype, entity,
                                                           after[entity], entries.get(entity))))
    return changes


def _patched_entity(snapshot: Snapshot, ctype: str, name: str, patched: Any,
                    existing: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(patched, dict):
        raise _invalid("Could not parse content of request.")
    _validate_keys(ctype, patched)
    return _prepare(snapshot, ctype, name, patched, existing)


def _editable(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entity as a patch sees it: its content without the false flags (which a body may
    not carry)."""
    return {k: copy.deepcopy(v) for k, v in entry.items() if not (k in _FLAGS and not v)}


def _check_patch(operations: Any) -> None:
    if not isinstance(operations, list) or not operations:
        raise refused(400, "Wrong request body")
    for operation in operations:
        op = operation.get("op") if isinstance(operation, dict) else None
        if op is not None and op not in _PATCH_OPERATIONS:
            raise refused(400, f"Unsupported patch operation: {op}. Supported are: "
                               f"{','.join(_PATCH_OPERATIONS)}")


def _apply_patch(operations: list[Any], document: Any) -> Any:
    try:
        return jsonpatch.JsonPatch(operations).apply(document)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, KeyError,
            TypeError) as exc:
        raise refused(400, str(exc) or type(exc).__name__) from exc


def _required_name(ctype: str, name: str) -> None:
    resource = KINDS[ctype].resource
    if not name:
        raise refused(400, f"No {resource} specified.")
    if len(name) > MAX_STRING_LENGTH:
        raise refused(400, f"{resource} name exceeds maximum length of {MAX_STRING_LENGTH}.")


def _changeable(entries: Mapping[str, Mapping[str, Any]], name: str) -> None:
    """OpenSearch's immutable-entity check: hidden, then static, then reserved."""
    entry = entries.get(name)
    if entry is None:
        return
    if entry.get("hidden"):
        raise refused(404, f"Resource '{name}' is not available.")
    if entry.get("static"):
        raise refused(403, f"Resource '{name}' is static.")
    if entry.get("reserved"):
        raise refused(403, f"Resource '{name}' is reserved.")


def _validate_keys(ctype: str, body: Mapping[str, Any]) -> None:
    """OpenSearch's request content validation: allowed and mandatory keys, then types."""
    kind = KINDS[ctype]
    invalid = sorted(set(body) - set(kind.allowed))
    missing_or = [] if not kind.mandatory_or or set(body) & set(kind.mandatory_or) \
        else list(kind.mandatory_or)
    if invalid or missing_or:
        details: dict[str, Any] = {}
        if invalid:
            details["invalid_keys"] = {"keys": ",".join(invalid)}
        if missing_or:
            details["specify_one_of"] = {"keys": ",".join(missing_or)}
        raise _invalid("Invalid configuration", **details)
    expected = {_ARRAY: list, _OBJECT: dict, _STRING: str}
    wrong = {key: kind.allowed[key] for key, value in body.items()
             if not isinstance(value, expected[kind.allowed[key]])}
    if wrong:
        raise _invalid("Wrong datatype", **wrong)
    for value in body.values():
        if isinstance(value, list) and any(v is None or (isinstance(v, str) and not v.strip())
                                           for v in value):
            raise _invalid("`null` or blank values are not allowed as json array elements")
        if _too_long(value):
            raise _invalid(f"String value exceeds the maximum allowed length of "
                           f"{MAX_STRING_LENGTH} characters")


def _too_long(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_STRING_LENGTH
    if isinstance(value, list):
        return any(_too_long(v) for v in value)
    return False


def _prepare(snapshot: Snapshot, ctype: str, name: str, body: dict[str, Any],
             existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored form of a validated body, after the type's own checks."""
    if ctype == USERS:
        return _prepare_user(snapshot, name, body, existing)
    if ctype == ROLES_MAPPING:
        _roles_exist(snapshot, [name])
    if ctype == ACTION_GROUPS:
        _check_action_group(snapshot, name, body)
    try:
        return KINDS[ctype].normalize(body)
    except LoghavenError as exc:
        raise refused(400, exc.reason) from exc
    except ValueError as exc:
        raise refused(400, str(exc)) from exc


def _prepare_user(snapshot: Snapshot, name: str, body: dict[str, Any],
                  existing: Mapping[str, Any] | None) -> dict[str, Any]:
    if ":" in name:
        raise refused(400, "A restricted character(s) was detected in the account name. "
                           "Please remove: ':'")
    _roles_exist(snapshot, body.get("opendistro_security_roles") or [])
    password = body.pop("password", None)
    if password:
        body["hash"] = hash_password(password)
    elif body.get("hash"):
        if not is_hash(body["hash"]):
            raise refused(400, "Only argon2 password hashes are supported for 'hash'; "
                               "send 'password' instead.")
    elif existing is None:
        raise refused(400, "Please specify either 'hash' or 'password' when creating a new "
                           "internal user.")
    else:
        body["hash"] = existing.get("hash", "")
    return normalize_user(body)


def _roles_exist(snapshot: Snapshot, roles: Iterable[str]) -> None:
    for role in roles:
        entry = snapshot.roles.get(role)
        if entry is None:
            raise refused(404, f"role '{role}' not found.")
        if entry.get("hidden"):
            raise refused(404, f"Resource '{role}' is not available.")


def _check_action_group(snapshot: Snapshot, name: str, body: Mapping[str, Any]) -> None:
    kind = body.get("type")
    if kind is not None and str(kind).lower() not in ("cluster", "index"):
        raise refused(400, f"Invalid action group type: {kind}. Supported types are: "
                           "cluster, index.")
    if name in snapshot.roles:
        raise refused(400, f"{name} is an existing role. A action group cannot be named with "
                           "an existing role name.")
    if name in (body.get("allowed_actions") or []):
        raise refused(400, f"{name} cannot be an allowed_action of itself")


# The account API -------------------------------------------------------------------------

_ACCOUNT_KEYS = {"hash": _STRING, "password": _STRING, "current_password": _STRING}


def account(snapshot: Snapshot, username: str, roles: Iterable[str],
            backend_roles: Iterable[str], attributes: Mapping[str, str]) -> dict[str, Any]:
    """``GET _plugins/_security/api/account``: the caller's own account."""
    user = snapshot.users.get(username) or {}
    return {"user_name": username, "is_reserved": bool(user.get("reserved")),
            "is_hidden": bool(user.get("hidden")), "is_internal_user": bool(user),
            "user_requested_tenant": None, "backend_roles": list(backend_roles),
            "custom_attribute_names": sorted(attributes), "tenants": {},
            "roles": list(roles)}


def account_change(snapshot: Snapshot, username: str, body: Any,
                   check_password: Callable[[str, str], bool]) -> list[Change]:
    """``PUT _plugins/_security/api/account``: a new password (or hash) for the caller, given
    the current one."""
    if body is None:
        raise _invalid("Request body required for this action.")
    if not isinstance(body, dict):
        raise _invalid("Could not parse content of request.")
    invalid = sorted(set(body) - set(_ACCOUNT_KEYS))
    missing = [] if "current_password" in body else ["current_password"]
    if invalid or missing:
        details: dict[str, Any] = {}
        if invalid:
            details["invalid_keys"] = {"keys": ",".join(invalid)}
        if missing:
            details["missing_mandatory_keys"] = {"keys": ",".join(missing)}
        raise _invalid("Invalid configuration", **details)
    wrong = {k: _STRING for k, v in body.items() if not isinstance(v, str)}
    if wrong:
        raise _invalid("Wrong datatype", **wrong)
    if username not in snapshot.users:
        raise refused(404, f"account '{username}' not found.")
    _changeable(snapshot.users, username)
    if not check_password(username, body["current_password"]):
        raise refused(400, "Could not validate your current password.")
    if body.get("password"):
        new_hash = hash_password(body["password"])
    elif body.get("hash") and is_hash(body["hash"]):
        new_hash = body["hash"]
    else:
        raise refused(400, "Both provided password and hash cannot be null/empty.")
    return [(USERS, username, {**snapshot.users[username], "hash": new_hash})]


# Role mapping -----------------------------------------------------------------------------


def mapped_roles(username: str, backend_roles: Iterable[str], user: Mapping[str, Any],
                 mappings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The security roles of a user: those named on the user record, and those whose mapping
    names the user or a backend role the user has (OpenSearch's patterns; ``and_backend_roles`` needs all of them). ``hosts`` are not supported."""
    backend = list(backend_roles)
    roles = set(user.get("opendistro_security_roles") or ())
    for role, mapping in mappings.items():
        if (any(_matches(p, username) for p in mapping.get("users") or ())
                or any(_matches(p, b) for p in mapping.get("backend_roles") or ()
                       for b in backend)
                or (mapping.get("and_backend_roles")
                    and all(any(_matches(p, b) for b in backend)
                            for p in mapping["and_backend_roles"]))):
            roles.add(role)
    return sorted(roles)


def _matches(pattern: str, value: str) -> bool:
    return Matcher([pattern])(value)
