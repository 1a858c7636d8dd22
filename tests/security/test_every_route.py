"""Every route of THE permission table (api/permissions.py), over HTTP against a secure server:
anonymous → 401 with the Basic challenge, a user whose role grants nothing the route needs →
403 naming the route's action, a user whose role grants exactly that action (and, for a
composite request, its items' actions) → the endpoint's own success.

The cases are generated from the table itself, so a route added later is covered at once; a
route whose path needs a value or body this module does not know fails
(:func:`test_every_table_entry_has_a_concrete_request`). Writes and deletions act on indices,
aliases, templates and security entities made for their case, so the order does not matter.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from loghaven.api.permissions import AUTHENTICATED, CLUSTER, INDEX, ITEM_ACTIONS, PUBLIC, TABLE, UI

from .conftest import SecureServer

API = "/_plugins/_security/api"
PASSWORD = "Route-Password-1"
NDJSON = {"content-type": "application/x-ndjson"}
XSRF = {"osd-xsrf": "true"}
SHARED = "rt-shared"  # the index read-only cases act on
ALIAS = "rt-alias"  # an alias of it
#: The wrong role: an unrelated cluster action, and an index action on other indices.
UNRELATED = {"cluster_permissions": ["cluster:monitor/nodes/hot_threads"],
             "index_permissions": [{"index_patterns": ["elsewhere-*"],
                                    "allowed_actions": ["indices:data/read/get"]}]}
#: The actions a composite request's items need on their index (the table's docstring):
#: ``_bulk`` items here index documents.
ITEMS = {**ITEM_ACTIONS, "indices:data/write/bulk": "indices:data/write/index"}
#: Placeholder values every route may take.
DEFAULTS = {"id": "1", "type": "_doc", "fields": "m", "node_id": "_local",
            "index_metric": "docs"}
_counter = itertools.count()


@dataclass
class Case:
    """One concrete request of a table entry, and what it needs made first."""

    method: str
    template: str
    index: str = SHARED
    fills: dict[str, str] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""
    #: Success statuses of the endpoint (for the permitted user).
    success: tuple[int, ...] = (200, 201)

    def path(self) -> str:
        values = {"index": self.index, **DEFAULTS, **self.fills}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise KeyError(f"{self.method} {self.template}: no value for {{{name}}}")
            return values[name]
        return re.sub(r"\{(\w+)\}", fill, self.template) + self.query

    def send(self, client: httpx.Client) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if isinstance(self.body, bytes):
            kwargs["content"] = self.body
            kwargs["headers"] = {**NDJSON, **self.headers}
        elif self.body is not None:
            kwargs["json"] = self.body
        return client.request(self.method, self.path(), **kwargs)


#: How one entry is made concrete: it gets its case (index and a fresh name made up) and the
#: admin and the permitted user's clients, makes what the request acts on, and returns the
#: placeholder values and body. Entries without one need only the defaults of :class:`Case`.
Setup = Callable[[Case, httpx.Client, httpx.Client], None]


def _body(body: Any, query: str = "", **fills: str) -> Setup:
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        case.body = body
        case.query = query
        case.fills.update(fills)
    return setup


def _fresh_index(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A throwaway index of its own, with document 1."""
    case.index = f"rt-{next(_counter)}"
    assert admin.put(f"/{case.index}/_doc/1?refresh=true", json={"m": "one"}).status_code == 201


