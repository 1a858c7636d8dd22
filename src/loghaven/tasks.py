"""The node's task manager: ES's tasks, for the long operations and the ``_tasks`` API.

``_reindex``, ``_update_by_query`` and ``_delete_by_query`` run as tasks: in the caller's
thread (``wait_for_completion=true``, the default) or, with ``wait_for_completion=false``, in
the manager's small thread pool, the caller getting the task's id at once. Either way the
task is listed while it runs, can be cancelled (it stops between batches) and, for the
bulk-by-scroll operations, rethrottled. A background task's record is written to the
metastore (kind ``task``) when it starts and again with its result when it ends, as ES keeps
results in its ``.tasks`` index: ``GET _tasks/<id>`` answers it after a restart, and a task
that was running when the node stopped (``kill -9`` included) is found still marked running
at the next start and reported completed with an error saying so, not lost silently.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from loghaven.errors import IllegalArgument, LoghavenError, ResourceNotFound
from loghaven.search.task import Cancellation
from loghaven.storage.metastore import Metastore

TASK = "task"
#: The action of listing tasks (the ``_tasks`` request itself is a task, as in ES).
LIST_TASKS = "cluster:monitor/tasks/lists"
#: ES's reason of a cancellation asked for through ``_tasks/_cancel``.
BY_USER = "by user request"
SHUTTING_DOWN = "node is shutting down"
#: How many background tasks run at once; more wait for a thread.
WORKERS = 4
log = logging.getLogger("loghaven.tasks")

#: A task's work: given its cancellation, the (HTTP status, response body) it ends with.
Work = Callable[[Cancellation], tuple[int, dict[str, Any]]]


class Status(Protocol):
    """What a running task shows as its ``status`` (:class:`~loghaven.search.bulk_by_scroll.
    Progress`), and how a new rate reaches it."""

    def status(self) -> dict[str, Any]: ...

    def rethrottle(self, requests_per_second: float) -> None: ...

    def interrupt(self) -> None:
        """End a wait between batches early (the task was cancelled)."""


class TimedOut(LoghavenError):
    type = "timeout_exception"
    status = 500


@dataclass
class Task:
    node_id: str
    id: int
    action: str
    description: str
    cancellation: Cancellation
    progress: Status | None = None
    cancellable: bool = True
    start_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    started_ns: int = field(default_factory=time.monotonic_ns)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def task_id(self) -> str:
        return f"{self.node_id}:{self.id}"

    def info(self, detailed: bool = True) -> dict[str, Any]:
        """ES's task info (``TaskInfo``); ``detailed`` adds the status and description."""
        body: dict[str, Any] = {"node": self.node_id, "id": self.id, "type": "transport",
                                "action": self.action}
        if detailed and self.progress is not None:
            body["status"] = self.progress.status()
        if detailed:
            body["description"] = self.description
        body.update({"start_time_in_millis": self.start_ms,
                     "running_time_in_nanos": time.monotonic_ns() - self.started_ns,
                     "cancellable": self.cancellable})
        if self.cancellable:
            body["cancelled"] = self.cancellation.reason is not None
        body["headers"] = {}
        return body


