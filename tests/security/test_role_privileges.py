"""Privilege evaluation (security/privileges.py): cluster and index permissions, the user's
attributes in patterns and DLS, how several roles' DLS/FLS/masking combine (OpenSearch's
default ``dfm_empty_overrides_all: false``), and an API key's intersection."""

from __future__ import annotations

import pytest

from loghaven.security.builtin import STATIC_ACTION_GROUPS, STATIC_ROLES
from loghaven.security.privileges import (
    Intersection,
    PrivilegesEvaluationError,
    RolePrivileges,
)
from loghaven.security.subject import AllAccess, IndexRules

SEARCH = "indices:data/read/search"
INDEX = "indices:data/write/index"


def index_role(*patterns: str, actions: tuple[str, ...] = ("read",), dls: str = "",
               fls: tuple[str, ...] = (), masked: tuple[str, ...] = (),
               cluster: tuple[str, ...] = ()) -> dict:
    return {"cluster_permissions": list(cluster), "index_permissions": [{
        "index_patterns": list(patterns), "dls": dls, "fls": list(fls),
        "masked_fields": list(masked), "allowed_actions": list(actions)}]}


def grant(roles: dict[str, dict], user: str = "bob", **kwargs: object) -> RolePrivileges:
    return RolePrivileges(roles, STATIC_ACTION_GROUPS, user, **kwargs)


def test_cluster_permissions_by_name_pattern_and_group() -> None:
    p = grant({"r": {"cluster_permissions": ["cluster:admin/settings/update", "cluster:monitor/*",
                                             "cluster_manage_pipelines"]}})
    assert p.allows_cluster("cluster:admin/settings/update")
    assert p.allows_cluster("cluster:monitor/nodes/stats")
    assert p.allows_cluster("cluster:admin/ingest/pipeline/put")
    assert not p.allows_cluster("cluster:admin/settings/get")
    assert not p.allows_cluster("cluster:admin/snapshot/create")
    assert not grant({}).allows_cluster("cluster:monitor/health")


def test_index_permissions_by_pattern_and_action() -> None:
    p = grant({"r1": index_role("logs-*", "/metrics-\\d+/", actions=("read",)),
               "r2": index_role("audit", actions=("indices:data/write/index",))})
    assert p.allows_index(SEARCH, "logs-2024") and p.allows_index(SEARCH, "metrics-7")
    assert not p.allows_index(SEARCH, "metrics-x") and not p.allows_index(SEARCH, "audit")
    assert p.allows_index(INDEX, "audit") and not p.allows_index(INDEX, "logs-2024")
    assert p.allows_some_index(SEARCH) and p.allows_some_index(INDEX)
    assert not p.allows_some_index("indices:admin/delete")
    # The same answers the second time (cached).
    assert p.allows_index(SEARCH, "logs-2024") and not p.allows_index(INDEX, "logs-2024")


def test_a_grant_on_an_alias_holds_for_its_member_indices() -> None:
    p = grant({"r": index_role("team-a")})
    assert p.allows_index(SEARCH, "team-a")
    assert not p.allows_index(SEARCH, "logs-000001")
    assert p.allows_index(SEARCH, "logs-000001", aliases=("other", "team-a"))


@pytest.mark.parametrize(("pattern", "user", "attributes", "index", "allowed"), [
    ("${user.name}", "bob", {}, "bob", True),
    ("${user_name}", "bob", {}, "bob", True),
    ("${user.name}-*", "bob", {}, "bob-logs", True),
    ("${user.name}-*", "bob", {}, "alice-logs", False),
    ("logs-${attr.internal.team}", "bob", {"team": "red"}, "logs-red", True),
    ("logs-${attr_internal_team}", "bob", {"team": "red"}, "logs-red", True),
    ("logs-${attr.internal.team}", "bob", {"team": "red"}, "logs-blue", False),
    ("logs-${attr.internal.team}", "bob", {}, "logs-${attr.internal.team}", False),
    ("logs-${attr.internal.team:-shared}", "bob", {}, "logs-shared", True),
    ("/${user.name}-\\d+/", "bob", {}, "bob-12", True),
    # A user's name is literal text in a pattern: "*" in it matches only "*".
    ("${user.name}", "b*", {}, "bob", False),
    ("${user.name}", "b*", {}, "b*", True),
    ("${user.name}", "a.b", {}, "axb", False),
])
def test_user_attributes_in_index_patterns(pattern: str, user: str, attributes: dict,
                                           index: str, allowed: bool) -> None:
    p = grant({"r": index_role(pattern)}, user, attributes=attributes)
    assert p.allows_index(SEARCH, index) is allowed


