"""Checks on a role or action group body sent to the security REST API, as OpenSearch's
``RequestContentValidator`` makes them, and the normalised body to store.

OpenSearch answers these 400s with its own body, not Elasticsearch's error object:
``{"status": "error", "reason": "Invalid configuration", "invalid_keys": {"keys": "a,b"}}``,
``{"status": "error", "reason": "Wrong datatype", "<key>": "Array expected"}``, or
``{"status": "BAD_REQUEST", "message": "..."}``; :class:`InvalidSecurityConfig` carries it.
Keys inside ``index_permissions`` and ``tenant_permissions`` (which OpenSearch checks only when
it maps the body onto its Java classes) are reported the same way, named ``parent.key``.
"""

from __future__ import annotations

import json
from typing import Any

from loghaven.errors import LoghavenError
from loghaven.security.wildcards import valid_regex

#: Java ``MessageDigest`` algorithms a masked field may name (``field::SHA-512``).
DIGESTS = frozenset({
    "MD2", "MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "SHA-512/224",
    "SHA-512/256", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512", "SHA", "SHA1"})

_ROLE_KEYS = {"cluster_permissions": list, "index_permissions": list,
              "tenant_permissions": list, "description": str}
_INDEX_KEYS = {"index_patterns": list, "dls": str, "fls": list, "masked_fields": list,
               "allowed_actions": list}
_TENANT_KEYS = {"tenant_patterns": list, "allowed_actions": list}
_GROUP_KEYS = {"allowed_actions": list, "description": str, "type": str}
#: Only an administrator with the node's certificate may set these (OpenSearch).
_FLAG_KEYS = {"hidden": bool, "reserved": bool}
_EXPECTED = {list: "Array expected", str: "String expected", bool: "Boolean expected",
             dict: "Object expected"}
_GROUP_TYPES = ("cluster", "index")


class InvalidSecurityConfig(LoghavenError):
    """A 400 from the security REST API, rendered in OpenSearch's body (``body``)."""

    type = "security_config_exception"
    status = 400

    def __init__(self, body: dict[str, Any], *, status: int = 400) -> None:
        super().__init__(str(body.get("reason") or body.get("message")), status=status)
        self.body = body

    def to_body(self) -> dict[str, Any]:
        return self.body

    @classmethod
    def message(cls, message: str, *, status: int = 400) -> InvalidSecurityConfig:
        """OpenSearch's ``{"status": "BAD_REQUEST", "message": ...}`` (``Responses.payload``)."""
        names = {400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT"}
        return cls({"status": names.get(status, str(status)), "message": message},
                   status=status)


def _error(reason: str, **fields: Any) -> InvalidSecurityConfig:
    return InvalidSecurityConfig({"status": "error", "reason": reason, **fields})


def _check_keys(body: Any, allowed: dict[str, type], *, prefix: str = "",
                mandatory: tuple[str, ...] = ()) -> None:
    """OpenSearch's key and data type checks, in its order: unknown or missing keys first,
    then the type of each value."""
    if not isinstance(body, dict):
        if prefix:
            raise _error("Wrong datatype", **{prefix.rstrip("."): "Object expected"})
        raise _error("Could not parse content of request.")
    if not body and not prefix:
        raise _error("Request body required for this action.")
    invalid = [prefix + k for k in body if k not in allowed]
    missing = [prefix + k for k in mandatory if k not in body]
    if invalid or missing:
        fields: dict[str, Any] = {}
        if invalid:
            fields["invalid_keys"] = {"keys": ",".join(invalid)}
        if missing:
            fields["missing_mandatory_keys"] = {"keys": ",".join(missing)}
        raise _error("Invalid configuration", **fields)
    wrong: dict[str, str] = {}
    for key, value in body.items():
        expected = allowed[key]
        if expected is bool and isinstance(value, str) and value.lower() in ("true", "false"):
            continue  # OpenSearch accepts "true"/"false" for booleans
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            wrong[prefix + key] = _EXPECTED[expected]
    if wrong:
        raise _error("Wrong datatype", **wrong)


def _no_blank_elements(body: dict[str, Any]) -> None:
    """``null`` or blank strings in any array, however deep (OpenSearch's check)."""

    def blank(node: Any) -> bool:
        children = node if isinstance(node, list) else (
            node.values() if isinstance(node, dict) else ())
        for child in children:
            if child is None or (isinstance(child, str) and not child.strip()):
                if isinstance(node, list):
                    return True
            elif isinstance(child, list | dict) and blank(child):
                return True
        return False

    if any(blank(value) for value in body.values()):
        raise _error("`null` or blank values are not allowed as json array elements")


def _strings(body: dict[str, Any], key: str, prefix: str) -> list[str]:
    value = body.get(key, [])
    if any(not isinstance(v, str) for v in value):
        raise _error("Wrong datatype", **{prefix + key: "Array of strings expected"})
    return list(value)


def _masked_field_error(expression: str) -> str | None:
    """The error OpenSearch's ``FieldMaskingExpression`` raises for a masked field entry:
    ``field``, ``field::algorithm`` or ``field::/regex/::replacement`` (repeatable)."""
    tokens = expression.split("::")
    if len(tokens) == 2:
        return None if tokens[1].upper() in DIGESTS else f"Invalid algorithm {tokens[1]}"
    if len(tokens) > 2 and len(tokens) % 2 == 1:
        for regex in tokens[1::2]:
            if not (len(regex) > 1 and regex.startswith("/") and regex.endswith("/")):
                return "A regular expression needs to be wrapped in /.../"
            error = valid_regex(regex)
            if error:
                return error
        return None
    if len(tokens) > 2:
        return ("A field masking expression must have the form 'field_name', "
                "'field_name::algorithm', 'field_name::regex::replacement' or "
                "'field_name::(regex::replacement)+'")
    return None


def _index_permission(entry: Any) -> dict[str, Any]:
    prefix = "index_permissions."
    _check_keys(entry, _INDEX_KEYS, prefix=prefix)
    patterns = _strings(entry, "index_patterns", prefix)
    for pattern in patterns:
        error = valid_regex(pattern)
        if error:
            raise InvalidSecurityConfig.message(f"Invalid index pattern {pattern}: {error}")
    dls = entry.get("dls") or ""
    if dls.strip() and "${" not in dls:
        try:
            query = json.loads(dls)
        except ValueError:
            query = None
        if not isinstance(query, dict):
            raise InvalidSecurityConfig.message(f"Invalid DLS query: {dls}")
    fls = _strings(entry, "fls", prefix)
    for field in fls:
        error = valid_regex(field.lstrip("~!"))
        if error:
            raise InvalidSecurityConfig.message(f"Invalid FLS pattern {field}: {error}")
    masked = _strings(entry, "masked_fields", prefix)
    wrong = {f"Masked field not valid: {m}": e for m in masked
             if (e := _masked_field_error(m)) is not None}
    if wrong:
        raise _error("Wrong datatype", **wrong)
    return {"index_patterns": patterns, "dls": dls, "fls": fls,
            "masked_fields": masked,
            "allowed_actions": _strings(entry, "allowed_actions", prefix)}


def _tenant_permission(entry: Any) -> dict[str, Any]:
    prefix = "tenant_permissions."
    _check_keys(entry, _TENANT_KEYS, prefix=prefix)
    return {"tenant_patterns": _strings(entry, "tenant_patterns", prefix),
            "allowed_actions": _strings(entry, "allowed_actions", prefix)}


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def validate_role(body: Any, *, allow_flags: bool = False) -> dict[str, Any]:
    """The role to store from a ``PUT _plugins/_security/api/roles/<name>`` body (REST shape,
    ``static`` false); InvalidSecurityConfig with OpenSearch's 400 body otherwise.
    ``allow_flags`` lets ``hidden`` and ``reserved`` be set (OpenSearch: an admin
    certificate)."""
    _check_keys(body, {**_ROLE_KEYS, **(_FLAG_KEYS if allow_flags else {})})
    _no_blank_elements(body)
    cluster = _strings(body, "cluster_permissions", "")
    index = [_index_permission(e) for e in body.get("index_permissions", [])]
    tenants = [_tenant_permission(e) for e in body.get("tenant_permissions", [])]
    role: dict[str, Any] = {"reserved": _flag(body, "reserved"),
                            "hidden": _flag(body, "hidden")}
    if "description" in body:
        role["description"] = body["description"]
    role.update({"cluster_permissions": cluster, "index_permissions": index,
                 "tenant_permissions": tenants, "static": False})
    return role


def validate_action_group(body: Any, name: str | None = None, *,
                          allow_flags: bool = False) -> dict[str, Any]:
    """The action group to store from a ``PUT _plugins/_security/api/actiongroups/<name>``
    body (REST shape, ``static`` false); InvalidSecurityConfig with OpenSearch's 400 body
    otherwise. (That the name is no existing role's is the caller's check.)"""
    _check_keys(body, {**_GROUP_KEYS, **(_FLAG_KEYS if allow_flags else {})},
                mandatory=("allowed_actions",))
    _no_blank_elements(body)
    actions = _strings(body, "allowed_actions", "")
    type_ = body.get("type")
    if type_ is not None and type_.lower() not in _GROUP_TYPES:
        raise InvalidSecurityConfig.message(
            f"Invalid action group type: {type_}. Supported types are: cluster, index.")
    if name is not None and name in actions:
        raise InvalidSecurityConfig.message(f"{name} cannot be an allowed_action of itself")
    group: dict[str, Any] = {"reserved": _flag(body, "reserved"),
                             "hidden": _flag(body, "hidden"), "allowed_actions": actions}
    if type_ is not None:
        group["type"] = type_
    if "description" in body:
        group["description"] = body["description"]
    group["static"] = False
    return group
