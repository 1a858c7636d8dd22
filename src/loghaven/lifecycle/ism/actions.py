"""ISM's actions as OpenSearch's Index Management plugin runs them: each action is a fixed
sequence of named steps (``attempt_rollover``; ``attempt_set_read_only``,
``attempt_call_force_merge``, ``wait_for_force_merge``; ...), and each step reports a status
(``completed``, ``condition_not_met``, ``failed``) with OpenSearch's info messages. Steps act
through the node's services (IsmContext), never over HTTP. A step cut short by kill -9 runs
again and finds what it started outside instead of starting another: a snapshot by the name
checkpointed in ``action_data`` before it starts, a rollover by the alias writing elsewhere,
a migration by its index. The notification step is the exception: a message sent just
before a kill is sent again (at least once, as OpenSearch's)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loghaven.alerting.inputs import render
from loghaven.engine import index_metadata, merge
from loghaven.engine.aliases import update as update_aliases
from loghaven.engine.blocks import WRITE
from loghaven.engine.index import Index
from loghaven.engine.rollover import rollover
from loghaven.errors import LoghavenError
from loghaven.lifecycle.ism.conditions import (
    IndexFacts,
    rollover_holds,
    rollover_report,
    transition_holds,
)
from loghaven.lifecycle.ism.context import IsmContext
from loghaven.lifecycle.ism.managed import ManagedIndex
from loghaven.lifecycle.migration import HOT_TO_WARM, WarmMigrations
from loghaven.notify import channels, legacy
from loghaven.notify.message import Message
from loghaven.notify.senders import webhook

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog

log = logging.getLogger("loghaven.ism")

COMPLETED = "completed"
CONDITION_NOT_MET = "condition_not_met"
FAILED = "failed"
STARTING = "starting"
TIMED_OUT = "timed_out"

#: The pseudo-action that evaluates a state's transitions once its actions are done.
TRANSITION = "transition"
#: The index settings that name the rollover alias, and that skip the rollover action
#: (OpenSearch's and Open Distro's).
ROLLOVER_ALIAS = ("index.plugins.index_state_management.rollover_alias",
                  "index.opendistro.index_state_management.rollover_alias")
ROLLOVER_SKIP = ("index.plugins.index_state_management.rollover_skip",
                 "index.opendistro.index_state_management.rollover_skip")
#: The title of the notification action's messages (OpenSearch's ``CHANNEL_TITLE``).
NOTIFICATION_TITLE = "Index Management-ISM-Notification Action"
#: Every action's steps, in order, by OpenSearch's step names (warm_migration is Amazon
#: OpenSearch Service's action; its two steps are named in OpenSearch's pattern).
ACTION_STEPS: dict[str, tuple[str, ...]] = {
    "rollover": ("attempt_rollover",),
    "warm_migration": ("attempt_warm_migration", "wait_for_warm_migration"),
    "read_only": ("set_read_only",),
    "read_write": ("set_read_write",),
    "force_merge": ("attempt_set_read_only", "attempt_call_force_merge",
                    "wait_for_force_merge"),
    "index_priority": ("attempt_set_index_priority",),
    "delete": ("attempt_delete",),
    "snapshot": ("attempt_snapshot", "wait_for_snapshot"),
    "notification": ("attempt_notification",),
    TRANSITION: ("attempt_transition_step",),
}


@dataclass
class StepRun:
    """One execution of one step: the action's configuration and the record it advances."""

    context: IsmContext
    managed: ManagedIndex
    #: The action's own object (``{"min_doc_count": 5}`` of ``{"rollover": {...}}``).
    config: dict[str, Any]
    now_ms: int
    #: Writes the record as it is now (``action_data`` included): a step calls it after
    #: naming what it is about to start outside, before starting it.
    checkpoint: Callable[[], None]

    @property
    def index_name(self) -> str:
        return self.managed.index

    @property
    def data(self) -> dict[str, Any]:
        return self.managed.action_data

    def index(self) -> Index:
        return self.context.catalog.get(self.managed.index)