def test_a_pattern_with_an_undefined_attribute_grants_nothing() -> None:
    p = grant({"r": index_role("logs-${attr.internal.team}")})
    assert not p.allows_some_index(SEARCH)


def test_no_rules_for_unrestricted_roles_and_full_restriction_for_unnamed_indices() -> None:
    p = grant({"r": index_role("logs-*")})
    assert p.index_rules("logs-1") is None
    nothing = p.index_rules("secret")
    assert nothing == IndexRules(dls={"match_none": {}}, fls_include=())


def test_dls_with_the_users_attributes() -> None:
    p = grant({"r": index_role("logs-*", dls='{"term": {"owner": "${user.name}"}}')},
              'o"neil')
    assert p.index_rules("logs-1") == IndexRules(dls={"term": {"owner": 'o"neil'}})
    roles = grant({"r": index_role(
        "logs-*", dls='{"terms": {"team": [${user.roles}]}}')}, "bob", backend_roles=["a", "b"])
    assert roles.index_rules("logs-1").dls == {"terms": {"team": ["a", "b"]}}
    attr = grant({"r": index_role(
        "logs-*", dls='{"term": {"team": "${attr.internal.team}"}}')}, attributes={"team": "red"})
    assert attr.index_rules("logs-1").dls == {"term": {"team": "red"}}
    mapped = grant({"r": index_role("logs-*", dls='{"terms": {"r": [${user.securityRoles}]}}')})
    assert mapped.index_rules("logs-1").dls == {"terms": {"r": ["r"]}}


@pytest.mark.parametrize(("dls", "logged"), [
    ('{"term": {"team": "${attr.internal.team}"}}', "undefined user attributes: ['attr.internal"),
    ('{"term": ', 'Invalid DLS query: {"term":'),
    ('["not", "an", "object"]', 'Invalid DLS query: ["not"'),
])
def test_a_dls_query_that_cannot_be_evaluated_refuses_the_request(
        dls: str, logged: str, caplog: pytest.LogCaptureFixture) -> None:
    p = grant({"r": index_role("logs-*", dls=dls)})
    assert p.allows_index(SEARCH, "logs-1")
    with pytest.raises(PrivilegesEvaluationError) as raised:
        p.index_rules("logs-1")
    assert raised.value.to_body()["error"]["reason"] == "Error while evaluating DLS/FLS privileges"
    assert (raised.value.type, raised.value.status) == ("security_exception", 500)
    assert dls not in str(raised.value.to_body())  # the role's query is only logged
    assert any(logged in r.getMessage() for r in caplog.records)


def test_several_roles_dls_queries_are_or_ed() -> None:
    a, b = '{"term": {"team": "a"}}', '{"term": {"team": "b"}}'
    p = grant({"r1": index_role("logs-*", dls=a), "r2": index_role("logs-1", dls=b),
               "r3": index_role("logs-*", dls=a)})
    assert p.index_rules("logs-1").dls == {"bool": {"should": [
        {"term": {"team": "a"}}, {"term": {"team": "b"}}], "minimum_should_match": 1}}
    assert p.index_rules("logs-2").dls == {"term": {"team": "a"}}


def test_a_role_without_dls_does_not_lift_another_roles_restriction() -> None:
    # plugins.security.dfm_empty_overrides_all: false (OpenSearch's default)
    p = grant({"restricted": index_role("logs-*", dls='{"term": {"team": "a"}}'),
               "everything": STATIC_ROLES["readall"]})
    assert p.index_rules("logs-1").dls == {"term": {"team": "a"}}
    assert p.index_rules("other") is None


def test_restrictions_apply_whatever_the_entrys_actions() -> None:
    # OpenSearch takes DLS from every index permission that names the index.
    p = grant({"reader": index_role("logs-*"),
               "monitor": index_role("logs-*", actions=("indices_monitor",),
                                     dls='{"term": {"team": "a"}}')})
    assert p.index_rules("logs-1").dls == {"term": {"team": "a"}}