class TaskManager:
    """The tasks of one node: the running ones in memory, background results stored."""

    def __init__(self, metastore: Metastore, node_id: str, *, workers: int = WORKERS) -> None:
        self.metastore = metastore
        self.node_id = node_id
        self._running: dict[int, Task] = {}
        self._lock = threading.Lock()
        self._closing: str | None = None
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="loghaven-task")
        stored = self.metastore.list(TASK)
        self._ids = itertools.count(max((int(n) for n in stored), default=0) + 1)
        self._interrupted(stored)

    def _interrupted(self, stored: dict[str, dict[str, Any]]) -> None:
        """Mark the background tasks the last run of the node left running as ended."""
        ended = []
        for name, record in stored.items():
            if not record.get("completed"):
                ended.append((TASK, name, {**record, "completed": True, "error": {
                    "type": "node_closed_exception",
                    "reason": "the node restarted while the task was running; the batches "
                              "it wrote before stay written, the rest were not done"}}))
        if ended:
            log.warning("%d task(s) were running when the node stopped", len(ended))
            self.metastore.put_many(ended)

    # -- running tasks --

    @contextlib.contextmanager
    def track(self, action: str, description: str = "", *, cancellable: bool = False,
              cancellation: Cancellation | None = None,
              progress: Status | None = None) -> Iterator[Task]:
        """The enclosed work as a listed task (the listing request itself, a foreground
        operation)."""
        task = self._register(action, description, cancellable, cancellation, progress)
        try:
            yield task
        finally:
            self._unregister(task)

    def run(self, action: str, description: str, work: Work, *, background: bool,
            cancellation: Cancellation | None = None,
            progress: Status | None = None) -> tuple[int, dict[str, Any]]:
        """Run ``work`` as a task: here, answering its response, or in the background,
        answering ``{"task": "<node>:<id>"}`` (ES's response to
        ``wait_for_completion=false``). Background work runs as the caller's subject."""
        if not background:
            with self.track(action, description, cancellable=True, cancellation=cancellation,
                            progress=progress) as task:
                return work(task.cancellation)
        task = self._register(action, description, True, None, progress)
        self.metastore.put(TASK, str(task.id), {"completed": False, "task": task.info()})
        try:
            self._pool.submit(contextvars.copy_context().run, self._background, task, work)
        except RuntimeError:  # the pool is shut down: the node is stopping
            task.cancellation.cancel(SHUTTING_DOWN)
            self._background(task, work)
        return 200, {"task": task.task_id}

    def _background(self, task: Task, work: Work) -> None:
        record: dict[str, Any] = {"completed": True}
        try:
            _status, record["response"] = work(task.cancellation)
        except LoghavenError as error:
            record["error"] = error.to_cause()
        except Exception as error:  # kept as the task's result, as ES does
            log.exception("task %s failed", task.task_id)
            record["error"] = {"type": "exception", "reason": str(error)}
        record["task"] = task.info()
        try:
            self.metastore.put(TASK, str(task.id), record)
        finally:
            self._unregister(task)

    def _register(self, action: str, description: str, cancellable: bool,
                  cancellation: Cancellation | None, progress: Status | None) -> Task:
        task = Task(self.node_id, next(self._ids), action, description,
                    cancellation if cancellation is not None else Cancellation(), progress,
                    cancellable)
        with self._lock:
            if self._closing is not None and cancellable:
                task.cancellation.cancel(self._closing)
            self._running[task.id] = task
        return task

    def _unregister(self, task: Task) -> None:
        with self._lock:
            self._running.pop(task.id, None)
        task.done.set()

    # -- the tasks API --

    def list(self, actions: list[str] | None = None) -> list[Task]:
        """The running tasks, those whose action matches one of ``actions`` (wildcards)."""
        with self._lock:
            tasks = sorted(self._running.values(), key=lambda t: t.id)
        return [t for t in tasks if _matches(t.action, actions)]

    def get(self, task_id: str, *, wait: bool = False,
            timeout_ms: int = 30_000) -> dict[str, Any]:
        """``GET _tasks/<id>``: a running task, or a background task's stored result."""
        number = self._number(task_id)
        with self._lock:
            task = self._running.get(number)
        if task is not None and wait and not task.done.wait(timeout_ms / 1000):
            raise TimedOut(f"Timed out waiting for completion of task [{task_id}]")
        if task is not None and not task.done.is_set():
            return {"completed": False, "task": task.info()}
        stored = self.metastore.get(TASK, str(number))
        if stored is None or not stored.get("completed"):
            raise ResourceNotFound(f"task [{task_id}] isn't running and hasn't stored its "
                                   "results")
        return stored

    def find(self, task_id: str) -> Task:
        """A running task, or ES's error for a missing one."""
        number = self._number(task_id)
        with self._lock:
            task = self._running.get(number)
        if task is None:
            raise ResourceNotFound(f"task [{task_id}] is missing")
        return task

    def cancel(self, task: Task, reason: str = BY_USER) -> None:
        """Cancel a running task; it stops at its next check (between batches)."""
        if not task.cancellable:
            raise IllegalArgument(f"task [{task.task_id}] doesn't support this operation")
        task.cancellation.cancel(reason)
        if task.progress is not None:
            task.progress.interrupt()

    def cancel_matching(self, task_id: str | None, actions: list[str] | None,
                        ) -> tuple[list[Task], list[LoghavenError]]:
        """``_tasks/_cancel``: cancel one task by id, or every cancellable task whose action
        matches; the tasks cancelled, and the failure for an id that names none."""
        if task_id is not None:
            try:
                task = self.find(task_id)
                self.cancel(task)
            except LoghavenError as error:
                return [], [error]
            return [task], []
        tasks = [t for t in self.list(actions) if t.cancellable]
        for task in tasks:
            self.cancel(task)
        return tasks, []

    def rethrottle(self, task_id: str, requests_per_second: float,
                   ) -> tuple[list[Task], list[LoghavenError]]:
        """``_rethrottle``: a running bulk-by-scroll task's new rate."""
        try:
            task = self.find(task_id)
            if task.progress is None:
                raise IllegalArgument(f"task [{task_id}] doesn't support this operation")
        except LoghavenError as error:
            return [], [error]
        task.progress.rethrottle(requests_per_second)
        return [task], []

    def wait(self, tasks: list[Task], timeout_ms: int) -> None:
        """Wait for ``tasks`` to end (``wait_for_completion`` of listing and cancelling)."""
        deadline = time.monotonic() + timeout_ms / 1000
        for task in tasks:
            if not task.done.wait(max(0.0, deadline - time.monotonic())):
                raise TimedOut(f"Timed out waiting for completion of task [{task.task_id}]")

    def _number(self, task_id: str) -> int:
        node, _, number = task_id.partition(":")
        if not node or not number.isdigit():
            raise IllegalArgument(f"malformed task id {task_id}")
        if node != self.node_id:
            raise ResourceNotFound(f"task [{task_id}] isn't running and hasn't stored its "
                                   "results")
        return int(number)

    def close(self) -> None:
        """Cancel every running task (they record their results), then wait for them."""
        with self._lock:
            self._closing = SHUTTING_DOWN
            running = list(self._running.values())
        for task in running:
            if task.cancellable:
                self.cancel(task, SHUTTING_DOWN)
        self._pool.shutdown(wait=True)


def _matches(action: str, patterns: list[str] | None) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(action, p) for p in patterns)
