"""Action names, action groups and OpenSearch's pattern syntax (security/actions.py,
security/wildcards.py)."""

from __future__ import annotations

import pytest

from loghaven.security.actions import ActionGroups
from loghaven.security.builtin import STATIC_ACTION_GROUPS
from loghaven.security.wildcards import Matcher, covers

PATTERNS = [
    # (pattern, name, matches)
    ("indices:data/read/*", "indices:data/read/search", True),
    ("indices:data/read/*", "indices:data/write/index", False),
    ("indices:data/read*", "indices:data/read/search", True),
    ("cluster:monitor/*", "cluster:monitor/health", True),
    ("cluster:monitor/*", "cluster:admin/settings/update", False),
    ("*", "anything:at/all", True),
    ("logs-?", "logs-1", True),
    ("logs-?", "logs-12", False),
    ("logs-*", "Logs-1", False),  # case-sensitive
    ("logs-[12]", "logs-1", False),  # no character classes: [ is a literal
    ("logs-[12]", "logs-[12]", True),
    ("logs.1", "logsx1", False),  # a dot is a literal
    ("/logs-\\d+/", "logs-42", True),  # a regular expression written /.../
    ("/logs-\\d+/", "logs-42x", False),  # whole-string match
    ("/logs-\\d+/", "xlogs-42", False),
    ("", "", False),  # a blank pattern matches nothing
    ("  ", "  ", False),
    ("/[/", "/[/", False),  # an invalid regular expression matches nothing
]


@pytest.mark.parametrize(("pattern", "name", "matches"), PATTERNS)
def test_opensearch_pattern_syntax(pattern: str, name: str, matches: bool) -> None:
    assert Matcher([pattern])(name) is matches


def test_a_pattern_set_matches_when_any_pattern_does() -> None:
    matcher = Matcher(["a", "b*", "/c\\d/"])
    assert [matcher(n) for n in ("a", "bz", "c1", "c", "ab")] == [True, True, True, False, False]
    assert not Matcher([]) and not Matcher([""])
    assert Matcher(["x"])


COVERS = [
    ("a*", "ab*", True), ("*b", "a*b", True), ("a*", "abc", True), ("a?c", "abc", True),
    ("*", "/x/", True), ("ab*", "a*", False), ("a*", "*a", False), ("abc", "a*", False),
    ("/a.*/", "ab", False), ("a*", "/ab/", False), ("a?", "a*", False),
    ("a*", "a?", True), ("?b", "*b", False), ("a?", "a?", True),
]


@pytest.mark.parametrize(("general", "specific", "expected"), COVERS)
def test_covers_is_sound(general: str, specific: str, expected: bool) -> None:
    assert covers(general, specific) is expected


def test_a_group_stands_for_its_actions_and_nested_groups() -> None:
    groups = ActionGroups(STATIC_ACTION_GROUPS)
    crud = groups.matcher(["crud"])  # crud = read + write, themselves groups
    assert crud("indices:data/read/search") and crud("indices:data/write/index")
    assert crud("indices:admin/mapping/put")  # from write
    assert not crud("indices:admin/delete")
    ops = groups.matcher(["cluster_composite_ops"])  # nests cluster_composite_ops_ro
    assert ops("indices:data/read/mget") and ops("indices:data/write/bulk")
    assert not ops("cluster:monitor/health")
    assert {"read", "write", "crud", "indices:data/read*"} <= groups.resolve(["crud"])


def test_unknown_names_are_literal_patterns_and_group_names_are_not_patterns() -> None:
    groups = ActionGroups(STATIC_ACTION_GROUPS)
    assert groups.matcher(["no_such_group"])("no_such_group")
    assert not groups.matcher(["no_such_group"])("indices:data/read/search")
    # "rea*" is a pattern of action names, not of group names: it grants no read action.
    assert not groups.matcher(["rea*"])("indices:data/read/search")


def test_cyclic_groups_terminate_with_the_union_of_the_cycle() -> None:
    groups = ActionGroups({
        "a": {"allowed_actions": ["b", "action:a"]},
        "b": {"allowed_actions": ["c", "action:b"]},
        "c": {"allowed_actions": ["a", "c", "action:c/*"]},
    })
    for name in ("a", "b", "c"):
        matcher = groups.matcher([name])
        assert matcher("action:a") and matcher("action:b") and matcher("action:c/x")
        assert not matcher("action:d")


def test_custom_groups_nest_static_ones() -> None:
    groups = ActionGroups({**STATIC_ACTION_GROUPS,
                           "team_ops": {"allowed_actions": ["search", "indices_monitor"]}})
    matcher = groups.matcher(["team_ops"])
    assert matcher("indices:data/read/search") and matcher("indices:data/read/msearch")
    assert matcher("indices:data/read/suggest")  # search → suggest
    assert matcher("indices:monitor/stats")
    assert not matcher("indices:data/read/get")