@pytest.mark.parametrize(("fls_per_role", "include", "exclude"), [
    ([["a", "b*"]], ("a", "b*"), ()),
    ([["a"], ["b"]], ("a", "b"), ()),  # inclusions are united
    ([["~secret"]], None, ("secret",)),
    ([["~secret"], ["~ssn"]], None, ("secret", "ssn")),  # exclusions are united
    ([["!secret"]], None, ("secret",)),  # the legacy exclusion prefix
    ([["a", "b"], ["~secret"]], None, ("secret",)),  # mixed: only the exclusions apply
    ([["a", "~b"]], None, ("b",)),
    ([["*"]], None, ()),  # include everything: no restriction
    ([["a"], []], ("a",), ()),  # a role without FLS does not lift it
])
def test_field_level_security_merge(fls_per_role: list[list[str]],
                                    include: tuple[str, ...] | None,
                                    exclude: tuple[str, ...]) -> None:
    p = grant({f"r{i}": index_role("logs-*", fls=tuple(f)) for i, f in enumerate(fls_per_role)})
    rules = p.index_rules("logs-1")
    if include is None and not exclude:
        assert rules is None
    else:
        assert (rules.fls_include, rules.fls_exclude, rules.dls) == (include, exclude, None)


def test_masked_fields_are_united_with_their_algorithm() -> None:
    p = grant({"r1": index_role("logs-*", masked=("ip::SHA-512", "email")),
               "r2": index_role("logs-*", masked=("email", "card::/\\d{12}/::XXXX"))})
    assert p.index_rules("logs-1") == IndexRules(
        masked=("ip::SHA-512", "email", "card::/\\d{12}/::XXXX"))


def test_rules_of_a_role_on_an_alias_restrict_its_member_indices() -> None:
    p = grant({"r": index_role("team-a", dls='{"term": {"team": "a"}}', fls=("~secret",))})
    rules = p.index_rules("logs-000001", aliases=("team-a",))
    assert rules.dls == {"term": {"team": "a"}} and rules.fls_exclude == ("secret",)
    assert p.index_rules("logs-000001").dls == {"match_none": {}}


def test_an_api_key_gets_the_intersection_of_its_owner_and_its_descriptors() -> None:
    owner = grant({"o": index_role("logs-*", "audit", actions=("crud",),
                                   cluster=("cluster_monitor",))})
    key = grant({"k": index_role("logs-1*", "other", actions=("read",),
                                 cluster=("cluster_all",))})
    both = owner.restricted(key)
    assert isinstance(both, Intersection)
    assert both.allows_index(SEARCH, "logs-10")
    assert not both.allows_index(SEARCH, "logs-2")  # the key does not name it
    assert not both.allows_index(SEARCH, "other")  # the owner does not name it
    assert not both.allows_index(INDEX, "logs-10")  # the key only reads
    assert both.allows_cluster("cluster:monitor/health")
    assert not both.allows_cluster("cluster:admin/settings/update")  # the owner lacks it
    assert both.allows_some_index(SEARCH) and not both.allows_some_index("indices:admin/delete")


def test_an_intersection_adds_up_restrictions() -> None:
    owner = grant({"o": index_role("logs-*", dls='{"term": {"team": "a"}}',
                                   fls=("a*", "msg", "host.*"), masked=("ip",))})
    key = grant({"k": index_role("logs-*", dls='{"term": {"level": "error"}}',
                                 fls=("ab*", "*", "host.name", "~secret"), masked=("email",))})
    rules = Intersection(owner, key).index_rules("logs-1")
    # The key's FLS mixes inclusions and exclusions, so only its exclusion applies.
    assert rules.fls_include == ("a*", "msg", "host.*")
    assert rules.fls_exclude == ("secret",)
    assert rules.dls == {"bool": {"filter": [{"term": {"team": "a"}},
                                             {"term": {"level": "error"}}]}}
    assert rules.masked == ("ip", "email")
    key2 = grant({"k": index_role("logs-*", fls=("ab*", "host.name", "zzz"))})
    # A field both show: "ab*" (inside "a*") and "host.name" (inside "host.*").
    assert Intersection(owner, key2).index_rules("logs-1").fls_include == ("ab*", "host.name")
    assert Intersection(owner, AllAccess()).index_rules("logs-1") == owner.index_rules("logs-1")
    assert Intersection(AllAccess(), AllAccess()).index_rules("logs-1") is None
