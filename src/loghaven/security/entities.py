"""The four kinds of security configuration entity — internal users, roles, role mappings and
action groups — and changes to them with OpenSearch's rules and messages.

Refusals carry OpenSearch's own bodies (:class:`~loghaven.security.validation.
InvalidSecurityConfig`); roles and action groups are validated by security/validation.py,
users and role mappings here with the same checks. Every change is computed against a :class:`~loghaven.security.service.
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

from loghaven.security.passwords import hash_password, is_hash
from loghaven.security.store import ACTION_GROUPS, ROLES, ROLES_MAPPING, USERS
from loghaven.security.validation import (
    InvalidSecurityConfig,
    _check_keys,
    _no_blank_elements,
    validate_action_group,
    validate_role,
)
from loghaven.security.wildcards import Matcher

if TYPE_CHECKING:
    from loghaven.security.service import Snapshot

Change = tuple[str, str, dict[str, Any] | None]

#: OpenSearch's bound on entity names and string values.
MAX_STRING_LENGTH = 256
_PATCH_OPERATIONS = ("add", "replace", "remove")
_FLAGS = ("reserved", "hidden", "static")


def refused(status: int, message: str) -> InvalidSecurityConfig:
    return InvalidSecurityConfig.message(message, status=status)


def payload(status: int, message: str) -> dict[str, Any]:
    """OpenSearch's ``{"status": "CREATED", "message": ...}`` answer body."""
    return {"status": {200: "OK", 201: "CREATED"}[status], "message": message}


# Each type: its name in messages, the keys a body may have, and its stored form -------------


@dataclass(frozen=True)
class Kind:
    resource: str
    #: Checks a body and returns the entity to store (InvalidSecurityConfig when refused).
    validate: Callable[[str, dict[str, Any]], dict[str, Any]]


_USER_KEYS = {"backend_roles": list, "attributes": dict, "description": str,
              "opendistro_security_roles": list, "hash": str, "password": str}
_MAPPING_KEYS = {"backend_roles": list, "and_backend_roles": list, "hosts": list, "users": list,
                 "description": str}
_MAPPING_ONE_OF = ("and_backend_roles", "backend_roles", "hosts", "users")
_ACCOUNT_KEYS = {"hash": str, "password": str, "current_password": str}


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


def _with_description(body: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if body.get("description"):
        out["description"] = body["description"]
    return out


def _check_user(name: str, body: dict[str, Any]) -> dict[str, Any]:
    _check_keys(body, _USER_KEYS)
    _no_blank_elements(body)
    return body


def _check_mapping(name: str, body: dict[str, Any]) -> dict[str, Any]:
    _check_keys(body, _MAPPING_KEYS)
    if not set(body) & set(_MAPPING_ONE_OF):
        raise InvalidSecurityConfig({"status": "error", "reason": "Invalid configuration",
                                     "specify_one_of": {"keys": ",".join(_MAPPING_ONE_OF)}})
    _no_blank_elements(body)
    return normalize_mapping(body)


KINDS: dict[str, Kind] = {
    USERS: Kind("user", _check_user),
    ROLES: Kind("role", lambda name, body: validate_role(body)),
    ROLES_MAPPING: Kind("rolesmapping", _check_mapping),
    ACTION_GROUPS: Kind("actiongroup", lambda name, body: validate_action_group(body, name)),
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
        body = {}  # OpenSearch's validation answers "Request body required for this action."
    entries = snapshot.of(ctype)
    body = KINDS[ctype].validate(name, body)
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
        entry = _patched_entity(snapshot, ctype, name, patched, entries[name])
        return [] if entry == entries[name] else [(ctype, name, entry)]
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
            continue
        entry = _patched_entity(snapshot, ctype, entity, after[entity], entries.get(entity))
        if entry != entries.get(entity):
            changes.append((ctype, entity, entry))
    return changes


def _patched_entity(snapshot: Snapshot, ctype: str, name: str, patched: Any,
                    existing: Mapping[str, Any] | None) -> dict[str, Any]:
    return _prepare(snapshot, ctype, name, KINDS[ctype].validate(name, patched), existing)


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


def _prepare(snapshot: Snapshot, ctype: str, name: str, body: dict[str, Any],
             existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored form of a validated body, after the type's checks against the others."""
    if ctype == USERS:
        return _prepare_user(snapshot, name, body, existing)
    if ctype == ROLES_MAPPING:
        _roles_exist(snapshot, [name])
    if ctype == ACTION_GROUPS and name in snapshot.roles:
        raise refused(400, f"{name} is an existing role. A action group cannot be named with "
                           "an existing role name.")
    return body


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


# The account API -------------------------------------------------------------------------

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
    _check_keys({} if body is None else body, _ACCOUNT_KEYS, mandatory=("current_password",))
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
