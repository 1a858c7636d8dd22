"""Running processors as Elasticsearch's ``CompoundProcessor`` and ``Pipeline`` do.

A :class:`Step` is one configured processor with the options every processor takes (``if``,
``ignore_failure``, ``on_failure``, ``tag``, ``description``); a :class:`Pipeline` is a list of
steps with the pipeline's own ``on_failure``. A failing step is ignored (``ignore_failure``),
handed to its own handlers, or else to the pipeline's handlers, which then end the pipeline;
handlers see ``_ingest.on_failure_message``/``_processor_type``/``_processor_tag``/
``_pipeline`` of the innermost processor that failed. The :class:`Execution` of the current
thread knows the other pipelines (for the ``pipeline`` processor) and, in a verbose
``_simulate``, records each step's result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from loghaven.errors import LoghavenError, unexpected_error
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor
from loghaven.scripting import Script, ScriptError
from loghaven.scripting.evaluate import type_name

#: ES's limit on pipelines calling pipelines (``Too many nested pipelines``).
MAX_NESTED_PIPELINES = 100
_FAILURE_KEYS = ("on_failure_message", "on_failure_processor_type",
                 "on_failure_processor_tag", "on_failure_pipeline")


class IllegalState(LoghavenError):
    """Java's ``IllegalStateException`` as ES renders it (500)."""

    type = "illegal_state_exception"
    status = 500


@dataclass(eq=False)
class Step:
    """One processor of a pipeline with its common options."""

    processor: Processor
    type: str
    tag: str | None = None
    description: str | None = None
    condition: Script | None = None
    condition_params: dict[str, Any] = field(default_factory=dict)
    ignore_failure: bool = False
    on_failure: list[Step] | None = None


@dataclass(eq=False)
class Pipeline:
    """A compiled pipeline definition."""

    id: str
    steps: list[Step]
    on_failure: list[Step] | None = None
    description: str | None = None
    version: int | None = None


@dataclass
class Execution:
    """What running pipelines needs beyond the document: the pipelines by id, and the
    per-processor results of a verbose simulation."""

    lookup: Callable[[str], Pipeline | None]
    trace: list[dict[str, Any]] | None = None
    stack: list[str] = field(default_factory=list)


_execution: ContextVar[Execution | None] = ContextVar("ingest_execution", default=None)


@contextmanager
def executing(execution: Execution) -> Any:
    token = _execution.set(execution)
    try:
        yield execution
    finally:
        _execution.reset(token)


def current() -> Execution:
    execution = _execution.get()
    if execution is None:
        raise RuntimeError("no pipeline execution in progress")
    return execution


def run_pipeline(pipeline: Pipeline, document: IngestDocument) -> IngestDocument | None:
    """Run ``pipeline`` on ``document`` (in place); None when a processor dropped it.

    A pipeline already running on this document is a cycle, refused with ES's message."""
    execution = current()
    if pipeline.id in execution.stack:
        raise IllegalState(f"Cycle detected for pipeline: {pipeline.id}")
    if len(execution.stack) >= MAX_NESTED_PIPELINES:
        raise IllegalState(f"Too many nested pipelines: cannot exceed "
                           f"[{MAX_NESTED_PIPELINES}]")
    previous = document.ingest.get("pipeline")
    document.ingest["pipeline"] = pipeline.id
    execution.stack.append(pipeline.id)
    try:
        return run_steps(pipeline.steps, pipeline.on_failure, document)
    finally:
        execution.stack.pop()
        if previous is None:
            document.ingest.pop("pipeline", None)
        else:
            document.ingest["pipeline"] = previous


def run_steps(steps: list[Step], on_failure: list[Step] | None,
              document: IngestDocument) -> IngestDocument | None:
    """Run ``steps`` in order; a failure goes to ``on_failure`` (then the rest is skipped)
    or is raised."""
    trace = current().trace
    for step in steps:
        try:
            result = _run_step(step, document, trace)
        except LoghavenError as error:
            if on_failure is None:
                raise
            return _handle(on_failure, error, document)
        if result is None:
            return None
    return document


def run_step(step: Step, document: IngestDocument) -> IngestDocument | None:
    """Run one step with its condition, ``ignore_failure`` and handlers."""
    return _run_step(step, document, current().trace)