@dataclass
class StepResult:
    status: str
    info: dict[str, Any]
    #: For the transition step: the state chosen, or the policy completed.
    transition_to: str | None = None
    policy_completed: bool = False
    #: For the rollover step: the new write index.
    rolled_over_index: str | None = None
    #: For the delete step: the index is gone, and so is its record.
    deleted: bool = False


def failed(message: str, error: Exception | None = None, **more: Any) -> StepResult:
    info: dict[str, Any] = {"message": message, **more}
    if error is not None:
        info["cause"] = error.reason if isinstance(error, LoghavenError) else str(error)
    return StepResult(FAILED, info)


def index_facts(context: IsmContext, managed: ManagedIndex, now_ms: int, *,
                step_start_time: int = 0) -> IndexFacts:
    """The index's age, documents and primary store size, as conditions compare them."""
    index = context.catalog.get(managed.index)
    creation = managed.index_creation_date or int(
        index.settings.flat.get("index.creation_date") or -1)
    state_start = (managed.state or {}).get("start_time")
    return IndexFacts(now_ms=now_ms, creation_date=creation, doc_count=index.doc_count(),
                      size_bytes=index.size_bytes(), rollover_time=managed.rolled_over_time,
                      step_start_time=step_start_time, state_start_time=state_start,
                      aliases=len(context.catalog.aliases.get(managed.index, {})))


def template_context(managed: ManagedIndex) -> dict[str, Any]:
    """``ctx`` of the Mustache templates: the managed index's metadata as OpenSearch's
    ``ManagedIndexMetaData.convertToMap`` gives it."""
    return {"index": managed.index, "index_uuid": managed.index_uuid,
            "policy_id": managed.policy_id, "policy_seq_no": managed.policy_seq_no,
            "policy_primary_term": managed.policy_primary_term,
            "rolled_over": managed.rolled_over, "index_creation_date": managed.index_creation_date,
            "transition_to": managed.transition_to, "state": managed.state,
            "action": managed.action, "step": managed.step, "retry_info": managed.retry_info,
            "info": managed.info}


def send_notification(context: IsmContext, target: dict[str, Any], managed: ManagedIndex,
                      title: str) -> None:
    """Render ``target``'s ``message_template`` over the managed index and deliver it through
    its ``channel`` (a notifications channel id) or legacy ``destination`` (``slack``,
    ``chime``, ``custom_webhook``); raises with the delivery's error when it is refused."""
    template = target.get("message_template") or {}
    source = template.get("source", "") if isinstance(template, dict) else str(template)
    text = render(source, {"ctx": template_context(managed)})
    channel = target.get("channel")
    if channel:
        delivery = context.notifications.send(str(channel["id"]), Message(title, text),
                                              event_source={"title": title,
                                                            "reference_id": managed.index,
                                                            "severity": "info", "tags": []})
        if not delivery.ok:
            raise RuntimeError(f"[{delivery.status_code}] {delivery.status_text}")
        return
    destination = target.get("destination") or {}
    kinds = [kind for kind in ("slack", "chime", "custom_webhook") if kind in destination]
    if not kinds:
        raise ValueError("a notification needs a channel or a destination")
    config = channels.parse_config(
        {**legacy.channel_config({"type": kinds[0], kinds[0]: destination[kinds[0]]}),
         "name": f"ISM {kinds[0]}"}, vendor_check=False)
    config_type = config["config_type"]
    outcome = webhook.send(config_type, config[config_type], Message(None, text),
                           context.notifications.timeout)
    if not outcome.ok:
        raise RuntimeError(f"[{outcome.status_code}] {outcome.status_text}")


# --- rollover -------------------------------------------------------------------------------

def rollover_skip(index: Index) -> bool:
    """``getRolloverSkip``: the index's ``rollover_skip`` setting (either prefix)."""
    return any(str(index.settings.flat.get(key, "false")).lower() == "true"
               for key in ROLLOVER_SKIP)


