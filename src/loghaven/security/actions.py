"""Action names and action groups: what a role's permission list grants.

A permission is an action name (``indices:data/read/search``), a wildcard pattern of action
names (``indices:data/read/*``, ``cluster:monitor/*``, ``*``) or the name of an action group,
which stands for its ``allowed_actions`` — themselves names, patterns or further groups. A name
that is no group is kept as a literal pattern (OpenSearch's ``FlattenedActionGroups``): a typo
grants nothing rather than failing a whole role. Groups are flattened once per configuration,
following nested groups with cycle protection, and each permission list compiles once into a
:class:`~loghaven.security.wildcards.Matcher`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loghaven.security.wildcards import Matcher


class ActionGroups:
    """The action groups of one configuration (static and custom, REST shape:
    ``{name: {"allowed_actions": [...], ...}}``), flattened."""

    def __init__(self, groups: Mapping[str, Mapping]) -> None:
        direct = {name: tuple(body.get("allowed_actions") or ()) for name, body in groups.items()}
        self._flat: dict[str, frozenset[str]] = {}
        for name in direct:
            seen: set[str] = {name}
            stack = [name]
            actions: set[str] = set()
            while stack:
                for action in direct[stack.pop()]:
                    actions.add(action)
                    if action in direct and action not in seen:
                        seen.add(action)
                        stack.append(action)
            self._flat[name] = frozenset(actions)
        self._matchers: dict[tuple[str, ...], Matcher] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._flat

    def resolve(self, permissions: Iterable[str]) -> frozenset[str]:
        """The permissions with every group name expanded into the actions and patterns it
        stands for (group names are kept too, as OpenSearch keeps them)."""
        resolved: set[str] = set()
        for permission in permissions:
            resolved.add(permission)
            resolved |= self._flat.get(permission, frozenset())
        return frozenset(resolved)

    def matcher(self, permissions: Iterable[str]) -> Matcher:
        """A compiled test of action names for one permission list (cached)."""
        key = tuple(permissions)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = self._matchers[key] = Matcher(sorted(self.resolve(key)))
        return matcher
