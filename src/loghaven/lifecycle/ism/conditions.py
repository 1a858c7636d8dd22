"""The conditions of ISM transitions and of the rollover action, evaluated as OpenSearch's
``Transition.evaluateConditions`` and ``RolloverAction.evaluateConditions`` do: any one
condition that holds is enough, and none at all holds at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.params import parse_byte_size
from loghaven.scheduler import Cron


@dataclass(frozen=True)
class IndexFacts:
    """What conditions compare, read once per evaluation: epoch millis and counts."""

    now_ms: int
    #: -1 when unknown (OpenSearch then never lets ``min_index_age`` hold).
    creation_date: int
    doc_count: int
    #: The primary store size; one shard per index, so also the largest primary shard.
    size_bytes: int
    #: When the index was rolled over, None if never.
    rollover_time: int | None = None
    #: When the transition step started (``cron``), and when the state was entered.
    step_start_time: int = 0
    state_start_time: int | None = None
    aliases: int = 0

    @property
    def age_ms(self) -> int:
        return self.now_ms - self.creation_date if self.creation_date >= 0 else 0


def transition_holds(conditions: dict[str, Any] | None, facts: IndexFacts) -> bool:
    """A transition's ``conditions`` (``min_index_age``, ``min_doc_count``, ``min_size``,
    ``min_rollover_age``, ``no_alias``, ``min_state_age``, ``cron``); OpenSearch allows one per
    transition."""
    if not conditions:
        return True
    if "min_doc_count" in conditions and facts.doc_count >= int(conditions["min_doc_count"]):
        return True
    if "min_index_age" in conditions and facts.creation_date >= 0 \
            and facts.age_ms >= _ms(conditions["min_index_age"], "min_index_age"):
        return True
    if "min_size" in conditions \
            and facts.size_bytes >= parse_byte_size(str(conditions["min_size"]), "min_size"):
        return True
    if "cron" in conditions and _cron_passed(conditions["cron"], facts):
        return True
    if "min_rollover_age" in conditions and facts.rollover_time is not None \
            and facts.now_ms - facts.rollover_time >= _ms(conditions["min_rollover_age"],
                                                          "min_rollover_age"):
        return True
    if "no_alias" in conditions and (facts.aliases == 0) == bool(conditions["no_alias"]):
        return True
    return "min_state_age" in conditions and facts.state_start_time is not None \
        and facts.now_ms - facts.state_start_time >= _ms(conditions["min_state_age"],
                                                         "min_state_age")


def rollover_report(config: dict[str, Any], facts: IndexFacts) -> dict[str, Any]:
    """The rollover action's ``conditions`` as explain's info shows them: each configured
    condition with its ``condition`` and the index's ``current`` value."""
    report: dict[str, Any] = {}
    if "min_index_age" in config:
        report["min_index_age"] = {"condition": config["min_index_age"],
                                   "current": f"{facts.age_ms}ms",
                                   "creationDate": facts.creation_date}
    if "min_doc_count" in config:
        report["min_doc_count"] = {"condition": config["min_doc_count"],
                                   "current": facts.doc_count}
    if "min_size" in config:
        report["min_size"] = {"condition": config["min_size"],
                              "current": f"{facts.size_bytes}b"}
    if "min_primary_shard_size" in config:
        report["min_primary_shard_size"] = {"condition": config["min_primary_shard_size"],
                                            "current": f"{facts.size_bytes}b", "shard": 0}
    return report


def rollover_holds(config: dict[str, Any], facts: IndexFacts) -> bool:
    """The rollover action's own conditions: any one holds, or there are none."""
    results = []
    if "min_index_age" in config:
        results.append(facts.creation_date >= 0
                       and facts.age_ms >= _ms(config["min_index_age"], "min_index_age"))
    if "min_doc_count" in config:
        results.append(facts.doc_count >= int(config["min_doc_count"]))
    for key in ("min_size", "min_primary_shard_size"):
        if key in config:
            results.append(facts.size_bytes >= parse_byte_size(str(config[key]), key))
    return not results or any(results)


def _ms(value: Any, name: str) -> int:
    return parse_duration_ms(value if isinstance(value, int) else str(value), name)


def _cron_passed(cron: dict[str, Any], facts: IndexFacts) -> bool:
    """OpenSearch: the cron's next time after the transition step started has come."""
    spec = cron.get("cron", cron)
    schedule = Cron(str(spec["expression"]), str(spec.get("timezone") or "UTC"))
    return schedule.next_after(facts.step_start_time / 1000) * 1000 <= facts.now_ms