def rollover_alias(index: Index) -> str | None:
    """``getRolloverAlias``: the index's ``rollover_alias`` setting (either prefix)."""
    return next((index.settings.flat[key] for key in ROLLOVER_ALIAS
                 if index.settings.flat.get(key)), None)


def rollover_precheck(catalog: Catalog, name: str, alias: str) -> str | None:
    """``preCheckIndexAlias``: None when the index may roll ``alias`` over, else why not:
    ``"missing"`` (it does not hold the alias) or ``"not_write"`` (not its write index,
    and the alias has other indices)."""
    props = catalog.aliases.get(name, {}).get(alias)
    if props is None:
        return "missing"
    holders = sum(1 for held in catalog.aliases.values() if alias in held)
    return "not_write" if props.get("is_write_index") is not True and holders > 1 else None


def attempt_rollover(run: StepRun) -> StepResult:
    name = run.index_name
    index = run.index()
    if rollover_skip(index):
        return StepResult(COMPLETED, {"message": f"Skipped rollover action for [index={name}]"})
    alias = rollover_alias(index)
    if not alias:
        return failed(f"Missing rollover_alias index setting [index={name}]")
    writer = write_index(run.context, alias)
    # a run cut short after the switch: the alias writes elsewhere now
    cut_short = run.data.get("rolling_over") and writer not in (None, name)
    if run.data.get("new_index") or cut_short \
            or _rolled_over_elsewhere(run.context, name, alias):
        if cut_short and run.config.get("copy_alias"):  # the copy may not have happened
            _copy_aliases(run.context, name, str(writer), alias)
        return StepResult(COMPLETED, {
            "message": "This index has already been rolled over using this alias, treating "
                       f"as a success [index={name}, alias={alias}]"},
            rolled_over_index=run.data.get("new_index") or (writer if cut_short else None))
    if rollover_precheck(run.context.catalog, name, alias) is not None:
        return failed(f"Missing alias or not the write index when rollover [index={name}]")
    facts = index_facts(run.context, run.managed, run.now_ms)
    report = rollover_report(run.config, facts)
    if not rollover_holds(run.config, facts):
        return StepResult(CONDITION_NOT_MET, {
            "message": f"Pending rollover of index [index={name}]", "conditions": report})
    if run.config.get("prevent_empty_rollover") and facts.doc_count == 0:
        return StepResult(CONDITION_NOT_MET, {
            "message": f"Prevented empty rollover of index [index={name}]",
            "conditions": report})
    run.data["rolling_over"] = True  # a run cut short after the switch finds it done
    run.checkpoint()
    try:
        response = rollover(run.context.catalog, alias, None)
    except Exception as error:  # the engine's refusal is the step's failure
        run.data.pop("rolling_over", None)  # nothing switched: the retry rolls over again
        return failed(f"Failed to rollover index [index={name}]", error,
                      **({"conditions": report} if report else {}))
    info: dict[str, Any] = {"message": f"Successfully rolled over index [index={name}]"}
    if report:
        info["conditions"] = report
    run.data["new_index"] = response.get("new_index")
    if run.config.get("copy_alias"):
        try:
            _copy_aliases(run.context, name, str(response.get("new_index")), alias)
        except Exception as error:  # rolled over; the retry finds it done and copies again
            run.data.pop("new_index")
            return failed(f"Failed to copy aliases to the rolled over index [index={name}]",
                          error)
    return StepResult(COMPLETED, info, rolled_over_index=response.get("new_index"))


def _copy_aliases(context: IsmContext, old: str, new: str, alias: str) -> None:
    """``copy_alias``: the old index's other aliases (filter, routing, hidden flag; not
    which is the write index) onto the new one."""
    actions = [{"add": {"index": new, "alias": name,
                        **{k: v for k, v in props.items() if k != "is_write_index"}}}
               for name, props in context.catalog.aliases.get(old, {}).items() if name != alias]
    if actions:
        update_aliases(context.catalog, actions)