def _new_index(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    case.index = f"rt-new-{next(_counter)}"


def _alias(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    _fresh_index(case, admin, user)
    case.fills["name"] = f"{case.index}-alias"
    assert admin.put(f"/{case.index}/_alias/{case.fills['name']}").status_code == 200


def _rollover_alias(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """An index ``rt-N-000001`` whose write alias the request rolls over."""
    case.index = f"rt-{next(_counter)}-000001"
    alias = case.fills["alias"] = case.index.replace("-000001", "-write")
    case.fills["new_index"] = case.index.replace("-000001", "-rolled")
    assert admin.put(f"/{case.index}", json={"aliases": {alias: {
        "is_write_index": True}}}).status_code == 200


def _migrating(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A fresh index on its way to the warm tier (the migration may end before the request:
    then its status and cancel answer 404, also past the permission check)."""
    _fresh_index(case, admin, user)
    assert admin.post(f"/_ultrawarm/migration/{case.index}/_warm").status_code == 200


def _warm_index(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """The request's fresh index, moved to the warm tier."""
    assert admin.post(f"/_ultrawarm/migration/{case.index}/_warm").status_code == 200
    deadline = time.monotonic() + 60
    while admin.get(f"/_ultrawarm/migration/{case.index}/_status").status_code != 404:
        assert time.monotonic() < deadline, "the migration to warm did not end"
        time.sleep(0.1)


def _template(kind: str, body: dict[str, Any], *, existing: bool) -> Setup:
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["name"] = f"rt-{kind.strip('_')}-{next(_counter)}"
        own = {**body, "index_patterns": [f"{name}-*"]} if "index_patterns" in body else body
        if existing:
            assert admin.put(f"/{kind}/{name}", json=own).status_code == 200
        else:
            case.body = own
    return setup


def _needs(*actions: str) -> Callable[[Setup], Setup]:
    """Mark a setup that acts as the permitted user with the index actions it needs."""
    def mark(setup: Setup) -> Setup:
        setup.needs = actions  # type: ignore[attr-defined]
        return setup
    return mark


def _needs_cluster(*actions: str) -> Callable[[Setup], Setup]:
    """Mark a setup that acts as the permitted user with the cluster actions it needs."""
    def mark(setup: Setup) -> Setup:
        setup.cluster_needs = actions  # type: ignore[attr-defined]
        return setup
    return mark


def _scroll(field_name: str | None) -> Setup:
    """A scroll the permitted user opened (it searches ``rt-*`` too)."""
    @_needs("indices:data/read/search")
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        opened = user.post(f"/{SHARED}/_search?scroll=1m", json={"size": 1})
        assert opened.status_code == 200, opened.text
        scroll_id = opened.json()["_scroll_id"]
        if field_name is None:
            case.fills["scroll_id"] = scroll_id
        else:
            case.body = {field_name: scroll_id if field_name == "scroll_id" or
                         case.method != "DELETE" else [scroll_id]}
            if case.method != "DELETE":
                case.body["scroll"] = "1m"
    return setup


def _pit(field_name: str, *, es: bool) -> Setup:
    """A point in time the permitted user opened (it may open one on ``rt-*``)."""
    @_needs("indices:data/read/open_point_in_time" if es
            else "indices:data/read/point_in_time/create")
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        path = f"/{SHARED}/_pit?keep_alive=1m" if es else \
            f"/{SHARED}/_search/point_in_time?keep_alive=1m"
        opened = user.post(path)
        assert opened.status_code == 200, opened.text
        pit = opened.json()["id" if es else "pit_id"]
        case.body = {field_name: pit if es else [pit]}
    return setup


@_needs("indices:data/write/index")
def _reindex(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A copy of the shared index into an index of its own (the user may write ``rt-*``)."""
    dest = f"rt-copy-{next(_counter)}"
    assert admin.put(f"/{dest}").status_code == 200
    case.body = {"source": {"index": SHARED}, "dest": {"index": dest}}


def _security_entity(kind: str, body: dict[str, Any], *, existing: bool,
                     patch: bool = False) -> Setup:
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["name"] = f"rt-{kind}-{next(_counter)}"
        if kind == "rolesmapping":  # a mapping is named by its role
            assert admin.put(f"{API}/roles/{name}", json=ROLE).status_code == 201
        if existing:
            created = admin.put(f"{API}/{kind}/{name}", json=body)
            assert created.status_code == 201, created.text
        if patch and "{name}" in case.template:
            case.body = [{"op": "add", "path": "/description", "value": "patched"}]
        elif patch:
            case.body = [{"op": "add", "path": f"/{name}", "value": body}]
        elif case.method == "PUT":
            case.body = body
    return setup


def _api_key(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    if case.method == "DELETE":
        key = user.post("/_security/api_key", json={"name": "rt-key"}).json()
        case.body = {"ids": [key["id"]]}
    elif case.method in ("PUT", "POST"):
        case.body = {"name": "rt-key"}


def _api_token(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A fresh name for a new OpenSearch API key, or (DELETE) the id of one to revoke."""
    body = {"name": f"rt-token-{next(_counter)}", "duration_seconds": 600}
    if case.method == "POST":
        case.body = body
    elif case.method == "DELETE":
        created = admin.post(f"{API}/apitokens", json=body)
        assert created.status_code == 200, created.text
        case.fills["id"] = created.json()["id"]


def _access_key(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """An access key of the user's own (the route shows or deletes it)."""
    created = user.post(f"{API}/accesskeys", json={"description": "rt"})
    assert created.status_code in (200, 201), created.text
    case.fills["key_id"] = created.json()["access_key_id"]


def _hec_token(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A HEC token of the user's own, or (PUT) a fresh name for one."""
    name = case.fills["name"] = f"rt-hec-{next(_counter)}"
    if case.method == "PUT":
        case.body = {"index": SHARED}
    else:
        assert user.put(f"{API}/hectokens/{name}", json={"index": SHARED}).status_code == 201


FORM = {"content-type": "application/x-www-form-urlencoded"}


def _splunk_token(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """Splunk's token endpoints (form bodies): a token of the user's own to show, edit or
    delete, or a fresh name to create."""
    name = f"rt-splunk-{next(_counter)}"
    case.fills.update(user="nobody", app="splunk_httpinput", name=name)
    case.headers = FORM
    if not case.template.endswith("{name}"):
        case.body = f"name={name}".encode() if case.method == "POST" else None
        return
    assert user.put(f"{API}/hectokens/{name}", json={"index": SHARED}).status_code == 201
    if case.method == "POST":
        case.body = b"description=edited"


def _account(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    if case.method == "PUT":
        case.body = {"current_password": PASSWORD, "password": "Route-Password-2"}


def _login(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    case.headers = XSRF
    if case.template.endswith("/login"):
        assert isinstance(user.auth, httpx.BasicAuth)
        case.body = {"username": _any_name(user), "password": PASSWORD}


def _sns_query(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """``POST /``: any user passes the route; the SNS Action is then checked as its own
    action (api/sns.py), which the built-in notifications_read_access grants ListTopics."""
    case.body = b"Action=ListTopics"
    case.headers = {"content-type": "application/x-www-form-urlencoded"}
    assert admin.put(f"{API}/internalusers/{_any_name(user)}", json={
        "password": PASSWORD, "opendistro_security_roles": ["notifications_read_access"]},
    ).status_code == 200


def _any_name(user: httpx.Client) -> str:
    return user.headers.get("x-rt-user", "")


USER = {"password": "Rt-Entity-Password-1"}
ROLE = {"cluster_permissions": ["cluster_monitor"]}
MAPPING = {"users": ["nobody"]}
GROUP = {"allowed_actions": ["indices:data/read/get"]}
SECURITY_BODIES = {"internalusers": USER, "roles": ROLE, "rolesmapping": MAPPING,
                   "actiongroups": GROUP}
LEGACY = {"index_patterns": ["rt-tpl-*"]}
COMPONENT = {"template": {"settings": {"index.number_of_replicas": 0}}}


def _security_setups() -> dict[tuple[str, str], Setup]:
    setups: dict[tuple[str, str], Setup] = {}
    for prefix in ("/_plugins/_security", "/_opendistro/_security"):
        for kind, body in SECURITY_BODIES.items():
            one = f"{prefix}/api/{kind}/{{name}}"
            setups["GET", one] = _security_entity(kind, body, existing=True)
            setups["PUT", one] = _security_entity(kind, body, existing=False)
            setups["DELETE", one] = _security_entity(kind, body, existing=True)
            setups["PATCH", one] = _security_entity(kind, body, existing=True, patch=True)
            setups["PATCH", f"{prefix}/api/{kind}"] = _security_entity(
                kind, body, existing=False, patch=True)
        setups["PUT", f"{prefix}/api/account"] = _account
    return setups


def _templates() -> dict[tuple[str, str], Setup]:
    setups: dict[tuple[str, str], Setup] = {}
    for kind, body in (("_template", LEGACY), ("_index_template", LEGACY),
                       ("_component_template", COMPONENT)):
        one = f"/{kind}/{{name}}"
        for method in ("GET", "HEAD", "DELETE"):
            setups[method, one] = _template(kind, body, existing=True)
        for method in ("PUT", "POST"):
            setups[method, one] = _template(kind, body, existing=False)
    return setups


PIPELINE = {"processors": [{"set": {"field": "a", "value": 1}}]}
SCRIPT = {"script": {"lang": "painless", "source": "params.a + 1"}}


def _script(*, existing: bool) -> Setup:
    """A stored script of the case's own (made first unless the request makes it)."""
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["id"] = f"rt-script-{next(_counter)}"
        if existing:
            assert admin.put(f"/_scripts/{name}", json=SCRIPT).status_code == 200
        else:
            case.body = SCRIPT
    return setup


def _pipeline(*, existing: bool) -> Setup:
    """A pipeline of the case's own (made first unless the request makes it), or for
    ``_simulate`` the documents to run."""
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["id"] = f"rt-pipeline-{next(_counter)}"
        if existing:
            assert admin.put(f"/_ingest/pipeline/{name}", json=PIPELINE).status_code == 200
        if case.template.endswith("_simulate"):
            case.body = {"docs": [{"_source": {}}]}
            if "{id}" not in case.template:
                case.body["pipeline"] = PIPELINE
        elif case.method == "PUT":
            case.body = PIPELINE
    return setup


NOTIFY = "/_plugins/_notifications"
#: A muted webhook channel: the test message of ``feature/test`` sends nothing.
_CHANNEL = {"name": "rt channel", "config_type": "webhook", "is_enabled": False,
            "webhook": {"url": "https://example.com/hook"}}
_DESTINATION = {"name": "rt destination", "type": "custom_webhook",
                "custom_webhook": {"url": "https://example.com/hook"}}


def _notification_config(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A fresh channel for the config's routes (a fresh body for POST)."""
    if case.method == "POST" and "{" not in case.template:
        case.body = {"config": _CHANNEL}
        return
    created = admin.post(f"{NOTIFY}/configs", json={"config": _CHANNEL})
    assert created.status_code == 200, created.text
    config_id = created.json()["config_id"]
    case.fills["config_id"] = case.fills["destination_id"] = config_id
    if "{" not in case.template:  # DELETE configs?config_id_list=
        case.query = f"?config_id_list={config_id}"
    elif case.method == "PUT":
        case.body = _DESTINATION if "destinations" in case.template else {"config": _CHANNEL}


def _notification_setups() -> dict[tuple[str, str], Setup]:
    setups = {
        **_each("POST,DELETE", f"{NOTIFY}/configs", _notification_config),
        **_each("GET,PUT,DELETE", f"{NOTIFY}/configs/{{config_id}}", _notification_config),
        **_each("GET,POST", f"{NOTIFY}/feature/test/{{config_id}}", _notification_config)}
    for prefix in ("/_plugins/_alerting", "/_opendistro/_alerting"):
        setups[("POST", f"{prefix}/destinations")] = _body(_DESTINATION)
        setups.update(_each("GET,PUT,DELETE", f"{prefix}/destinations/{{destination_id}}",
                            _notification_config))
    return setups


#: A disabled monitor over the shared index (no scheduled runs in this server).
RT_MONITOR = {"name": "rt-monitor", "enabled": False,
              "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
              "inputs": [{"search": {"indices": [SHARED],
                                     "query": {"size": 0, "query": {"match_all": {}}}}}],
              "triggers": []}


def _monitor(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A monitor the admin made, which the route reads, changes, runs or deletes; or the body
    of a new one (an inline one for ``monitors/_execute``)."""
    if "{monitor_id}" in case.template:
        created = admin.post("/_plugins/_alerting/monitors", json=RT_MONITOR)
        assert created.status_code == 201, created.text
        case.fills["monitor_id"] = created.json()["_id"]
    if case.template.endswith("/monitors/_execute"):
        case.body = {"monitor": RT_MONITOR}
    elif case.template.endswith(("/monitors", "/{monitor_id}")) and case.method != "GET":
        case.body = RT_MONITOR if case.method != "DELETE" else None


def _acknowledge(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """An alert id that does not exist, of a monitor that does."""
    _monitor(case, admin, user)
    case.body = {"alerts": ["no-such-alert"]}


def _monitors() -> dict[tuple[str, str], Setup]:
    setups: dict[tuple[str, str], Setup] = {}
    for prefix in ("/_plugins/_alerting", "/_opendistro/_alerting"):
        monitors = f"{prefix}/monitors"
        setups |= _each("POST", f"{monitors} {monitors}/_execute "
                                f"{monitors}/{{monitor_id}}/_execute", _monitor)
        setups |= _each("GET,PUT,DELETE", f"{monitors}/{{monitor_id}}", _monitor)
        setups |= _each("GET", f"{prefix}/stats/{{metric}} {prefix}/{{node_id}}/stats/{{metric}}",
                        _body(None, metric="jobs_info"))
    return setups


#: The UI's saved objects: index actions on ``.kibana`` (dashboards/access.py), the
#: ``osd-xsrf`` header, and Dashboards' error bodies.
SAVED_OBJECTS = "/_dashboards/api/saved_objects"
_BOUNDARY = "rt-boundary"


def _form(retries: str | None = None) -> bytes:
    """A multipart form with an NDJSON export as ``file`` (and ``retries``)."""
    parts = [f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="export.ndjson"\r\n\r\n'
             f'{{"type":"search","id":"rt-imported","attributes":{{"title":"x"}}}}\r\n']
    if retries is not None:
        parts.append(f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="retries"'
                     f"\r\n\r\n{retries}\r\n")
    return ("".join(parts) + f"--{_BOUNDARY}--\r\n").encode()


def _saved_object(body: Any = None, *, existing: bool = True, form: bool = False) -> Setup:
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        case.headers = {**XSRF, **({"content-type": f"multipart/form-data; boundary={_BOUNDARY}"}
                                   if form else {})}
        case.fills.update(type="search", id=f"rt-object-{next(_counter)}")
        case.body = body
        case.query = "?overwrite=true" if form or case.template.endswith("_bulk_create") \
            else ""
        if existing:
            assert admin.post(f"{SAVED_OBJECTS}/search/{case.fills['id']}", headers=XSRF,
                              json={"attributes": {"title": "x"}}).status_code == 200
            if isinstance(body, list):
                case.body = [{**item, "id": case.fills["id"]} for item in body]
    return setup


def _saved_objects_setups() -> dict[tuple[str, str], Setup]:
    base = SAVED_OBJECTS
    return {
        **_each("GET,DELETE", f"{base}/{{type}}/{{id}}", _saved_object()),
        ("PUT", f"{base}/{{type}}/{{id}}"): _saved_object({"attributes": {"title": "y"}}),
        ("POST", f"{base}/{{type}}/{{id}}"): _saved_object({"attributes": {"title": "y"}},
                                                           existing=False),
        ("POST", f"{base}/{{type}}"): _saved_object({"attributes": {"title": "y"}},
                                                    existing=False),
        ("GET", f"{base}/_find"): _body(None, "?type=search"),
        ("POST", f"{base}/_bulk_get"): _saved_object([{"type": "search"}]),
        ("POST", f"{base}/_bulk_create"): _saved_object(
            [{"type": "search", "attributes": {"title": "z"}}]),
        ("POST", f"{base}/_export"): _saved_object({"type": ["search"]}, existing=False),
        ("POST", f"{base}/_import"): _saved_object(_form(), existing=False, form=True),
        ("POST", f"{base}/_resolve_import_errors"): _saved_object(
            _form('[{"type":"search","id":"rt-imported","overwrite":true}]'),
            existing=False, form=True),
    }


#: A small ISM policy (the ISM API page's example, reduced).
RT_POLICY = {"policy": {"description": "rt", "default_state": "hot", "states": [
    {"name": "hot", "actions": [{"read_only": {}}], "transitions": []}]}}
ISM_PREFIXES = ("/_plugins/_ism", "/_opendistro/_ism")


def _ism(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A policy the admin made, which the route reads, deletes or attaches (a new one's id
    and body for PUT); a body for POST explain's filter."""
    policy_id = f"rt-policy-{next(_counter)}"
    if case.method == "PUT":
        case.body = RT_POLICY
    else:
        assert admin.put(f"/_plugins/_ism/policies/{policy_id}",
                         json=RT_POLICY).status_code == 201
        case.body = {"filter": {"failed": False}} if "/explain" in case.template \
            else {"policy_id": policy_id} if case.method == "POST" else None
    case.fills["policy_id"] = policy_id


#: The managed-index operations need ``ManagedIndexAction`` on each index they name.
_ism_managed = _needs("indices:admin/opensearch/ism/managedindex")(
    lambda case, admin, user: _ism(case, admin, user))


def _ism_setups() -> dict[tuple[str, str], Setup]:
    setups: dict[tuple[str, str], Setup] = {}
    for prefix in ISM_PREFIXES:
        setups |= _each("PUT", f"{prefix}/policies", _ism)
        setups |= _each("GET,PUT,DELETE", f"{prefix}/policies/{{policy_id}}", _ism)
        setups |= _each("POST", " ".join(f"{prefix}/{op} {prefix}/{op}/{{index}}" for op in (
            "add", "remove", "change_policy", "retry", "explain")), _ism_managed)
    return setups


def _snapshots(*, repository: bool, snapshot: str | None = None) -> Setup:
    """A repository of the case's own (made first unless the request makes it) and, with
    ``snapshot``, a snapshot of the shared index in it (``existing``: taken first; ``new``:
    the request takes it)."""
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["repository"] = f"rt-repo-{next(_counter)}"
        body = {"type": "fs", "settings": {"location": name}}
        if repository:
            assert admin.put(f"/_snapshot/{name}", json=body).status_code == 200
        else:
            case.body = body
        if snapshot is not None:
            case.fills["snapshot"] = "rt-snap"
            if snapshot == "existing":
                made = admin.put(f"/_snapshot/{name}/rt-snap?wait_for_completion=true",
                                 json={"indices": SHARED})
                assert made.status_code == 200, made.text
            else:
                case.body = {"indices": SHARED}
                case.query = "?wait_for_completion=true"
    return setup


@_needs("indices:admin/create")
def _restore(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A snapshot of the shared index, restored under a name of the case's own."""
    _snapshots(repository=True, snapshot="existing")(case, admin, user)
    case.body = {"rename_pattern": "(.+)",
                 "rename_replacement": f"rt-restored-{next(_counter)}-$1"}
    case.query = "?wait_for_completion=true"


#: A snapshot management policy that never fires during the test.
SM_POLICY = {"creation": {"schedule": {"cron": {"expression": "0 8 1 1 *", "timezone": "UTC"}}},
             "snapshot_config": {"repository": "rt-sm-repo"}}


def _sm_policy(*, existing: bool) -> Setup:
    """A policy name of the case's own, the policy made first (``existing``) or sent."""
    def setup(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
        name = case.fills["name"] = f"rt-sm-{next(_counter)}"
        if existing:
            made = admin.post(f"/_plugins/_sm/policies/{name}", json=SM_POLICY)
            assert made.status_code == 201, made.text
        else:
            case.body = SM_POLICY
    return setup


def _sm_policy_update(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A policy the admin made, updated at its sequence number (a PUT is an update)."""
    _sm_policy(existing=True)(case, admin, user)
    made = admin.get(f"/_plugins/_sm/policies/{case.fills['name']}").json()
    case.body = SM_POLICY
    case.query = f"?if_seq_no={made['_seq_no']}&if_primary_term={made['_primary_term']}"


REPORTS = "/_plugins/_reports"
#: An on-demand report over the shared index.
RT_REPORT = {"reportDefinition": {
    "name": "rt report", "sections": [{"title": "all", "indexPattern": SHARED}],
    "trigger": {"triggerType": "OnDemand"}}}


def _report(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A definition the admin made for the route's id, or the body of a new one."""
    if case.template.endswith("/definition"):
        case.body = RT_REPORT
        return
    made = admin.post(f"{REPORTS}/definition", json=RT_REPORT)
    assert made.status_code == 200, made.text
    case.fills["id"] = made.json()["reportDefinitionId"]
    if case.method == "PUT":
        case.body = RT_REPORT


@_needs_cluster("cluster:admin/opendistro/reports/definition/on_demand")
def _report_instance(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A report the permitted user generated (a report is shown to the user it ran as)."""
    _report(case, admin, user)
    ran = user.post(f"{REPORTS}/on_demand/{case.fills['id']}")
    assert ran.status_code == 200, ran.text
    case.fills["id"] = ran.json()["reportInstance"]["id"]


def _reports_setups() -> dict[tuple[str, str], Setup]:
    return {**_each("POST", f"{REPORTS}/definition {REPORTS}/on_demand/{{id}}", _report),
            **_each("GET,PUT,DELETE", f"{REPORTS}/definition/{{id}}", _report),
            **_each("GET", f"{REPORTS}/instance/{{id}} {REPORTS}/instance/{{id}}/_download",
                    _report_instance),
            ("POST", f"{REPORTS}/packs/{{name}}/_install"): _body({}, name="pci-dss")}


def _each(methods: str, paths: str, setup: Setup) -> dict[tuple[str, str], Setup]:
    return {(m, p): setup for m in methods.split(",") for p in paths.split()}


def _sql_cursor(case: Case, admin: httpx.Client, user: httpx.Client) -> None:
    """A cursor the user opened on a fresh index of two documents, which the request closes."""
    _fresh_index(case, admin, user)
    assert admin.put(f"/{case.index}/_doc/2?refresh=true", json={"m": "two"}).status_code == 201
    first = user.post("/_plugins/_sql", json={"query": f"SELECT m FROM `{case.index}`",
                                              "fetch_size": 1})
    assert first.status_code == 200, first.text
    case.body = {"cursor": first.json()["cursor"]}


def _sql_setups() -> dict[tuple[str, str], Setup]:
    """The SQL plugin's routes, under both prefixes and with a trailing slash: a statement and
    a PPL query on the shared index, a cursor to close, the plugin's settings (their
    default value)."""
    setups: dict[tuple[str, str], Setup] = {}
    statement = _body({"query": f"SELECT m FROM `{SHARED}`"})
    ppl = _body({"query": f"source=`{SHARED}` | fields m"})
    for prefix in ("/_plugins", "/_opendistro"):
        for slash in ("", "/"):
            setups |= _each("POST", f"{prefix}/_sql{slash} {prefix}/_sql/_explain{slash}",
                            statement)
            setups |= _each("POST", f"{prefix}/_ppl{slash} {prefix}/_ppl/_explain{slash}", ppl)
            setups[("POST", f"{prefix}/_sql/close{slash}")] = _sql_cursor
            setups[("PUT", f"{prefix}/_query/settings{slash}")] = _body(
                {"transient": {"plugins.query.size_limit": "10000"}})
    return setups


#: The concrete requests of the entries that need more than :class:`Case`'s defaults.
SETUPS: dict[tuple[str, str], Setup] = {
    **_security_setups(),
    ("POST", f"{API}/apitokens"): _api_token,
    ("DELETE", f"{API}/apitokens/{{id}}"): _api_token,
    **_each("GET,DELETE", f"{API}/accesskeys/{{key_id}}", _access_key),
    **_each("GET,PUT,DELETE", f"{API}/hectokens/{{name}}", _hec_token),
    **_each("GET,POST", "/services/data/inputs/http "
                        "/servicesNS/{user}/{app}/data/inputs/http", _splunk_token),
    **_each("GET,POST,DELETE", "/services/data/inputs/http/{name} "
                               "/servicesNS/{user}/{app}/data/inputs/http/{name}",
            _splunk_token),
    **_templates(),
    **_each("GET,DELETE", "/_ingest/pipeline/{id}", _pipeline(existing=True)),
    ("PUT", "/_ingest/pipeline/{id}"): _pipeline(existing=False),
    **_each("GET,POST", "/_ingest/pipeline/_simulate", _pipeline(existing=False)),
    **_each("GET,POST", "/_ingest/pipeline/{id}/_simulate", _pipeline(existing=True)),
    ("GET", "/_ingest/pipeline"): _pipeline(existing=True),
    **_each("GET,DELETE", "/_scripts/{id}", _script(existing=True)),
    **_each("PUT,POST", "/_scripts/{id}", _script(existing=False)),
    **_notification_setups(),
    **_saved_objects_setups(),
    **_reports_setups(),
    **_each("GET,POST", "/_cluster/allocation/explain",
            _body({"index": SHARED, "shard": 0, "primary": True})),
    ("GET", "/_cluster/state/{metric}"): _body(None, metric="metadata"),
    ("GET", "/_cluster/state/{metric}/{index}"): _body(None, metric="metadata"),
    ("PUT", "/_cluster/settings"): _body({"persistent": {"search.max_buckets": 65535}}),
    ("GET", "/_tasks/{task_id}"): _body(None, task_id="node:1"),
    ("POST", "/_tasks/{task_id}/_cancel"): _body(None, task_id="node:1"),
    **_each("POST", "/_reindex/{task_id}/_rethrottle /_update_by_query/{task_id}/_rethrottle "
                    "/_delete_by_query/{task_id}/_rethrottle",
            _body(None, "?requests_per_second=5", task_id="node:1")),
    ("POST", "/_reindex"): _reindex,
    ("GET", "/_resolve/index/{name}"): _body(None, name=SHARED),
    **_each("GET", "/_nodes/{node_id}/{metric} /_nodes/stats/{metric} "
                   "/_nodes/stats/{metric}/{index_metric} /_nodes/{node_id}/stats/{metric} "
                   "/_nodes/{node_id}/stats/{metric}/{index_metric}", _body(None, metric="os")),
    **_each("GET", "/_stats/{metric} /{index}/_stats/{metric}", _body(None, metric="docs")),
    ("GET", "/_cat/templates/{name}"): _body(None, name="rt-*"),
    ("GET", "/_cat/aliases/{name}"): _body(None, name=ALIAS),
    **_each("GET,POST", "/_analyze /{index}/_analyze", _body({"text": "a b"})),
    **_each("GET,POST", "/_msearch", _body(f'{{"index":"{SHARED}"}}\n{{}}\n'.encode())),
    **_each("GET,POST", "/{index}/_msearch", _body(b"{}\n{}\n")),
    **_each("GET,POST", "/_search/scroll", _scroll("scroll_id")),
    **_each("GET,POST,DELETE", "/_search/scroll/{scroll_id}", _scroll(None)),
    ("DELETE", "/_search/scroll"): _scroll("scroll_id"),
    ("DELETE", "/_search/point_in_time"): _pit("pit_id", es=False),
    ("DELETE", "/_pit"): _pit("id", es=True),
    **_each("POST", "/{index}/_search/point_in_time /{index}/_pit",
            _body(None, "?keep_alive=1m")),
    **_each("GET,POST", "/_field_caps /{index}/_field_caps", _body(None, "?fields=*")),
    ("POST", "/{index}/_delete_by_query"): _body({"query": {"match_all": {}}}),
    ("POST", "/_aliases"): lambda case, admin, user: (
        _fresh_index(case, admin, user),
        setattr(case, "body", {"actions": [{"add": {"index": case.index,
                                                    "alias": case.index + "-alias"}}]})),
    **_each("GET,HEAD", "/_alias/{name} /{index}/_alias/{name}",
            _body(None, name=ALIAS)),
    **_each("PUT,POST", "/{index}/_alias/{name} /{index}/_aliases/{name}",
            lambda case, admin, user: (_fresh_index(case, admin, user),
                                       case.fills.update(name=case.index + "-alias"))),
    **_each("DELETE", "/{index}/_alias/{name} /{index}/_aliases/{name}", _alias),
    **_each("PUT,POST", "/_bulk", lambda case, admin, user: setattr(
        case, "body", f'{{"index":{{"_index":"{SHARED}","_id":"b"}}}}\n{{"m":2}}\n'.encode())),
    **_each("PUT,POST", "/{index}/_bulk /{index}/{type}/_bulk",
            _body(b'{"index":{"_id":"b"}}\n{"m":2}\n')),
    **_each("GET,POST", "/_mget", _body({"docs": [{"_index": SHARED, "_id": "1"}]})),
    **_each("GET,POST", "/{index}/_mget", _body({"ids": ["1"]})),
    **_each("POST", "/{index}/_doc", _body({"m": "new"})),
    **_each("PUT,POST", "/{index}/_doc/{id}", _body({"m": "new"})),
    **_each("PUT,POST", "/{index}/_create/{id}", _body({"m": "new"}, id="created")),
    ("POST", "/{index}/_update/{id}"): _body({"doc": {"m": "updated"}}),
    **_each("PUT,POST", "/{index}/_mapping /{index}/_mappings /{index}/_mapping/{type}",
            _body({"properties": {"added": {"type": "keyword"}}})),
    **_each("GET", "/_settings/{name} /{index}/_settings/{name}",
            _body(None, name="index.number_of_replicas")),
    **_each("PUT", "/_settings /{index}/_settings",
            _body({"index": {"refresh_interval": "1s"}})),
    ("PUT", "/{index}"): _new_index,
    **_monitors(),
    **_ism_setups(),
    **_sql_setups(),
    **_each("POST", "/_plugins/_alerting/monitors/{monitor_id}/_acknowledge/alerts "
                    "/_opendistro/_alerting/monitors/{monitor_id}/_acknowledge/alerts",
            _acknowledge),
    ("GET", "/_dashboards/public/{path}"): _body(None, path="login.js"),
    ("GET", "/_dashboards/{path}"): _body(None, path=""),
    **_each("POST", "/_dashboards/auth/login /_dashboards/auth/logout", _login),
    **_each("PUT,POST,GET,DELETE", "/_security/api_key", _api_key),
    **_each("POST", "/", _sns_query),
    **_each("GET,DELETE", "/_snapshot/{repository}", _snapshots(repository=True)),
    **_each("PUT,POST", "/_snapshot/{repository}", _snapshots(repository=False)),
    **_each("POST", "/_snapshot/{repository}/_verify /_snapshot/{repository}/_cleanup",
            _snapshots(repository=True)),
    **_each("GET", "/_snapshot/{repository}/_status /_cat/snapshots/{repository}",
            _snapshots(repository=True)),
    **_each("PUT,POST", "/_snapshot/{repository}/{snapshot}",
            _snapshots(repository=True, snapshot="new")),
    **_each("GET,DELETE", "/_snapshot/{repository}/{snapshot} "
                          "/_snapshot/{repository}/{snapshot}/_status",
            _snapshots(repository=True, snapshot="existing")),
    ("POST", "/_snapshot/{repository}/{snapshot}/_restore"): _restore,
    ("POST", "/_plugins/_sm/policies/{name}"): _sm_policy(existing=False),
    ("PUT", "/_plugins/_sm/policies/{name}"): _sm_policy_update,
    **_each("GET,DELETE", "/_plugins/_sm/policies/{name}", _sm_policy(existing=True)),
    **_each("GET", "/_plugins/_sm/policies/{name}/_explain", _sm_policy(existing=True)),
    **_each("POST", "/_plugins/_sm/policies/{name}/_start /_plugins/_sm/policies/{name}/_stop",
            _sm_policy(existing=True)),
    **_each("POST", "/{alias}/_rollover /{alias}/_rollover/{new_index}", _rollover_alias),
    ("GET", "/_ultrawarm/migration/{index}/_status"): _migrating,
    ("POST", "/_ultrawarm/migration/{index}/_hot"): _warm_index,
    ("POST", "/_ultrawarm/migration/_cancel/{index}"): lambda case, admin, user: (
        admin.post(f"/_ultrawarm/migration/{case.index}/_warm")),
}
#: Entries whose own success is not 2xx: a task id that names no running task, the UI's
#: redirect to its page, ISM's requests that name nothing to act on, a migration that ended
#: before its status or cancel was asked (or, for cancel, was past its switch: 400).
SUCCESS = {("GET", "/_tasks/{task_id}"): (404,), ("GET", "/_dashboards"): (307,),
           # ISM's routes without a policy id or indices: OpenSearch's "Missing ..." 400
           **{(method, f"{prefix}/{path}"): (400,) for prefix in ISM_PREFIXES
              for method, path in (("PUT", "policies"), ("POST", "add"), ("POST", "remove"),
                                   ("POST", "change_policy"), ("POST", "retry"))},
           ("GET", "/_ultrawarm/migration/{index}/_status"): (200, 404),
           ("POST", "/_ultrawarm/migration/_cancel/{index}"): (200, 400, 404)}


def _user(admin: httpx.Client, name: str, role: dict[str, Any] | None) -> None:
    roles = []
    if role is not None:
        assert admin.put(f"{API}/roles/{name}", json=role).status_code in (200, 201)
        roles = [name]
    created = admin.put(f"{API}/internalusers/{name}", json={
        "password": PASSWORD, "opendistro_security_roles": roles})
    assert created.status_code in (200, 201), created.text


class Users:
    """The users of the module: one with the unrelated role, and one per granted set."""

    def __init__(self, server: SecureServer, admin: httpx.Client) -> None:
        self.server = server
        self.admin = admin
        self.made: dict[tuple[tuple[str, ...], tuple[str, ...], str], str] = {}
        _user(admin, "rt-unrelated", UNRELATED)

    def client(self, name: str | None) -> httpx.Client:
        auth = None if name is None else (name, PASSWORD)
        headers = {} if name is None else {"x-rt-user": name}
        return httpx.Client(base_url=self.server.url, auth=auth, timeout=30, headers=headers)

    def granted(self, cluster: tuple[str, ...], index: tuple[str, ...],
                pattern: str = "rt-*") -> str:
        """A user whose role grants these cluster actions, and these index actions on the
        indices ``pattern`` names."""
        key = (cluster, index, pattern)
        name = self.made.get(key)
        if name is None:
            name = self.made[key] = f"rt-user-{len(self.made)}"
            _user(self.admin, name, {
                "cluster_permissions": list(cluster),
                "index_permissions": [{"index_patterns": [pattern],
                                       "allowed_actions": list(index)}] if index else []})
        return name

    def anyone(self) -> str:
        name = f"rt-any-{next(_counter)}"
        _user(self.admin, name, None)
        return name


@pytest.fixture(scope="module")
def users(secure: SecureServer) -> Iterator[Users]:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        assert admin.put(f"/{SHARED}/_doc/1?refresh=true", json={"m": "one"}).status_code == 201
        assert admin.put(f"/{SHARED}/_alias/{ALIAS}").status_code == 200
        yield Users(secure, admin)


def grants(action: str, kind: str, setup: Setup | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cluster and index actions of the role that grants exactly the route: its action,
    a composite request's item action, and what its setup does as the same user (open the
    scroll or point in time it continues or closes, generate the report it reads)."""
    cluster = ((action,) if kind == CLUSTER else ()) + getattr(setup, "cluster_needs", ())
    index = () if kind == CLUSTER else (action,)
    if action in ITEMS:
        index = (ITEMS[action],)
    index = (*index, *getattr(setup, "needs", ()))
    return cluster, tuple(sorted(set(index)))


ENTRIES = sorted(TABLE.items())


def test_every_table_entry_has_a_concrete_request() -> None:
    """A path placeholder without a value fails here, before any request is sent."""
    defaults = {"index", *DEFAULTS}
    for (method, template), _ in ENTRIES:
        names = set(re.findall(r"\{(\w+)\}", template)) - defaults
        assert not names or (method, template) in SETUPS, \
            f"{method} {template}: no concrete request for {sorted(names)}"


#: The HEC collector's routes answer in Splunk's shapes (tests/hec/test_security_on.py).
CHECKED = [key for key, permission in ENTRIES if not permission.hec]


@pytest.mark.parametrize(("method", "template"), CHECKED,
                         ids=[f"{m} {p}" for m, p in CHECKED])
def test_route(users: Users, method: str, template: str) -> None:
    permission = TABLE[method, template]
    setup = SETUPS.get((method, template))
    case = Case(method, template, success=SUCCESS.get((method, template), (200, 201)))
    if permission.kind == PUBLIC:
        with users.client(users.anyone()) as user, users.client(None) as anonymous:
            if setup is not None:
                setup(case, users.admin, user)
            response = case.send(anonymous)
        assert response.status_code in case.success, (response.status_code, response.text)
        return
    if permission.kind in (AUTHENTICATED, UI):
        name = users.anyone()
        with users.client(name) as user, users.client(None) as anonymous:
            if setup is not None:
                setup(case, users.admin, user)
            refused = case.send(anonymous)
            if permission.kind == UI and method == "GET":
                assert refused.status_code == 302, refused.text
                assert refused.headers["location"].startswith("/_dashboards/login?nextUrl=")
            else:
                _assert_challenged(refused)
            response = case.send(user)
        assert response.status_code in case.success, (response.status_code, response.text)
        return
    assert permission.action is not None
    cluster, index = grants(permission.action, permission.kind, setup)
    name = users.granted(cluster, index, ".kibana" if template.startswith(SAVED_OBJECTS)
                         else "rt-*")
    # the same actions on other indices: an index route that names one is refused its name
    elsewhere = users.granted(cluster, index, "elsewhere-*") \
        if permission.kind == INDEX and "{index}" in template else None
    with users.client(name) as user, users.client(None) as anonymous, \
            users.client("rt-unrelated") as unrelated, users.client(elsewhere) as other:
        if "{index}" in template and method not in ("GET", "HEAD"):
            _fresh_index(case, users.admin, user)
        if setup is not None:
            setup(case, users.admin, user)
        _assert_challenged(case.send(anonymous))
        denied = case.send(unrelated)
        assert denied.status_code == 403, (denied.status_code, denied.text)
        if method != "HEAD" and template.startswith(SAVED_OBJECTS):  # Dashboards' body
            assert denied.json()["error"] == "Forbidden"
            assert denied.json()["message"].startswith(f"no permissions for [{permission.action}]")
        elif method != "HEAD":
            error = denied.json()["error"]
            assert error["type"] == "security_exception"
            assert error["reason"].startswith(f"no permissions for [{permission.action}]") or \
                error["reason"].startswith(f"no permissions for [{permission.acting}]"), error
        if elsewhere is not None:
            refused = case.send(other)
            assert refused.status_code == 403, (refused.status_code, refused.text)
        response = case.send(user)
    assert response.status_code in case.success, (response.status_code, response.text)


def _assert_challenged(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["www-authenticate"].startswith('Basic realm="'), response.headers
