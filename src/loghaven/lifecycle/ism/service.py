"""``node.ism``: the ISM API's operations — policies (create, update with ``if_seq_no``/
``if_primary_term``, get, search, delete), add, remove, change_policy, retry, explain — and
``ism_template`` auto-attach when an index is created (highest ``priority`` wins).

Each follows OpenSearch's transport action: the same checks in the same order, the same
``failed_indices`` reasons, and the same response bodies. Managed-index records are only
written here under :meth:`IsmStore.locked`, so a run of the same index never interleaves."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from loghaven import params as url_params
from loghaven.engine.documents_state import now_ms
from loghaven.engine.index_metadata import update_settings
from loghaven.errors import IllegalArgument, LoghavenError, ParsingError, SecurityException
from loghaven.lifecycle.ism.actions import rollover_alias, rollover_precheck, rollover_skip
from loghaven.lifecycle.ism.managed import ManagedIndex, is_failed
from loghaven.lifecycle.ism.policy import (
    CONFIG_SCHEMA_VERSION,
    IndexManagementError,
    action_type,
    parse_policy,
    patterns_overlap,
    safe_to_change,
    template_matches,
)
from loghaven.lifecycle.ism.store import CONFIG_INDEX, IsmStore
from loghaven.security import access, context

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.index import Index
    from loghaven.security.service import SecurityService

log = logging.getLogger("loghaven.lifecycle")

#: The index action OpenSearch checks per index before managing it (``ManagedIndexAction``).
MANAGE_ACTION = "indices:admin/opensearch/ism/managedindex"
#: ``plugins.index_state_management.restricted_index_pattern``'s default.
RESTRICTED = re.compile(r"\.opendistro_security|\.kibana.*|\.opendistro-ism-config")
POLICY_ID_KEYS = ("index.plugins.index_state_management.policy_id",
                  "index.opendistro.index_state_management.policy_id")
AUTO_MANAGE_KEYS = ("index.plugins.index_state_management.auto_manage",
                    "index.opendistro.index_state_management.auto_manage")
#: ``SearchParams`` defaults (``getSearchParams``).
DEFAULT_SIZE = 20
NOT_MANAGED = "This index is not being managed"


class StatusError(LoghavenError):
    """``OpenSearchStatusException``: a message and a status, rendered as ``status_exception``."""

    type = "status_exception"


class IsmService:
    def __init__(self, store: IsmStore, catalog: Catalog,
                 security: SecurityService | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.security = security

    def start(self) -> None:
        """Listen for index creation (``ism_template`` auto-attach)."""
        self.catalog.add_creation_listener(self.on_index_created)

    # --- policies ------------------------------------------------------------------------

    def put_policy(self, policy_id: str, body: dict[str, Any], *,
                   if_seq_no: int | None = None,
                   if_primary_term: int | None = None) -> tuple[int, dict[str, Any]]:
        """(201 created or 200 updated, ``IndexPolicyResponse``): the policy as sent, under
        ``policy.policy``; the stored copy carries the config schema version."""
        if not policy_id:
            raise IllegalArgument("Missing policy ID")
        policy = parse_policy(policy_id, body, now_ms=now_ms())
        if policy["ism_template"]:
            self._check_templates(policy_id, policy["ism_template"])
        created, record = self.store.put_policy(
            policy_id, {**policy, "schema_version": CONFIG_SCHEMA_VERSION},
            if_seq_no=if_seq_no, if_primary_term=if_primary_term,
            user=context.acting_user() if self.security and self.security.enabled else None)
        return (201 if created else 200), {
            "_id": policy_id, "_version": record["_version"],
            "_primary_term": record["_primary_term"], "_seq_no": record["_seq_no"],
            "policy": {"policy": policy}}

    def _check_templates(self, policy_id: str, templates: list[dict[str, Any]]) -> None:
        """No two templates of equal priority may match one index: within the policy, and
        against every other policy's templates."""
        for position, template in enumerate(templates):
            others = [p for t in templates[position + 1:]
                      if t["priority"] == template["priority"] for p in t["index_patterns"]]
            if others and patterns_overlap(template["index_patterns"], others):
                raise IndexManagementError(
                    f"New policy {policy_id} has an ISM template with index pattern "
                    f"{_list(template['index_patterns'])} matching this policy's other ISM "
                    f"templates with index patterns {_list(others)}, please use different "
                    f"priority")
        existing = [t for record in self.store.policies() if record["_id"] != policy_id
                    for t in record["policy"].get("ism_template") or ()]
        for template in templates:
            if any(t["priority"] == template["priority"]
                   and patterns_overlap(template["index_patterns"], t["index_patterns"])
                   for t in existing):
                raise IndexManagementError(
                    f"New policy {policy_id} has an ISM template with index pattern "
                    f"{_list(template['index_patterns'])} matching existing policy templates, "
                    f"please use a different priority than {template['priority']}")

    def get_policy(self, policy_id: str) -> dict[str, Any]:
        record = self.store.get_policy(policy_id)
        if record is None:
            raise StatusError("Policy not found", status=404)
        return {"_id": policy_id, "_version": record["_version"], "_seq_no": record["_seq_no"],
                "_primary_term": record["_primary_term"], "policy": record["policy"]}

    def search_policies(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET _plugins/_ism/policies``: ``queryString`` on the policy id (a query string
        on ``policy.policy_id.keyword``: terms with ``*``/``?`` wildcards, all required),
        sorted by ``sortField`` (``policy.policy_id.keyword`` by default) and paged."""
        size, start, sort_field, descending, query = _search_params(
            params, "policy.policy_id.keyword")
        records = [r for r in self.store.policies() if url_params.matches_query_string(query, r["_id"])]
        field = sort_field.removeprefix("policy.").removesuffix(".keyword")
        records.sort(key=lambda r: _sort_key(r["policy"].get(field)), reverse=descending)
        return {"policies": [{"_id": r["_id"], "_seq_no": r["_seq_no"],
                              "_primary_term": r["_primary_term"], "policy": r["policy"]}
                             for r in records[start:start + size]],
                "total_policies": len(records)}

    def delete_policy(self, policy_id: str) -> dict[str, Any]:
        deleted = self.store.delete_policy(policy_id)
        if deleted is None:
            raise StatusError(f"Policy {policy_id} is not found", status=404)
        return {"_index": CONFIG_INDEX, "_id": policy_id, "_version": deleted["_version"],
                "result": "deleted", "forced_refresh": True,
                "_shards": {"total": 2, "successful": 1, "failed": 0},
                "_seq_no": deleted["_seq_no"], "_primary_term": deleted["_primary_term"]}

    # --- managed indices -----------------------------------------------------------------

    def add(self, indices: str, body: dict[str, Any]) -> dict[str, Any]:
        """Attach ``policy_id`` to each index of ``indices`` that the caller may manage and
        that has no policy yet."""
        _require(indices, "Missing indices")  # the REST handler's checks come first
        policy_id = body.get("policy_id")
        if policy_id is None:
            raise IllegalArgument("Missing policy_id")
        policy_id = url_params.expect_string(policy_id, "policy_id", "add_policy")
        failed: list[dict[str, Any]] = []
        targets = [i for i in self._resolve(indices) if self._may_manage(i)]
        if not targets:
            return _status(0, failed)
        targets = self._open(targets, failed)
        record = self.store.get_policy(policy_id)
        if record is None:
            raise StatusError(f"Could not find policy={policy_id}", status=404)
        now = now_ms()
        added: list[ManagedIndex] = []
        for index in targets:
            if RESTRICTED.fullmatch(index.name):
                failed.append(_failure(index, "Matches restricted index pattern defined in the "
                                              "cluster setting"))
                continue
            with self.store.locked(index.uuid):
                if self.store.managed(index.uuid) is not None:
                    failed.append(_failure(index, "This index already has a policy, use the "
                                                  "update policy API to update index policies"))
                    continue
                managed = _new_managed(index, record, now)
                self.store.put_managed(managed)
                added.append(managed)
        return _status(len(added), failed)

    def remove(self, indices: str) -> dict[str, Any]:
        """Detach the policy of each index, and set its ``auto_manage`` to false so that no
        ISM template attaches one again."""
        failed: list[dict[str, Any]] = []
        targets = self._open(self._check_manage(self._resolve(indices)), failed)
        removed: list[Index] = []
        for index in targets:
            with self.store.locked(index.uuid):
                if self.store.managed(index.uuid) is None:
                    failed.append(_failure(index, "This index does not have a policy to remove"))
                    continue
                self.store.delete_managed(index.uuid)
                removed.append(index)
        if removed:
            update_settings(self.catalog, removed, {AUTO_MANAGE_KEYS[0]: "false"})
        return _status(len(removed), failed)

    def change_policy(self, indices: str, body: dict[str, Any]) -> dict[str, Any]:
        """Record a policy change on each managed index (in an ``include`` state, if given),
        for the runner to apply at a safe point: at once if the current state's actions are
        unchanged (``is_safe``), else once the state's actions are done."""
        _require(indices, "Missing index")
        change = _parse_change_policy(body)
        targets = self._check_manage(self._resolve(indices, "Missing index"))
        record = self.store.get_policy(change["policy_id"])
        if record is None:  # looked up before the managed indices, as OpenSearch does
            raise StatusError(f"Could not find policy={change['policy_id']}", status=404)
        included = {f["state"] for f in change["include"]}
        failed: list[dict[str, Any]] = []
        updated = 0
        for index in targets:
            with self.store.locked(index.uuid):
                managed = self.store.managed(index.uuid)
                if managed is None:
                    failed.append(_failure(index, NOT_MANAGED))
                    continue
                current = managed.state["name"] if managed.state else None
                if managed.transition_to is not None:
                    failed.append(_failure(index, "Cannot change policy while transitioning to "
                                                  "new state"))
                    continue
                if current is not None and included and current not in included:
                    continue  # not in one of the include states: left as it is
                managed.change_policy = {
                    "policy_id": change["policy_id"], "state": change["state"],
                    "include": change["include"],
                    "is_safe": safe_to_change(managed.policy, current, record["policy"],
                                               change["state"])}
                self.store.put_managed(managed)
                updated += 1
        return _status(updated, failed)

    def retry(self, indices: str, body: dict[str, Any] | None) -> dict[str, Any]:
        """Re-enable each failed managed index at its failed action (or at ``state``)."""
        state = (body or {}).get("state")
        if state is not None and not isinstance(state, str):
            raise IllegalArgument(f"class {type(state).__name__} cannot be cast to class "
                                  f"java.lang.String")
        failed: list[dict[str, Any]] = []
        updated = 0
        for index in self._check_manage(self._resolve(indices)):
            with self.store.locked(index.uuid):
                managed = self.store.managed(index.uuid)
                if managed is None:
                    failed.append(_failure(index, NOT_MANAGED + "."))
                elif not initialized(managed):
                    failed.append(_failure(index, "This index has no metadata information"))
                elif not is_failed(managed):
                    failed.append(_failure(index, "This index is not in failed state."))
                else:
                    managed.enabled = True
                    managed.step = None
                    managed.retry_info = {"failed": False, "consumed_retries": 0}
                    if managed.action is not None:
                        managed.action = {**managed.action, "failed": False,
                                          "consumed_retries": 0, "last_retry_time": None,
                                          "start_time": None}
                    managed.transition_to = state
                    managed.info = {"message": "Pending retry of failed managed index"}
                    self.store.put_managed(managed)
                    updated += 1
        return _status(updated, failed)

    def explain(self, indices: str | None, params: dict[str, str],
                body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET|POST _plugins/_ism/explain[/<indices>]``: every index named (managed or
        not), or without indices every managed one (paged by ``from``/``size``, sorted by
        ``sortField``, filtered by ``queryString`` on its name); ``show_policy`` adds the
        policy the index follows, ``validate_action`` whether its next action could run;
        POST's ``filter`` keeps the indices of a ``policy_id``, ``state``, ``action_type``
        or ``failed``."""
        show_policy = url_params.param_bool(params, "show_policy")
        validate = url_params.param_bool(params, "validate_action")
        explain_filter = _parse_explain_filter(body) if body is not None else None
        size, start, sort_field, descending, query = _search_params(params, "managed_index.index")
        records = {m.index_uuid: m for m in self.store.all_managed()}
        if indices:  # the indices the caller may not manage are left out, as OpenSearch does
            names = sorted((i for i in self._resolve(indices) if self._may_manage(i)),
                           key=lambda i: i.name)
            entries = [(i, records.get(i.uuid)) for i in names]
            total = sum(1 for _, m in entries if m is not None)
        else:
            live = {i.uuid: i for i in self.catalog.indices.values()}
            entries = [(live[u], m) for u, m in records.items()
                       if u in live and url_params.matches_query_string(query, m.index)
                       and self._may_manage(live[u])]
            field = sort_field.removeprefix("managed_index.").removesuffix(".keyword")
            entries.sort(key=lambda e: _sort_key(getattr(e[1], field, e[1].index)),
                         reverse=descending)
            total = len(entries)
        if explain_filter is not None:
            kept = [(i, m) for i, m in entries if m is None or _filter_keeps(explain_filter, m)]
            total -= len(entries) - len(kept)
            entries = kept
        if not indices:
            entries = entries[start:start + size]
        out: dict[str, Any] = {}
        for index, managed in entries:
            out[index.name] = self._explain_one(index, managed, show_policy, validate)
        out["total_managed_indices"] = total
        return out

    def _explain_one(self, index: Index, managed: ManagedIndex | None, show_policy: bool,
                     validate: bool) -> dict[str, Any]:
        policy_id = managed.policy_id if managed else None
        entry: dict[str, Any] = {POLICY_ID_KEYS[0]: policy_id, POLICY_ID_KEYS[1]: policy_id}
        if managed is not None:
            entry.update(explain_metadata(managed))
        entry["enabled"] = managed.enabled if managed else None
        if managed is not None and show_policy:
            entry["policy"] = managed.policy
        if validate:
            entry["validate"] = self._validate(index, managed)
        return entry

    def _validate(self, index: Index, managed: ManagedIndex | None) -> dict[str, Any]:
        """OpenSearch's ``ActionValidation`` of the action the index runs next (passed
        unless a rollover could not run: no alias setting, no alias, not the write index)."""
        action = _next_action(managed) if managed is not None and initialized(managed) \
            else "nothing"
        name = index.name
        status, message = "passed", _PASSED.get(action, "Starting Validation")
        if action == "rollover":
            status, message = self._validate_rollover(index)
        return {"validation_message": message.format(index=name),
                "validation_status": status}

    def _validate_rollover(self, index: Index) -> tuple[str, str]:
        if rollover_skip(index):
            return "passed", "Skipped rollover action for [index={index}]"
        alias = rollover_alias(index)
        if alias is None:
            return "re_validating", "Missing rollover_alias index setting [index={index}]"
        problem = rollover_precheck(self.catalog, index.name, alias)
        if problem == "missing":
            return "re_validating", "Missing alias when rollover [index={index}]"
        if problem == "not_write":
            return "re_validating", "Not the write index when rollover [index={index}]"
        return "passed", "Rollover validation passed for [index={index}]"

    # --- ism_template ----------------------------------------------------------------------

    def on_index_created(self, index: Index) -> None:
        """Attach the policy whose ISM template matches the new index with the highest
        priority, among templates last updated before the index was created, if the policy's
        author may manage the index. Not when the index's ``auto_manage`` is false, nor for a
        hidden or dot-prefixed index (OpenSearch manages those only as data stream backing
        indices, which Loghaven has not), nor a restricted one."""
        flat = index.settings.flat
        if any(flat.get(k) == "false" for k in AUTO_MANAGE_KEYS) \
                or RESTRICTED.fullmatch(index.name) \
                or flat.get("index.hidden") == "true" or index.name.startswith("."):
            return
        created = int(flat.get("index.creation_date", now_ms()))
        best: tuple[int, dict[str, Any]] | None = None
        for record in sorted(self.store.policies(), key=lambda r: r["_id"]):
            for template in record["policy"].get("ism_template") or ():
                patterns = template["index_patterns"]
                if template["last_updated_time"] >= created \
                        or not template_matches(patterns, index.name):
                    continue
                if best is None or template["priority"] > best[0]:
                    best = (template["priority"], record)
        if best is None or not self._author_may_manage(best[1], index):
            return
        with self.store.locked(index.uuid):
            if self.store.managed(index.uuid) is None:
                self.store.put_managed(_new_managed(index, best[1], now_ms()))
                log.info("index [%s] matched ISM policy template and will be managed by %s",
                         index.name, best[1]["_id"])

    def _author_may_manage(self, record: dict[str, Any], index: Index) -> bool:
        """Whether the user who wrote the policy may manage ``index`` (OpenSearch checks
        ``ManagedIndexAction`` as the policy's ``user`` before attaching it); a policy
        written with security off attaches as the node. A deleted author manages nothing."""
        if self.security is None:
            return True
        try:
            author = self.security.owner_subject(record.get("user"))
        except LoghavenError:
            log.warning("ISM policy %s was written by a user who no longer exists: its ISM "
                        "template does not attach it to [%s]", record["_id"], index.name)
            return False
        allowed = author.privileges.allows_index(MANAGE_ACTION, index.name,
                                                 self.catalog.aliases_of(index.name))
        if not allowed:
            log.info("index [%s] matched the ISM template of policy %s, whose author may not "
                     "manage it: not attached", index.name, record["_id"])
        return allowed

    # --- helpers -------------------------------------------------------------------------

    def _may_manage(self, index: Index) -> bool:
        """Whether the caller holds ``ManagedIndexAction`` on the index (or an alias of
        it)."""
        return access.allows(index.name, MANAGE_ACTION, self.catalog.aliases_of(index.name))

    def _check_manage(self, targets: list[Index]) -> list[Index]:
        """``targets`` when the caller may manage each; else OpenSearch's 403 for the
        whole request (remove, change_policy and retry check ``ManagedIndexAction`` on the
        request's indices before anything else)."""
        for index in targets:
            try:
                access.check(index.name, MANAGE_ACTION, self.catalog.aliases_of(index.name))
            except SecurityException as exc:
                raise StatusError(f"User doesn't have required index permissions on one or "
                                  f"more requested indices: {exc.reason}", status=403) from exc
        return targets

    def _resolve(self, indices: str, missing: str = "Missing indices") -> list[Index]:
        """The indices an ISM request names (``IndicesOptions.strictExpand``: wildcards over
        open and closed indices, a missing name is 404); none: 400 ``missing``."""
        return [t.index for t in self.catalog.resolve(
            _require(indices, missing), expand_wildcards="open,closed",
            include_closed_error=False, include_failed=True)]

    @staticmethod
    def _open(targets: list[Index], failed: list[dict[str, Any]]) -> list[Index]:
        """The open ones; each closed one fails with OpenSearch's reason."""
        for index in targets:
            if index.state == "close":
                failed.append(_failure(index, "This index is closed"))
        return [index for index in targets if index.state != "close"]


# --- managed-index records ---------------------------------------------------------------

def _new_managed(index: Index, record: dict[str, Any], now: int) -> ManagedIndex:
    return ManagedIndex(
        index=index.name, index_uuid=index.uuid, policy_id=record["_id"],
        policy=record["policy"], policy_seq_no=record["_seq_no"],
        policy_primary_term=record["_primary_term"], enabled=True,
        index_creation_date=int(index.settings.flat.get("index.creation_date", now)),
        enabled_time=now)


def initialized(managed: ManagedIndex) -> bool:
    """Whether a run has written the index's metadata (OpenSearch's ManagedIndexMetaData):
    before, explain shows only the index, its uuid and its policy."""
    return managed.state is not None or managed.transition_to is not None \
        or managed.action is not None or bool(managed.info) \
        or getattr(managed, "policy_completed", False)


def explain_metadata(managed: ManagedIndex) -> dict[str, Any]:
    """``ManagedIndexMetaData.toXContent``, field by field as explain shows it."""
    out: dict[str, Any] = {"index": managed.index, "index_uuid": managed.index_uuid,
                           "policy_id": managed.policy_id}
    if not initialized(managed):
        return out
    out["policy_seq_no"] = managed.policy_seq_no
    out["policy_primary_term"] = managed.policy_primary_term
    if managed.rolled_over or (managed.action or {}).get("name") == "rollover":
        out["rolled_over"] = managed.rolled_over
        if managed.rolled_over_index_name is not None:
            out["rolled_over_index_name"] = managed.rolled_over_index_name
    out["index_creation_date"] = managed.index_creation_date
    if getattr(managed, "policy_completed", False):
        out["policy_completed"] = True
        return out
    if managed.transition_to is not None:
        out["transition_to"] = managed.transition_to
    else:
        for key in ("state", "action", "step"):
            value = getattr(managed, key)
            if value is not None:
                out[key] = value
    out["retry_info"] = managed.retry_info
    if managed.info:
        out["info"] = managed.info
    return out


def _next_action(managed: ManagedIndex) -> str:
    """The action the index runs next (or ``transition``), as far as its record tells."""
    state_name = managed.transition_to or (managed.state or {}).get("name")
    state = next((s for s in managed.policy.get("states", []) if s["name"] == state_name),
                 None)
    if state is None:
        return "nothing"
    if managed.transition_to is not None or managed.action is None:
        return action_type(state["actions"][0]) if state["actions"] else "transition"
    return str(managed.action.get("name") or "nothing")


_PASSED = {
    "delete": "Delete validation passed for [index={index}]",
    "force_merge": "Force merge validation passed for [index={index}]",
    "read_only": "validate_read_only action validation passed for [index={index}]",
    "read_write": "read_write validation passed for [index={index}]",
    "index_priority": "Index Priority action validation passed for [index={index}]",
    "snapshot": "Snapshot action validation passed for [index={index}]",
    "transition": "Transition action validation passed for [index={index}]",
}


# --- request bodies and parameters --------------------------------------------------------

def _parse_change_policy(body: dict[str, Any]) -> dict[str, Any]:
    """``ChangePolicy.parse``."""
    policy_id: str | None = None
    state: str | None = None
    include: list[dict[str, str]] = []
    for key, value in body.items():
        if key == "policy_id":
            policy_id = url_params.expect_string(value, key, "change_policy")
        elif key == "state":
            state = None if value is None else url_params.expect_string(value, key,
                                                                        "change_policy")
        elif key == "include":
            for item in url_params.expect_list(value, key, "change_policy"):
                include.append({"state": _state_filter(item)})
        elif key == "is_safe":
            url_params.parse_bool(value, key)  # set by the server, never by the request
        elif key == "user":
            pass
        else:
            raise IllegalArgument(f"Invalid field: [{key}] found in ChangePolicy.")
    if policy_id is None:
        raise IllegalArgument("ChangePolicy policy id is null")
    return {"policy_id": policy_id, "state": state, "include": include}


def _state_filter(item: Any) -> str:
    item = url_params.expect_object(item, "include", "change_policy")
    state: str | None = None
    for key, value in item.items():
        if key != "state":
            raise IllegalArgument(f"Invalid field: [{key}] found in StateFilter.")
        state = url_params.expect_string(value, key, "include")
    if state is None:
        raise IllegalArgument("StateFilter state is null")
    return state


def _parse_explain_filter(body: dict[str, Any]) -> dict[str, Any]:
    """``ExplainFilter.parse``: ``{"filter": {"policy_id", "state", "action_type",
    "failed"}}``."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key != "filter":
            raise ParsingError(f"Invalid field: [{key}] found in ExplainFilter.")
        for name, item in url_params.expect_object(value, "filter", "explain").items():
            if name in ("policy_id", "state", "action_type"):
                out[name] = url_params.expect_string(item, name, "filter")
            elif name == "failed":
                out[name] = url_params.parse_bool(item, name)
            else:
                raise ParsingError(f"Invalid field: [{name}] found in ExplainFilter.")
    return out


def _filter_keeps(explain_filter: dict[str, Any], managed: ManagedIndex) -> bool:
    if "policy_id" in explain_filter and managed.policy_id != explain_filter["policy_id"]:
        return False
    if not initialized(managed):
        return True  # OpenSearch filters the indices with metadata only
    if "state" in explain_filter and (managed.state or {}).get("name") != \
            explain_filter["state"]:
        return False
    if "action_type" in explain_filter and (managed.action or {}).get("name") != \
            explain_filter["action_type"]:
        return False
    return "failed" not in explain_filter or is_failed(managed) == explain_filter["failed"]


def _search_params(params: dict[str, str],
                   default_sort: str) -> tuple[int, int, str, bool, str]:
    """``getSearchParams``: size (20), from (0), sortField, sortOrder (asc), queryString."""
    start, size = url_params.param_page(params, DEFAULT_SIZE)
    desc = url_params.param_sort_desc(params, "sortOrder")
    return size, start, params.get("sortField", default_sort), desc, \
        params.get("queryString", "*")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None else (0, value if isinstance(value, (int, float))
                                          else str(value))


def _require(indices: str, missing: str) -> str:
    """A comma list of names without its empty parts; none at all: 400 ``missing``."""
    names = [n for n in indices.split(",") if n]
    if not names:
        raise IllegalArgument(missing)
    return ",".join(names)


def _failure(index: Index, reason: str) -> dict[str, Any]:
    return {"index_name": index.name, "index_uuid": index.uuid, "reason": reason}


def _status(updated: int, failed: list[dict[str, Any]]) -> dict[str, Any]:
    """``ISMStatusResponse``."""
    return {"updated_indices": updated, "failures": bool(failed), "failed_indices": failed}


def _list(items: list[str]) -> str:
    """A Kotlin list as its ``toString`` shows it: ``[a, b]``."""
    return f"[{', '.join(items)}]"