def write_index(context: IsmContext, alias: str) -> str | None:
    """The index ``alias`` writes to now (the catalog's answer to a write); None when it
    has none."""
    try:
        return context.catalog.write_index(alias, auto_create=False).name
    except LoghavenError:
        return None


def _rolled_over_elsewhere(context: IsmContext, name: str, alias: str) -> bool:
    """This index holds ``alias`` no longer as its write index while another one does: a
    rollover of it happened (by a run cut short before its record, or by hand)."""
    props = context.catalog.aliases.get(name, {}).get(alias)
    if props is None or props.get("is_write_index") is not False:
        return False
    return any(aliases.get(alias, {}).get("is_write_index")
               for other, aliases in context.catalog.aliases.items() if other != name)


# --- warm migration ---------------------------------------------------------------------------

def attempt_warm_migration(run: StepRun) -> StepResult:
    """Start UltraWarm's migration, unless the index is warm or its move there is under way
    already: a run cut short after starting it (kill -9 before the step's record) finds the
    migration by the index's name (UltraWarm keeps one per index), so no name needs to be
    checkpointed before it starts, and goes on waiting for it."""
    name = run.index_name
    migrations = run.context.migrations
    if not run.data.get("migration_started"):
        try:
            if migrations.tier(name) != "warm" and not _migrating_to_warm(migrations, name):
                migrations.migrate(name, "warm")
        except Exception as error:
            return failed(f"Failed to start warm migration [index={name}]", error)
        run.data["migration_started"] = True
    return StepResult(COMPLETED, {"message": f"Successfully started warm migration "
                                             f"[index={name}]"})


def _migrating_to_warm(migrations: WarmMigrations, name: str) -> bool:
    """A HOT_TO_WARM migration of the index is queued or running (not failed: UltraWarm's
    ``_warm`` again resumes a failed one)."""
    try:
        status = migrations.status(name).get("migration_status") or {}
    except LoghavenError as error:
        if error.status == 404:
            return False
        raise
    return status.get("migration_type") == HOT_TO_WARM \
        and "FAILED" not in str(status.get("state") or "")


def wait_for_warm_migration(run: StepRun) -> StepResult:
    name = run.index_name
    migrations = run.context.migrations
    try:
        status = migrations.status(name).get("migration_status") or {}
    except LoghavenError as error:
        if error.status != 404:
            return failed(f"Failed to get status of warm migration [index={name}]", error)
        status = {}
    state = str(status.get("state") or "")
    if "FAILED" in state and run.data.pop("migration_failed", False):
        try:  # the retry of a failed wait: UltraWarm's _warm again resumes the migration
            migrations.migrate(name, "warm")
        except Exception as error:
            return failed(f"Failed to start warm migration [index={name}]", error)
        state = "resumed"
    elif "FAILED" in state:
        run.data["migration_failed"] = True
        return failed(f"Warm migration failed [index={name}]", None, state=state,
                      **({"cause": status["failure"].get("reason")} if status.get("failure")
                         else {}))
    try:
        tier = migrations.tier(name)
    except Exception as error:
        return failed(f"Failed to get status of warm migration [index={name}]", error)
    if tier == "warm" and (not state or state.startswith("FINISHED")):
        return StepResult(COMPLETED, {"message": f"Successfully completed warm migration "
                                                 f"[index={name}]"})
    return StepResult(CONDITION_NOT_MET, {"message": f"Warm migration in progress "
                                                     f"[index={name}]",
                                          **({"state": state} if state != "resumed"
                                             and state else {})})


# --- settings: read_only, read_write, index_priority -----------------------------------------

def _set(run: StepRun, changes: dict[str, Any], done: str, fail: str) -> StepResult:
    try:
        index_metadata.update_settings(run.context.catalog, [run.index()], changes)
    except Exception as error:
        return failed(fail, error)
    return StepResult(COMPLETED, {"message": done})


