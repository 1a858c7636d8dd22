"""Elasticsearch role descriptors (the ``role_descriptors`` of ``POST _security/api_key``) as
roles of the OpenSearch model, so that an API key's restriction is evaluated by the same
:class:`~loghaven.security.privileges.RolePrivileges` and intersected with its owner's.

Elasticsearch's named privileges become the action patterns it defines for them
(``ClusterPrivilegeResolver``, ``IndexPrivilege``); an action name or pattern is kept as
it is. ``field_security`` becomes FLS (``grant`` as included fields, ``except`` as ``~``
exclusions), ``query`` becomes DLS. Not supported (refused): ``field_security`` with both a
``grant`` narrower than ``*`` and an ``except`` (OpenSearch's FLS cannot say both), and query
templates. ``applications``, ``run_as``, ``metadata``, ``global`` and remote privileges are
accepted and grant nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.security.wildcards import Matcher

_SECURITY = "cluster:admin/xpack/security"
#: Elasticsearch's cluster privileges (the ones meaningful here) → action patterns.
CLUSTER_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "none": (),
    "all": ("cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"),
    "monitor": ("cluster:monitor/*", "indices:admin/template/get",
                "indices:admin/index_template/get", "cluster:admin/component_template/get"),
    # Everything on the cluster but security (a regex: "cluster:*" minus the security APIs).
    "manage": ("/cluster:(?!admin/xpack/security/).*/", "indices:admin/template/*",
               "indices:admin/index_template/*"),
    # The security APIs: Elasticsearch's, and OpenSearch's REST API (restapi:admin/*).
    "manage_security": (f"{_SECURITY}/*", "restapi:admin/*"),
    "read_security": (f"{_SECURITY}/api_key/get", f"{_SECURITY}/api_key/query",
                      f"{_SECURITY}/role/get", f"{_SECURITY}/role_mapping/get",
                      f"{_SECURITY}/user/get", f"{_SECURITY}/user/has_privileges",
                      f"{_SECURITY}/user/list_privileges", f"{_SECURITY}/privilege/get"),
    "manage_api_key": (f"{_SECURITY}/api_key/*",),
    # Only the caller's own keys: creating one, and the literal permission
    # "manage_own_api_key" that the API key endpoints test for the caller's own keys.
    "manage_own_api_key": (f"{_SECURITY}/api_key/create", "manage_own_api_key"),
    "manage_index_templates": ("indices:admin/template/*", "indices:admin/index_template/*",
                               "cluster:admin/component_template/*"),
    "manage_ingest_pipelines": ("cluster:admin/ingest/pipeline/*",),
    "manage_pipeline": ("cluster:admin/ingest/pipeline/*",),
    "read_pipeline": ("cluster:admin/ingest/pipeline/get", "cluster:admin/ingest/pipeline/simulate"),
    "create_snapshot": ("cluster:admin/snapshot/create", "cluster:admin/snapshot/status*",
                        "cluster:admin/snapshot/get", "cluster:admin/repository/get"),
    "monitor_snapshot": ("cluster:admin/snapshot/status*", "cluster:admin/snapshot/get",
                         "cluster:admin/repository/get"),
    "manage_ilm": ("cluster:admin/ilm/*",),
    "read_ilm": ("cluster:admin/ilm/get", "cluster:admin/ilm/operation_mode/get"),
    "cancel_task": ("cluster:admin/tasks/cancel*",),
    "transport_client": ("cluster:monitor/nodes/liveness", "cluster:monitor/state"),
}

#: Elasticsearch's index privileges → action patterns.
INDEX_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "none": (),
    "all": ("indices:*",),
    "read": ("indices:data/read/*", "indices:admin/resolve/index"),
    "read_cross_cluster": ("indices:admin/shards/search_shards",),
    "create": ("indices:data/write/index*", "indices:data/write/bulk*"),
    "create_doc": ("indices:data/write/index", "indices:data/write/index[*",
                   "indices:data/write/index:op_type/create", "indices:data/write/bulk*"),
    "index": ("indices:data/write/index*", "indices:data/write/bulk*",
              "indices:data/write/update*"),
    "delete": ("indices:data/write/delete*", "indices:data/write/bulk*"),
    "write": ("indices:data/write/*", "indices:admin/mapping/auto_put"),
    "monitor": ("indices:monitor/*",),
    "manage": ("indices:monitor/*", "indices:admin/*", "indices:data/read/field_caps*"),
    "create_index": ("indices:admin/create", "indices:admin/auto_create",
                     "indices:admin/data_stream/create"),
    "delete_index": ("indices:admin/delete", "indices:admin/data_stream/delete"),
    "view_index_metadata": (
        "indices:admin/aliases/get", "indices:admin/get", "indices:admin/mappings/fields/get*",
        "indices:admin/mappings/get", "indices:admin/shards/search_shards",
        "indices:admin/validate/query*", "indices:monitor/settings/get",
        "indices:admin/ilm/explain", "indices:admin/data_stream/get",
        "indices:admin/resolve/index", "indices:data/read/field_caps*"),
    "manage_ilm": ("indices:admin/ilm/*",),
    "maintenance": ("indices:admin/refresh*", "indices:admin/flush*",
                    "indices:admin/synced_flush", "indices:admin/forcemerge*"),
    "auto_configure": ("indices:admin/mapping/auto_put", "indices:admin/auto_create"),
}

#: The top-level actions of requests over several indices, which OpenSearch checks as cluster
#: permissions (its ``cluster_composite_ops``) and Elasticsearch grants with the index
#: privilege that grants them: a descriptor gets each its index privileges grant.
COMPOSITE_ACTIONS = ("indices:data/write/bulk", "indices:data/read/mget",
                     "indices:data/read/msearch", "indices:data/read/mtv",
                     "indices:data/read/scroll", "indices:data/read/scroll/clear")

_CLUSTER_ACTION_PREFIXES = ("cluster:", "indices:admin/template/", "indices:admin/index_template/")
_ROLE_FIELDS = {"cluster", "indices", "applications", "run_as", "metadata",
                "transient_metadata", "global", "remote_indices", "remote_cluster",
                "restriction", "description"}
_INDEX_FIELDS = {"names", "privileges", "field_security", "query",
                 "allow_restricted_indices"}


def _strings(role: str, field: str, value: Any, *, what: str = "role") -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise ParseFailure(f"failed to parse {what} [{role}]. expected field [{field}] value "
                           f"to be a string or an array of strings")
    return list(value)


def _privileges(role: str, names: list[str], fixed: dict[str, tuple[str, ...]],
                kind: str) -> list[str]:
    actions: list[str] = []
    for name in names:
        name = name.lower()
        if name in fixed:
            actions.extend(fixed[name])
        elif (name.startswith(_CLUSTER_ACTION_PREFIXES) if kind == "cluster"
              else name.startswith("indices:")):
            actions.append(name)
        else:
            label = "cluster privilege names" if kind == "cluster" else \
                "fixed indices privileges"
            raise IllegalArgument(
                f"unknown {kind} privilege [{name}]. a privilege must be either one of the "
                f"predefined {label} [{','.join(sorted(fixed))}] or a pattern over one of the "
                f"available {kind if kind == 'cluster' else 'index'} actions")
    return list(dict.fromkeys(actions))


def _index_permission(role: str, entry: Any) -> dict[str, Any]:
    what = "indices privileges for role"
    if not isinstance(entry, dict):
        raise ParseFailure(f"failed to parse {what} [{role}]. expected field [indices] value "
                           f"to be an array of objects")
    for key in entry:
        if key not in _INDEX_FIELDS:
            raise ParseFailure(f"failed to parse {what} [{role}]. unexpected field [{key}]")
    for key in ("names", "privileges"):
        if key not in entry:
            raise ParseFailure(f"failed to parse {what} [{role}]. missing required [{key}] field")
    names = _strings(role, "names", entry["names"], what=what)
    if not names:
        raise IllegalArgument("indices privileges must refer to at least one index name or "
                              "index name pattern")
    privileges = _strings(role, "privileges", entry["privileges"], what=what)
    if not privileges:
        raise IllegalArgument("indices privileges must define at least one privilege")
    fls: list[str] = []
    security = entry.get("field_security")
    if security is not None:
        if not isinstance(security, dict) or set(security) - {"grant", "except"}:
            raise ParseFailure(f"failed to parse {what} [{role}]. [field_security] only "
                               f"takes [grant] and [except]")
        if "except" in security and "grant" not in security:
            raise ParseFailure(f"failed to parse {what} [{role}]. [field_security] requires "
                               f"[grant] if [except] is given")
        grant = _strings(role, "grant", security.get("grant", ["*"]), what=what)
        excluded = _strings(role, "except", security.get("except", []), what=what)
        if excluded and "*" not in grant:
            raise IllegalArgument(
                f"role [{role}]: [field_security] with both [grant] narrower than [*] and "
                f"[except] is not supported; list only the granted fields")
        fls = [f"~{f}" for f in excluded] if excluded else ([] if "*" in grant else grant)
    query = entry.get("query")
    if isinstance(query, dict) and "template" in query:
        raise IllegalArgument(f"role [{role}]: query templates are not supported")
    dls = "" if query is None else (query if isinstance(query, str) else json.dumps(query))
    return {"index_patterns": names, "dls": dls, "fls": fls, "masked_fields": [],
            "allowed_actions": _privileges(role, privileges, INDEX_PRIVILEGES, "index")}


def role_from_descriptor(name: str, descriptor: Any) -> dict[str, Any]:
    """One Elasticsearch role descriptor as a role in the REST shape of
    ``GET _plugins/_security/api/roles``; ``parse_exception`` or ``illegal_argument_exception``
    (400, Elasticsearch's messages) for one it would refuse."""
    if not isinstance(descriptor, dict):
        raise ParseFailure(f"failed to parse role [{name}]. expected an object")
    for key in descriptor:
        if key not in _ROLE_FIELDS:
            raise ParseFailure(f"failed to parse role [{name}]. unexpected field [{key}]")
    indices = descriptor.get("indices", [])
    if not isinstance(indices, list):
        raise ParseFailure(f"failed to parse indices privileges for role [{name}]. expected "
                           f"field [indices] value to be an array")
    role: dict[str, Any] = {"reserved": False, "hidden": False}
    if isinstance(descriptor.get("description"), str):
        role["description"] = descriptor["description"]
    cluster = _privileges(name, _strings(name, "cluster", descriptor.get("cluster", [])),
                          CLUSTER_PRIVILEGES, "cluster")
    index = [_index_permission(name, e) for e in indices]
    granted = Matcher(a for e in index for a in e["allowed_actions"])
    cluster += [a for a in COMPOSITE_ACTIONS if granted(a) and a not in cluster]
    role.update({"cluster_permissions": cluster, "index_permissions": index,
                 "tenant_permissions": [], "static": False})
    return role


def roles_from_descriptors(descriptors: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``role_descriptors`` (role name → descriptor) as roles for
    :class:`~loghaven.security.privileges.RolePrivileges`."""
    return {name: role_from_descriptor(name, d) for name, d in descriptors.items()}
