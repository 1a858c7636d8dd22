"""The managed indices' runs: every ``plugins.index_state_management.job_interval`` each
enabled managed index takes its next step — initialize into the default state, run the
state's actions in order (each a sequence of recorded steps with its ``retry`` and
``timeout``), then evaluate transitions — writing its record after every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loghaven.lifecycle.ism.context import IsmContext
from loghaven.lifecycle.ism.managed import ManagedIndex
from loghaven.lifecycle.ism.store import IsmStore

if TYPE_CHECKING:
    from loghaven.scheduler import Scheduler


class IsmRunner:
    def __init__(self, store: IsmStore, context: IsmContext, *, interval: str) -> None:
        self.store = store
        self.context = context
        self.interval = interval

    def schedule(self, scheduler: Scheduler) -> None:
        """One durable job (``ism.runner``) that runs every managed index that is due."""

    def run(self, managed: ManagedIndex, now_ms: int) -> ManagedIndex:
        """One run of one managed index (its next step), recorded before it returns."""
        raise NotImplementedError("CONTRACT: issue 19, helper ism-runner")