def set_read_only(run: StepRun) -> StepResult:
    name = run.index_name
    return _set(run, {WRITE: "true"}, f"Successfully set index to read-only [index={name}]",
                f"Failed to set index to read-only [index={name}]")


def set_read_write(run: StepRun) -> StepResult:
    name = run.index_name
    return _set(run, {WRITE: "false"}, f"Successfully set index to read-write [index={name}]",
                f"Failed to set index to read-write [index={name}]")


def attempt_set_index_priority(run: StepRun) -> StepResult:
    name, priority = run.index_name, run.config.get("priority")
    return _set(run, {"index.priority": str(priority)},
                f"Successfully set index priority to {priority} [index={name}]",
                f"Failed to set index priority to {priority} [index={name}]")


# --- force merge ------------------------------------------------------------------------------

def _merged_splits(index: Index) -> int:
    return sum(1 for split in index.searchable_splits() if split.num_docs() > 0)


def attempt_call_force_merge(run: StepRun) -> StepResult:
    """The engine's force merge is synchronous: the step ends when it has, as OpenSearch's
    does when the merge finishes within its wait."""
    name = run.index_name
    try:
        merge.force_merge(run.index(), max_num_segments=run.config.get("max_num_segments"))
    except Exception as error:
        return failed(f"Failed to start force merge [index={name}]", error)
    run.data["splits_after_merge"] = _merged_splits(run.index())
    return StepResult(COMPLETED, {"message": f"Successfully completed force merge "
                                             f"[index={name}]"})


def wait_for_force_merge(run: StepRun) -> StepResult:
    """Done when the index has at most ``max_num_segments`` splits with documents, or no more
    than the merge left (splits are bounded in documents, so fewer may not fit)."""
    name = run.index_name
    wanted = int(run.config.get("max_num_segments") or 1)
    left = int(run.data.get("splits_after_merge") or wanted)
    if _merged_splits(run.index()) <= max(wanted, left):
        return StepResult(COMPLETED, {"message": f"Successfully confirmed segments force "
                                                 f"merged [index={name}]"})
    return StepResult(CONDITION_NOT_MET, {"message": f"Waiting for force merge to complete "
                                                     f"[index={name}]"})


# --- delete -----------------------------------------------------------------------------------

def attempt_delete(run: StepRun) -> StepResult:
    name = run.index_name
    try:
        run.context.catalog.delete_index(run.index())
    except Exception as error:
        return failed(f"Failed to delete index [index={name}]", error)
    return StepResult(COMPLETED, {"message": f"Successfully deleted index [index={name}]"},
                      deleted=True)


# --- snapshot ---------------------------------------------------------------------------------

def attempt_snapshot(run: StepRun) -> StepResult:
    """OpenSearch names the snapshot ``<snapshot>-<uuuu.MM.dd-HH:mm:ss.SSS>`` (UTC), the
    ``snapshot`` field a Mustache template over ``ctx`` (the index's name when absent)."""
    name = run.index_name
    repository = str(run.config.get("repository"))
    snapshots = run.context.snapshots
    try:
        if run.data.get("snapshot_name"):  # named and started before a restart
            found = _snapshot_state(run, run.data["snapshot_name"])
            if found is not None:
                return StepResult(COMPLETED, {"message": f"Successfully started snapshot "
                                                         f"[index={name}]"})
        template = run.config.get("snapshot")
        prefix = render(str(template), {"ctx": template_context(run.managed)}) \
            if template is not None else name
        moment = datetime.fromtimestamp(run.now_ms / 1000, UTC)
        snapshot = f"{prefix}-{moment:%Y.%m.%d-%H:%M:%S}.{moment.microsecond // 1000:03d}"
        run.data["snapshot_name"] = snapshot
        run.checkpoint()
        snapshots.create(repository, snapshot, {
            "indices": name, "include_global_state": False,
            "metadata": {"snapshot_created": "Open Distro for Elasticsearch Index Management"}})
    except Exception as error:
        return failed(f"Failed to create snapshot [index={name}]", error)
    return StepResult(COMPLETED, {"message": f"Successfully started snapshot [index={name}]"})


