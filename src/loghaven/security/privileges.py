"""Privilege evaluation: what a subject's roles let it do, as OpenSearch's security answers it.

:class:`RolePrivileges` compiles the roles mapped to one subject once (action groups
flattened, index patterns with the user's attributes substituted, DLS queries rendered) and
answers the :class:`~loghaven.security.subject.Privileges` questions from caches, since every
request asks them. :class:`Intersection` is an API key's privileges: what both its owner and
its role descriptors allow (Elasticsearch's rule).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from loghaven.errors import LoghavenError
from loghaven.security import system_indices
from loghaven.security.actions import ActionGroups
from loghaven.security.subject import IndexRules, Privileges
from loghaven.security.wildcards import Matcher, covers, is_regex, regex_source

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")

#: ``${name}`` or ``${name:-default}`` (Apache commons-text syntax, which OpenSearch uses).
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
#: A cache bound per question; a subject's privileges live as long as its session or request.
_CACHE_LIMIT = 10_000
#: Fully restricted: what OpenSearch applies to an index none of the roles names.
_NOTHING = IndexRules(dls={"match_none": {}}, fls_include=())


class PrivilegesEvaluationError(LoghavenError):
    """A role's DLS query could not be evaluated for this user (an undefined attribute, bad
    JSON): the request is refused rather than run without the restriction. As OpenSearch,
    the response says only that; the cause (which names the role's query) goes to the log."""

    type = "security_exception"
    status = 500

    def __init__(self, cause: str) -> None:
        super().__init__("Error while evaluating DLS/FLS privileges")
        log.error("Error while evaluating DLS/FLS privileges: %s", cause)


class UserVariables:
    """The values ``${...}`` stands for in a role's index patterns and DLS query:
    ``user.name``, ``user.roles`` (backend roles), ``user.securityRoles`` (mapped roles) and
    ``attr.internal.<name>`` (an internal user's attributes), each also written with ``_``
    for ``.`` (``${user_name}``)."""

    def __init__(self, user_name: str, attributes: Mapping[str, str] = {},
                 backend_roles: Iterable[str] = (), roles: Iterable[str] = ()) -> None:
        values: dict[str, str | tuple[str, ...]] = {
            "user.name": user_name, "user.roles": tuple(backend_roles),
            "user.securityRoles": tuple(roles)}
        for key, value in attributes.items():
            values[f"attr.internal.{key}"] = str(value)
        self.values = {**values, **{k.replace(".", "_"): v for k, v in values.items()}}

    def render(self, text: str, scalar: Callable[[str], str],
               listed: Callable[[tuple[str, ...]], str]) -> tuple[str, list[str]]:
        """``text`` with each variable replaced (a scalar through ``scalar``, a list through
        ``listed``) and the names left unresolved."""
        unresolved: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name, _, default = match.group(1).partition(":-")
            value = self.values.get(name)
            if value is None:
                if ":-" in match.group(1):
                    return scalar(default)
                unresolved.append(name)
                return match.group(0)
            return listed(value) if isinstance(value, tuple) else scalar(value)

        return _VARIABLE.sub(replace, text), unresolved

    def pattern(self, pattern: str) -> str | None:
        """An index pattern with the variables' values inserted as literal text (a ``*`` in a
        user name matches only ``*``), as a ``/regex/``; None when a variable is undefined
        (the pattern then matches nothing)."""
        if "${" not in pattern:
            return pattern
        regex = is_regex(pattern)
        body = pattern[1:-1] if regex else pattern
        parts: list[str] = []
        position = 0
        for match in _VARIABLE.finditer(body):
            static = body[position:match.start()]
            parts.append(static if regex else regex_source(static))
            value, unresolved = self.render(match.group(0), re.escape,
                                            lambda v: re.escape(",".join(v)))
            if unresolved:
                return None
            parts.append(value)
            position = match.end()
        tail = body[position:]
        parts.append(tail if regex else regex_source(tail))
        return "/" + "".join(parts) + "/"

    def query(self, dls: str) -> dict:
        """A DLS query with the variables' values inserted as JSON string content (a list as
        quoted, comma-separated strings, for ``"terms": {"f": [${user.roles}]}``)."""
        text, unresolved = self.render(
            dls, lambda v: json.dumps(v)[1:-1], lambda v: ",".join(json.dumps(x) for x in v))
        if unresolved:
            raise PrivilegesEvaluationError(
                f"DLS query references undefined user attributes: {unresolved}")
        try:
            query = json.loads(text)
        except ValueError as exc:
            query = exc
        if not isinstance(query, dict):
            raise PrivilegesEvaluationError(f"Invalid DLS query: {text}")
        return query


@dataclass(frozen=True)
class _IndexPermission:
    """One ``index_permissions`` entry of one role, compiled for one user."""

    role: str
    indices: Matcher
    actions: Matcher
    #: The DLS query as written ("" for none); rendered on first use.
    dls: str
    fls: tuple[str, ...]
    masked: tuple[str, ...]
    #: The patterns that name the node's system indices explicitly (security/system_indices).
    system: Matcher

    def names(self, index: str, aliases: Collection[str]) -> bool:
        return self.indices(index) or any(self.indices(alias) for alias in aliases)

    def allows(self, action: str, index: str, aliases: Collection[str]) -> bool:
        """Whether this entry grants ``action`` on the index; on a system index only reads
        (and deleting a whole day), and only by a pattern that names it (not ``*``, not an
        alias) — but the metrics history is read through any grant that covers it."""
        if not self.actions(action):
            return False
        if system_indices.protected(index):
            if self.system(index):
                return system_indices.permitted(action)
            return system_indices.open_to_reads(index) and system_indices.reads(action) \
                and self.names(index, aliases)
        return self.names(index, aliases)


class RolePrivileges:
    """The permissions of a subject's mapped roles (role name → role body in the REST shape
    of ``GET _plugins/_security/api/roles``), with every action group known to the node.

    Index patterns match an index or alias name, or one of the aliases of the index passed
    with it (OpenSearch grants on an alias for its member indices). Document- and field-level
    security follow OpenSearch's default ``plugins.security.dfm_empty_overrides_all: false``:
    each of DLS, FLS and field masking is taken from every index permission whose patterns
    name the index, whatever its actions; a role that names the index without a restriction
    does NOT lift another role's restriction; several roles' DLS queries are OR-ed (a
    document one of them lets through is visible); FLS patterns are united, and when the
    roles mix included and excluded (``~``) fields only the exclusions apply; masked fields
    are united. An index none of the roles names is fully restricted.
    """

    def __init__(self, roles: Mapping[str, Mapping], action_groups: Mapping[str, Mapping],
                 user_name: str, attributes: Mapping[str, str] = {},
                 backend_roles: Iterable[str] = ()) -> None:
        groups = ActionGroups(action_groups)
        self.variables = UserVariables(user_name, attributes, backend_roles, roles.keys())
        cluster: list[str] = []
        entries: list[_IndexPermission] = []
        for name, role in roles.items():
            cluster.extend(role.get("cluster_permissions") or ())
            for permission in role.get("index_permissions") or ():
                patterns = [p for p in (self.variables.pattern(p)
                                        for p in permission.get("index_patterns") or ())
                            if p is not None]
                entries.append(_IndexPermission(
                    role=name, indices=Matcher(patterns),
                    actions=groups.matcher(permission.get("allowed_actions") or ()),
                    dls=(permission.get("dls") or "").strip(),
                    fls=tuple(permission.get("fls") or ()),
                    masked=tuple(permission.get("masked_fields") or ()),
                    system=Matcher(p for p in patterns if system_indices.names_explicitly(p))))
        self._cluster = groups.matcher(sorted(set(cluster)))
        self._entries = tuple(entries)
        self._queries: dict[str, dict] = {}
        self._cluster_cache: dict[str, bool] = {}
        self._index_cache: dict[tuple[str, str, tuple[str, ...]], bool] = {}
        self._some_cache: dict[str, bool] = {}
        self._rules_cache: dict[tuple[str, tuple[str, ...]], IndexRules | None] = {}

    def allows_cluster(self, action: str) -> bool:
        allowed = self._cluster_cache.get(action)
        if allowed is None:
            allowed = _remember(self._cluster_cache, action, self._cluster(action))
        return allowed

    def allows_index(self, action: str, index: str, aliases: Collection[str] = ()) -> bool:
        key = (action, index, tuple(aliases))
        allowed = self._index_cache.get(key)
        if allowed is None:
            allowed = _remember(self._index_cache, key, any(
                e.allows(action, index, aliases) for e in self._entries))
        return allowed

    def allows_some_index(self, action: str) -> bool:
        allowed = self._some_cache.get(action)
        if allowed is None:
            allowed = _remember(self._some_cache, action, any(
                e.actions(action) and bool(e.indices) for e in self._entries))
        return allowed

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        key = (index, tuple(aliases))
        if key not in self._rules_cache:
            _remember(self._rules_cache, key, self._compute_rules(index, aliases))
        return self._rules_cache[key]

    def restricted(self, limit: Privileges) -> Intersection:
        """These privileges limited to what ``limit`` also allows (an API key's)."""
        return Intersection(self, limit)

    def _compute_rules(self, index: str, aliases: Collection[str]) -> IndexRules | None:
        matching = [e for e in self._entries if e.names(index, aliases)]
        if not matching:
            return _NOTHING
        queries = [self._query(e.dls) for e in matching if e.dls]
        dls = None
        if queries:
            unique = list({json.dumps(q, sort_keys=True): q for q in queries}.values())
            dls = unique[0] if len(unique) == 1 else {
                "bool": {"should": unique, "minimum_should_match": 1}}
        fls_include, fls_exclude = _merge_fls([p for e in matching for p in e.fls])
        # Whole entries (``field``, ``field::SHA-512``, ``field::/regex/::replacement``):
        # search/field_security.py applies each one's algorithm.
        masked = tuple(dict.fromkeys(m for e in matching for m in e.masked))
        if dls is None and fls_include is None and not fls_exclude and not masked:
            return None
        return IndexRules(dls=dls, fls_include=fls_include, fls_exclude=fls_exclude,
                          masked=masked)

    def _query(self, dls: str) -> dict:
        query = self._queries.get(dls)
        if query is None:
            query = self._queries[dls] = self.variables.query(dls)
        return query


def _merge_fls(patterns: list[str]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """OpenSearch's FLS merge: ``(include, exclude)`` of the united patterns of all roles."""
    excluded = tuple(dict.fromkeys(p[1:] for p in patterns if p[:1] in ("~", "!")))
    included = tuple(dict.fromkeys(p for p in patterns if p[:1] not in ("~", "!")))
    if excluded:
        # Mixed inclusions and exclusions: OpenSearch applies the exclusions only.
        return None, excluded
    if not included or "*" in included:
        return None, ()
    return included, ()


def _remember(cache: dict[K, V], key: K, value: V) -> V:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


class Intersection:
    """What every one of several privileges allows: an API key's effective privileges are
    its role descriptors' intersected with its owner's (Elasticsearch). Restrictions add up:
    both DLS queries must match, a field must be shown by both FLS rules, masked fields and
    exclusions are united."""

    def __init__(self, *parts: Privileges) -> None:
        self.parts = parts

    def allows_cluster(self, action: str) -> bool:
        return all(p.allows_cluster(action) for p in self.parts)

    def allows_index(self, action: str, index: str, aliases: Collection[str] = ()) -> bool:
        return all(p.allows_index(action, index, aliases) for p in self.parts)

    def allows_some_index(self, action: str) -> bool:
        return all(p.allows_some_index(action) for p in self.parts)

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        combined: IndexRules | None = None
        for part in self.parts:
            rules = part.index_rules(index, aliases)
            if rules is not None:
                combined = rules if combined is None else _both(combined, rules)
        return combined


def _both(a: IndexRules, b: IndexRules) -> IndexRules:
    """The rules of two restrictions that both apply."""
    if a.dls is None or b.dls is None or a.dls == b.dls:
        dls = a.dls if b.dls is None else b.dls
    else:
        dls = {"bool": {"filter": [a.dls, b.dls]}}
    if a.fls_include is None or b.fls_include is None:
        include = a.fls_include if b.fls_include is None else b.fls_include
    else:
        # A field both show: each pattern one side has that the other side's covers (sound;
        # two overlapping wildcards neither of which covers the other are dropped, so the
        # result never shows more than both allow).
        include = tuple(dict.fromkeys(
            [p for p in a.fls_include if any(covers(q, p) for q in b.fls_include)]
            + [q for q in b.fls_include if any(covers(p, q) for p in a.fls_include)]))
    return IndexRules(dls=dls, fls_include=include,
                      fls_exclude=tuple(dict.fromkeys(a.fls_exclude + b.fls_exclude)),
                      masked=tuple(dict.fromkeys(a.masked + b.masked)))