def _run_step(step: Step, document: IngestDocument,
              trace: list[dict[str, Any]] | None) -> IngestDocument | None:
    condition = None
    if step.condition is not None:
        passed = evaluate_condition(step.condition, step.condition_params, document)
        if trace is not None:
            condition = {"condition": step.condition.source, "result": passed}
        if not passed:
            _record(trace, step, "skipped", condition)
            return document
    if trace is not None and step.type == "pipeline":
        _record(trace, step, "success", condition)
    try:
        result = step.processor.execute(document)
    except Exception as exc:  # any failure of a processor is the document's failure
        error = _attributed(exc, step, document)
        if step.ignore_failure:
            _record(trace, step, "error_ignored", condition, document, error)
            return document
        _record(trace, step, "error", condition, error=error)
        if step.on_failure:
            return _handle(step.on_failure, error, document)
        raise error from None
    if trace is not None and step.type != "pipeline":
        if result is None:
            _record(trace, step, "dropped", condition)
        else:
            _record(trace, step, "success", condition, result)
    return result


def evaluate_condition(script: Script, params: dict[str, Any],
                       document: IngestDocument) -> bool:
    """An ``if`` script's answer over a read-only ``ctx`` (a condition that changes the
    document fails, as ES's ``IngestConditionalScript`` does); anything but a boolean is
    Painless's cast error."""
    value = script.execute({"ctx": document.fields, "params": params}, read_only=("ctx",))
    if not isinstance(value, bool):
        raise ScriptError(script.source, 0, len(script.source), "class_cast_exception",
                          f"Cannot cast {type_name(value)} to java.lang.Boolean", runtime=True)
    return value


def _attributed(exc: Exception, step: Step, document: IngestDocument) -> LoghavenError:
    """``exc`` as an ES error that remembers the innermost processor it failed in, and the
    pipeline when pipelines were nested (ES's ``IngestProcessorException`` headers
    ``processor_type``, ``processor_tag``, ``pipeline_origin``), for the handlers' metadata."""
    error = exc if isinstance(exc, LoghavenError) else unexpected_error(exc)
    if not hasattr(error, "processor_type"):
        stack = current().stack
        error.processor_type = step.type  # type: ignore[attr-defined]
        error.processor_tag = step.tag  # type: ignore[attr-defined]
        error.pipeline_origin = stack[-1] if len(stack) > 1 else None  # type: ignore[attr-defined]
    return error


def root_message(error: LoghavenError) -> str:
    """The message of the error's root cause (``_ingest.on_failure_message``)."""
    cause: dict[str, Any] = error.to_cause()
    while isinstance(cause.get("caused_by"), dict):
        cause = cause["caused_by"]
    return str(cause.get("reason"))


def _handle(handlers: list[Step], error: LoghavenError,
            document: IngestDocument) -> IngestDocument | None:
    """Run ``on_failure`` handlers with the failure's metadata in ``_ingest`` (removed
    afterwards, as ES does); a handler's own failure is the document's."""
    document.ingest["on_failure_message"] = root_message(error)
    document.ingest["on_failure_processor_type"] = getattr(error, "processor_type", None)
    document.ingest["on_failure_processor_tag"] = getattr(error, "processor_tag", None)
    origin = getattr(error, "pipeline_origin", None)
    if origin is not None:
        document.ingest["on_failure_pipeline"] = origin
    try:
        for handler in handlers:
            if run_step(handler, document) is None:
                return None
        return document
    finally:
        for key in _FAILURE_KEYS:
            document.ingest.pop(key, None)


def snapshot(document: IngestDocument) -> IngestDocument:
    """A deep copy of ``document`` (a verbose result's state after one processor)."""
    return IngestDocument(copy.deepcopy(document.fields), None, copy.deepcopy(document.ingest))


def _record(trace: list[dict[str, Any]] | None, step: Step, status: str,
            condition: dict[str, Any] | None, document: IngestDocument | None = None,
            error: LoghavenError | None = None) -> None:
    if trace is None:
        return
    result: dict[str, Any] = {"processor_type": step.type, "status": status}
    if step.description is not None:
        result["description"] = step.description
    if step.tag is not None:
        result["tag"] = step.tag
    if condition is not None:
        result["if"] = condition
    if error is not None:
        body = error.to_body()["error"]
        result["ignored_error" if document is not None else "error"] = \
            {"error": body} if document is not None else body
    if document is not None:
        result["doc"] = snapshot(document)
    trace.append(result)