def _snapshot_state(run: StepRun, snapshot: str) -> str | None:
    repository = str(run.config.get("repository"))
    try:
        answer = run.context.snapshots.get(repository, snapshot, {})
    except LoghavenError as error:
        if error.status == 404:
            return None
        raise
    for info in answer.get("snapshots", []):
        if info.get("snapshot") == snapshot:
            return str(info.get("state"))
    return None


def wait_for_snapshot(run: StepRun) -> StepResult:
    name = run.index_name
    snapshot = run.data.get("snapshot_name")
    if not snapshot:
        return failed(f"Unable to retrieve [snapshot_name] from ActionProperties={run.data} "
                      f"[index={name}]")
    try:
        state = _snapshot_state(run, snapshot)
    except Exception as error:
        return failed(f"Failed to get status of snapshot [index={name}]", error)
    if state is None:
        return failed(f"Snapshot doesn't exist [index={name}]")
    if state == "IN_PROGRESS":
        return StepResult(CONDITION_NOT_MET, {"message": f"Snapshot currently in progress "
                                                         f"[index={name}]", "state": state})
    if state == "SUCCESS":
        return StepResult(COMPLETED, {"message": f"Successfully created snapshot "
                                                 f"[index={name}]", "state": state})
    return failed(f"Snapshot doesn't exist [index={name}]", None, state=state)


# --- notification -----------------------------------------------------------------------------

def attempt_notification(run: StepRun) -> StepResult:
    name = run.index_name
    try:
        send_notification(run.context, run.config, run.managed, NOTIFICATION_TITLE)
    except Exception as error:
        return failed(f"Failed to send notification [index={name}]", error)
    return StepResult(COMPLETED, {"message": f"Successfully sent notification [index={name}]"})


# --- transitions ------------------------------------------------------------------------------

def attempt_transition_step(run: StepRun) -> StepResult:
    """The first transition whose conditions hold names the next state; no transitions at
    all complete the policy."""
    name = run.index_name
    transitions = run.config.get("transitions") or []
    if not transitions:
        return StepResult(COMPLETED, {}, policy_completed=True)
    step_start = int((run.managed.step or {}).get("start_time") or run.now_ms)
    try:
        facts = index_facts(run.context, run.managed, run.now_ms, step_start_time=step_start)
        if facts.rollover_time is None and any(
                "min_rollover_age" in (t.get("conditions") or {}) for t in transitions):
            return failed("Failed to transition index as min_rollover_age condition was used, "
                          f"but the index has never been rolled over [index={name}]")
        chosen = next((t["state_name"] for t in transitions
                       if transition_holds(t.get("conditions"), facts)), None)
    except Exception as error:
        return failed(f"Failed to transition index [index={name}]", error)
    if chosen is None:
        return StepResult(CONDITION_NOT_MET,
                          {"message": f"Evaluating transition conditions [index={name}]"})
    return StepResult(COMPLETED, {"message": f"Transitioning to {chosen} [index={name}]"},
                      transition_to=chosen)


STEPS: dict[str, Callable[[StepRun], StepResult]] = {
    "attempt_transition_step": attempt_transition_step,
    "attempt_rollover": attempt_rollover,
    "attempt_warm_migration": attempt_warm_migration,
    "wait_for_warm_migration": wait_for_warm_migration,
    "set_read_only": set_read_only,
    "set_read_write": set_read_write,
    "attempt_set_read_only": set_read_only,
    "attempt_call_force_merge": attempt_call_force_merge,
    "wait_for_force_merge": wait_for_force_merge,
    "attempt_set_index_priority": attempt_set_index_priority,
    "attempt_delete": attempt_delete,
    "attempt_snapshot": attempt_snapshot,
    "wait_for_snapshot": wait_for_snapshot,
    "attempt_notification": attempt_notification,
}
