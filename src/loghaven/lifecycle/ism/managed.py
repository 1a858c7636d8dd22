"""A managed index's record: its policy and where it is in it (OpenSearch's
``ManagedIndexMetaData``), what ``explain`` shows, kept in the metastore (kind
``ism_managed_index``, keyed by the index's uuid) and written after every step, so that a
run resumes after kill -9 where the last one stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ManagedIndex:
    index: str
    index_uuid: str
    policy_id: str
    #: The policy as it was attached (or changed to): a run follows this copy, so that an
    #: update of the stored policy reaches a managed index only through change_policy.
    policy: dict[str, Any]
    policy_seq_no: int
    policy_primary_term: int
    enabled: bool = True
    #: Epoch millis: when the index was created, and when the policy was attached.
    index_creation_date: int = 0
    enabled_time: int = 0
    #: ``{"name", "start_time"}`` of the current state, None before the first run.
    state: dict[str, Any] | None = None
    #: ``{"name", "start_time", "index", "failed", "consumed_retries", "last_retry_time"}``.
    action: dict[str, Any] | None = None
    #: ``{"name", "start_time", "step_status"}`` (starting, completed, failed, ...).
    step: dict[str, Any] | None = None
    #: ``{"failed": bool, "consumed_retries": int}``.
    retry_info: dict[str, Any] = field(default_factory=lambda: {"failed": False,
                                                                 "consumed_retries": 0})
    #: ``{"message": ...}`` and a failed step's ``cause``, as explain shows them.
    info: dict[str, Any] = field(default_factory=dict)
    #: The state chosen by a transition, entered at the next run.
    transition_to: str | None = None
    #: A pending change_policy request (``policy_id``, ``state``, ``include``,
    #: ``is_safe``), applied at the next safe point.
    change_policy: dict[str, Any] | None = None
    rolled_over: bool = False
    rolled_over_index_name: str | None = None
    #: Epoch millis of the rollover (``min_rollover_age``), None before it.
    rolled_over_time: int | None = None
    #: The last state's transitions were done: the policy has nothing more to run.
    policy_completed: bool = False
    #: The running action's own progress (a snapshot's name, a migration started, ...), so
    #: that a resumed run continues it instead of starting it again.
    action_data: dict[str, Any] = field(default_factory=dict)
    #: Epoch millis of the last run (the job runs every ``job_interval``).
    last_run: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManagedIndex:
        return cls(**data)


def is_failed(managed: ManagedIndex) -> bool:
    """``ManagedIndexMetaData.isFailed``: the policy or the current action failed."""
    return bool(managed.retry_info.get("failed")) \
        or bool(managed.action and managed.action.get("failed"))
