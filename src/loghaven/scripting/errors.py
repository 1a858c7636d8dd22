"""``script_exception``: the error body Elasticsearch returns for a failing Painless script.

Its shape, as ES renders it: ``reason`` is "compile error" or "runtime error",
``script_stack`` shows the source around the failing position with ``^---- HERE``,
``script``, ``lang``, ``position`` {offset, start, end} and the Java-style ``caused_by``.
"""

from __future__ import annotations

from loghaven.errors import LoghavenError

#: How many characters of source the script_stack shows on each side of the position.
_CONTEXT = 25


class ScriptError(LoghavenError):
    """A compile or runtime failure of a script, rendered as ES's ``script_exception``."""

    type = "script_exception"
    status = 400

    def __init__(self, source: str, start: int, end: int, cause_type: str, cause_reason: str,
                 *, runtime: bool) -> None:
        start = max(0, min(start, len(source)))
        end = max(start, min(end, len(source)))
        lo = max(0, start - _CONTEXT)
        hi = min(len(source), max(end, start + 1) + _CONTEXT)
        snippet = source[lo:hi].replace("\n", " ").replace("\r", " ").replace("\t", " ")
        super().__init__(
            "runtime error" if runtime else "compile error",
            script_stack=[snippet, " " * (start - lo) + "^---- HERE"],
            script=source,
            lang="painless",
            position={"offset": start, "start": lo, "end": hi},
            caused_by={"type": cause_type, "reason": cause_reason},
        )
        self.cause_type = cause_type
        self.cause_reason = cause_reason
